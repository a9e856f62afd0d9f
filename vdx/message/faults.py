"""The one place where an :class:`XRoadError` becomes bytes for a caller.

SOAP callers get a SOAP 1.1 fault (pr-mess §2.5: ``faultcode`` is the X-Road code with its
origin prefix, ``faultstring`` the message, ``detail/faultDetail`` the UUID the operator finds
in the log). REST callers get JSON ``{"type", "message", "detail"}`` and the ``X-Road-Error``
header (pr-rest §4.6). Neither ever carries a stack trace or the caller's raw input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lxml import etree

from vdx.errors import Origin, XRoadError
from vdx.message.soap_model import NS_SOAP11

SOAP_FAULT_CONTENT_TYPE = "text/xml; charset=utf-8"
REST_ERROR_CONTENT_TYPE = "application/json; charset=utf-8"
REST_ERROR_XML_CONTENT_TYPE = "text/xml; charset=utf-8"
REST_ERROR_HEADER = "X-Road-Error"
_MAX_MESSAGE = 1000


@dataclass(frozen=True, slots=True)
class RenderedFault:
    """What to send: HTTP status, headers and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _attributed(error: XRoadError, default_origin: Origin) -> XRoadError:
    return error.attributed_to(default_origin)


def _safe_message(message: str) -> str:
    # Control characters other than whitespace would make the XML invalid; drop them.
    cleaned = "".join(ch for ch in message if ch >= " " or ch in "\t\n")
    return cleaned[:_MAX_MESSAGE]


def soap_fault(error: XRoadError, default_origin: Origin = Origin.SERVER) -> RenderedFault:
    """Render a SOAP 1.1 fault. X-Road answers faults with HTTP 500 (SOAP 1.1 §6.2)."""
    error = _attributed(error, default_origin)
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap={"SOAP-ENV": NS_SOAP11})
    body = etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body")
    fault = etree.SubElement(body, f"{{{NS_SOAP11}}}Fault")
    etree.SubElement(fault, "faultcode").text = error.fault_code
    etree.SubElement(fault, "faultstring").text = _safe_message(error.message)
    detail = etree.SubElement(fault, "detail")
    etree.SubElement(detail, "faultDetail").text = error.detail
    data = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    return RenderedFault(500, (("Content-Type", SOAP_FAULT_CONTENT_TYPE),), data)


def rest_error(
    error: XRoadError, default_origin: Origin = Origin.SERVER, accept: str | None = None
) -> RenderedFault:
    """Render a REST r1 error (pr-rest §4.6) with the ``X-Road-Error`` header.

    The caller's fault (``Client.*``) is 400, every other one 500. The body is JSON unless the
    caller's ``Accept`` asks for XML, as the reference implementation does.
    """
    error = _attributed(error, default_origin)
    status = 400 if error.origin is Origin.CLIENT else 500
    message = _safe_message(error.message)
    if _wants_xml(accept):
        root = etree.Element("error")
        etree.SubElement(root, "type").text = error.fault_code
        etree.SubElement(root, "message").text = message
        etree.SubElement(root, "detail").text = error.detail
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        content_type = REST_ERROR_XML_CONTENT_TYPE
    else:
        payload = {"type": error.fault_code, "message": message, "detail": error.detail}
        body = json.dumps(payload).encode("utf-8")
        content_type = REST_ERROR_CONTENT_TYPE
    headers = (("Content-Type", content_type), (REST_ERROR_HEADER, error.fault_code))
    return RenderedFault(status, headers, body)


def _wants_xml(accept: str | None) -> bool:
    if not accept:
        return False
    types = {item.split(";", 1)[0].strip().lower() for item in accept.split(",")}
    return bool(types & {"text/xml", "application/xml", "text/*"})
