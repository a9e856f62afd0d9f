"""The one rewrite of a SOAP message the provider's security server makes: ``requestHash``.

pr-mess §2.4.2: the response carries the digest of the request's SOAP part in
``xroad:requestHash`` (algorithm URI in ``algorithmId``); whatever the service wrote there is
replaced, so the consumer's security server can rely on the value.
"""

from __future__ import annotations

from lxml import etree

from vdx import xmlsafe
from vdx.identifiers import NS_XROAD
from vdx.message import requesthash
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import NS_SOAP11, SoapFault, SoapMessage

_HEADER = f"{{{NS_SOAP11}}}Header"
_REQUEST_HASH = f"{{{NS_XROAD}}}requestHash"


def with_request_hash(
    response: SoapMessage, request_xml: bytes, limits: xmlsafe.XmlLimits | None = None
) -> SoapMessage:
    """``response`` with the request hash of ``request_xml`` as its only ``requestHash``."""
    root = xmlsafe.parse(response.xml, limits, encoding=response.charset)
    header = root.find(_HEADER)
    if header is None:  # unreachable: a parsed SoapMessage has a header
        raise ValueError("SOAP message without header")
    for old in header.findall(_REQUEST_HASH):
        header.remove(old)
    element = etree.SubElement(header, _REQUEST_HASH)
    element.set("algorithmId", requesthash.DEFAULT_ALGORITHM.value)
    element.text = requesthash.compute(request_xml)
    xml = etree.tostring(root.getroottree(), xml_declaration=True, encoding=response.charset)
    if not isinstance(xml, bytes):  # unreachable: an encoding was given
        raise TypeError("serialised XML is not bytes")
    parsed = parse_envelope(xml, response.charset, limits)
    if isinstance(parsed, SoapFault):  # unreachable: the body did not change
        raise ValueError("rewritten message became a fault")
    return parsed
