"""The demo SOAP service: ``getRandom`` and ``helloService`` as in the reference examples.

A provider information system must echo the request's X-Road header in its response (pr-mess
§2.3: the security server compares them), so the answer copies the request's ``Header`` as is
and answers in the namespace the request used (the reference's test requests use both
``http://test.x-road.fi/producer`` and ``http://test.x-road.global/producer``).
"""

from __future__ import annotations

import secrets

from aiohttp import web
from lxml import etree

from adapters.demo_provider.wsdl import wsdl
from vdx.errors import XRoadError
from vdx.xmlsafe import XmlLimits, parse

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_REQUEST_BYTES = 1024 * 1024
_LIMITS = XmlLimits(max_bytes=MAX_REQUEST_BYTES)
_XML = "text/xml; charset=utf-8"


def _fault(code: str, message: str, status: int = 500) -> web.Response:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"SOAP-ENV": SOAP_ENV})
    fault = etree.SubElement(
        etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault"
    )
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = message
    return web.Response(
        body=etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"),
        status=status,
        content_type="text/xml",
        charset="utf-8",
    )


def _answer(operation: etree._Element) -> etree._Element:
    """The response element for one operation, in the request's namespace."""
    namespace = etree.QName(operation).namespace or ""
    local = etree.QName(operation).localname

    def el(parent: etree._Element | None, name: str) -> etree._Element:
        tag = f"{{{namespace}}}{name}" if namespace else name
        return etree.Element(tag) if parent is None else etree.SubElement(parent, tag)

    response = el(None, f"{local}Response")
    inner = el(response, "response")
    if local == "getRandom":
        el(inner, "data").text = str(1 + secrets.randbelow(100))
    else:
        name_el = operation.find(f"{{{namespace}}}name" if namespace else "name")
        name = (name_el.text or "").strip() if name_el is not None else ""
        el(inner, "message").text = f"Hello {name or 'stranger'}! Greetings from adapter server!"
    return response


async def soap_endpoint(request: web.Request) -> web.Response:
    """``POST``: answer one operation; ``GET ?wsdl``: the WSDL naming this endpoint."""
    if request.method == "GET":
        if "wsdl" not in request.query:
            raise web.HTTPBadRequest(reason="GET ?wsdl for the service description")
        return web.Response(body=wsdl(str(request.url.with_query(None))), content_type="text/xml")
    body = await request.content.read(MAX_REQUEST_BYTES + 1)
    try:
        root = parse(body, _LIMITS)
    except XRoadError as error:
        return _fault("Client", error.message, 400)
    header = root.find(f"{{{SOAP_ENV}}}Header")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    operation = None if soap_body is None else next(iter(soap_body), None)
    if operation is None or not isinstance(operation.tag, str):
        return _fault("Client", "The SOAP body holds no operation", 400)
    if etree.QName(operation).localname not in ("getRandom", "helloService"):
        return _fault("Client", f"Unknown operation {etree.QName(operation).localname}", 400)
    prefixes = {k: v for k, v in root.nsmap.items() if k is not None}
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=prefixes)
    if header is not None:
        envelope.append(header)
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(_answer(operation))
    return web.Response(
        body=etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"),
        headers={"Content-Type": _XML},
    )
