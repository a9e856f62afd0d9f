"""Decode what an information system sends to the client proxy: the HTTP body and its type.

Three shapes are accepted (pr-mess §2.3): a plain SOAP envelope (``text/xml``), SOAP with
attachments (``multipart/related`` with a ``text/xml`` root part, SwA) and MTOM/XOP
(``multipart/related`` with an ``application/xop+xml`` root part). The root part is the one
named by the ``start`` parameter, else the first part (RFC 2387 §3.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.message import multipart
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import Attachment, SoapFault, SoapMessage

TEXT_XML = "text/xml"
MULTIPART_RELATED = "multipart/related"
XOP_XML = "application/xop+xml"


@dataclass(frozen=True, slots=True)
class MessageLimits:
    """Every size limit of one request, as parameters (ARCHITECTURE rule 2)."""

    xml: xmlsafe.XmlLimits = field(default_factory=xmlsafe.XmlLimits)
    multipart: multipart.MultipartLimits = field(default_factory=multipart.MultipartLimits)


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """A decoded SOAP message with its attachments, as the client proxy received it."""

    message: SoapMessage
    attachments: tuple[Attachment, ...]
    content_type: str
    is_mtom: bool


def decode(
    body: bytes, content_type: str | None, limits: MessageLimits | None = None
) -> SoapRequest:
    """Decode a client's SOAP request.

    A client that sends a SOAP fault is answered with that fault's own code (the reference
    implementation answers ``Client.<faultcode>``), since a fault is no request.
    """
    decoded = decode_any(body, content_type, limits)
    if isinstance(decoded, tuple):
        fault = decoded[0]
        raise XRoadError(fault.code or Code.INVALID_MESSAGE, fault.string or "SOAP fault")
    return decoded


def decode_any(
    body: bytes, content_type: str | None, limits: MessageLimits | None = None
) -> SoapRequest | tuple[SoapFault, tuple[Attachment, ...]]:
    """Decode a SOAP message or fault in any of the three shapes."""
    limits = limits or MessageLimits()
    if content_type is None or not content_type.strip():
        raise XRoadError(Code.INVALID_REQUEST, "Could not get content type from request")
    parsed_type = multipart.parse_content_type(content_type)
    if parsed_type.media_type in (TEXT_XML, XOP_XML):
        soap = parse_envelope(body, parsed_type.charset, limits.xml)
        return _wrap(soap, (), str(content_type), is_mtom=False)
    if parsed_type.media_type == MULTIPART_RELATED:
        return _decode_multipart(body, parsed_type, str(content_type), limits)
    raise XRoadError(
        Code.INVALID_CONTENT_TYPE, f"Invalid content type: {parsed_type.media_type[:100]}"
    )


def _wrap(
    soap: SoapMessage | SoapFault,
    attachments: tuple[Attachment, ...],
    content_type: str,
    *,
    is_mtom: bool,
) -> SoapRequest | tuple[SoapFault, tuple[Attachment, ...]]:
    if isinstance(soap, SoapFault):
        return soap, attachments
    return SoapRequest(soap, attachments, content_type, is_mtom)


def _decode_multipart(
    body: bytes,
    parsed_type: multipart.ContentType,
    content_type: str,
    limits: MessageLimits,
) -> SoapRequest | tuple[SoapFault, tuple[Attachment, ...]]:
    boundary = parsed_type.param("boundary")
    if not boundary:
        raise XRoadError(Code.INVALID_CONTENT_TYPE, "multipart/related without a boundary")
    parts = multipart.split(body, boundary, limits.multipart)
    if not parts:
        raise XRoadError(Code.MISSING_SOAP, "Multipart message has no SOAP part")
    for part in parts:
        # Every part must say what it is (SwA §3); the reference refuses one that does not.
        if part.header("Content-Type") is None:
            raise XRoadError(Code.INVALID_CONTENT_TYPE, "Could not get content type for part")
    root_index = _root_index(parts, parsed_type.param("start"))
    root = parts[root_index]
    root_type = root.content_type
    if root_type.media_type not in (TEXT_XML, XOP_XML):
        raise XRoadError(
            Code.INVALID_CONTENT_TYPE,
            f"Invalid content type of the SOAP part: {root_type.media_type[:100]}",
        )
    soap = parse_envelope(root.body, root_type.charset, limits.xml)
    attachments = tuple(
        Attachment(
            content_type=part.header("Content-Type") or "",
            content_id=part.content_id,
            headers=part.headers,
            data=part.body,
        )
        for index, part in enumerate(parts)
        if index != root_index
    )
    return _wrap(soap, attachments, content_type, is_mtom=root_type.media_type == XOP_XML)


def _root_index(parts: list[multipart.Part], start: str | None) -> int:
    if not start:
        return 0
    wanted = start.strip().removeprefix("<").removesuffix(">")
    for index, part in enumerate(parts):
        if part.content_id == wanted:
            return index
    raise XRoadError(Code.MIME_PARSING_FAILED, "The multipart start part was not found")
