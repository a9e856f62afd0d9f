"""Parse SOAP message protocol 4.0 envelopes (pr-mess §2), namespace-aware, sans-IO.

Header elements are matched by namespace and local name, never by prefix, so any prefix and a
default namespace work. The exact bytes are kept: the request hash and the signature cover them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from vdx import identifiers as ids
from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.identifiers import NS_REPR, NS_XROAD
from vdx.message.soap_model import (
    NS_SOAP11,
    NS_SOAP12,
    PROTOCOL_VERSION,
    RepresentedParty,
    RequestHash,
    SoapFault,
    SoapHeader,
    SoapMessage,
)

# X-Road header fields (pr-mess §2.4.1, xroad.xsd), all optional by schema; the protocol
# requires client, service, id and protocolVersion (§2.4.2).
_REQUIRED_FIELDS = ("protocolVersion", "client", "id")
_XROAD_FIELDS = frozenset(
    {
        "client",
        "service",
        "id",
        "userId",
        "issue",
        "protocolVersion",
        "requestHash",
        "securityServer",
    }
)
_ENCODING_STYLE = f"{{{NS_SOAP11}}}encodingStyle"


def parse_envelope(
    xml: bytes, charset: str | None = None, limits: xmlsafe.XmlLimits | None = None
) -> SoapMessage | SoapFault:
    """Parse one SOAP part: an X-Road message or a SOAP fault."""
    root = xmlsafe.parse(xml, limits, encoding=charset)
    root_name = etree.QName(root)
    if root_name.localname != "Envelope" or root_name.namespace not in (NS_SOAP11, NS_SOAP12):
        raise XRoadError(Code.INVALID_SOAP, "Malformed SOAP message: not a SOAP envelope")
    if root_name.namespace == NS_SOAP12:
        # X-Road 4.0 is a profile of SOAP 1.1 (pr-mess §1); SOAP 1.2 is not accepted.
        raise XRoadError(Code.INVALID_SOAP, "SOAP 1.2 envelopes are not supported, use SOAP 1.1")
    header_el, body_el = _header_and_body(root)
    fault = _fault_of(body_el, xml)
    if fault is not None:
        return fault
    if header_el is None:
        raise XRoadError(Code.MISSING_HEADER, "Malformed SOAP message: header missing")
    header = _parse_header(header_el)
    body_child = _single_body_child(body_el)
    body_qname = etree.QName(body_child)
    return SoapMessage(
        header=header,
        xml=xml,
        charset=(charset or root.getroottree().docinfo.encoding or "utf-8").lower(),
        body_name=body_qname.localname,
        body_namespace=body_qname.namespace,
        is_rpc_encoded=_is_rpc(root, body_el, body_child),
    )


def _header_and_body(root: etree._Element) -> tuple[etree._Element | None, etree._Element]:
    header: etree._Element | None = None
    body: etree._Element | None = None
    for child in xmlsafe.elements(root):
        name = etree.QName(child)
        if name.namespace != NS_SOAP11:
            raise XRoadError(Code.INVALID_SOAP, "Malformed SOAP message: unexpected element")
        if name.localname == "Header" and header is None and body is None:
            header = child
        elif name.localname == "Body" and body is None:
            body = child
        else:
            raise XRoadError(
                Code.INVALID_SOAP, f"Malformed SOAP message: unexpected {name.localname}"
            )
    if body is None:
        raise XRoadError(Code.MISSING_BODY, "Malformed SOAP message: body missing")
    return header, body


def _fault_of(body: etree._Element, xml: bytes) -> SoapFault | None:
    children = xmlsafe.elements(body)
    if len(children) != 1 or etree.QName(children[0]) != etree.QName(NS_SOAP11, "Fault"):
        return None
    fields: dict[str, etree._Element] = {}
    for child in xmlsafe.elements(children[0]):
        fields[etree.QName(child).localname] = child
    code_el = fields.get("faultcode")
    string_el = fields.get("faultstring")
    if code_el is None or string_el is None:
        raise XRoadError(
            Code.INVALID_SOAP, "Malformed SOAP fault: faultcode or faultstring missing"
        )
    actor_el = fields.get("faultactor")
    detail_el = fields.get("detail")
    detail = None
    if detail_el is not None:
        detail = xmlsafe.text_of(detail_el).strip() or None
    return SoapFault(
        code=(code_el.text or "").strip(),
        string=(string_el.text or "").strip(),
        actor=(actor_el.text or "").strip() if actor_el is not None else None,
        detail=detail,
        xml=xml,
    )


def _parse_header(header_el: etree._Element) -> SoapHeader:
    found: dict[str, etree._Element] = {}
    for child in xmlsafe.elements(header_el):
        name = etree.QName(child)
        known = (name.namespace == NS_XROAD and name.localname in _XROAD_FIELDS) or (
            name.namespace == NS_REPR and name.localname == "representedParty"
        )
        if not known:
            continue  # other SOAP headers are allowed and passed through (pr-mess §2.4.1)
        if name.localname in found:
            raise XRoadError(
                Code.DUPLICATE_HEADER_FIELD,
                f"SOAP header contains duplicate field '{name.localname}'",
            )
        found[name.localname] = child
    for field_name in _REQUIRED_FIELDS:
        if field_name not in found:
            raise XRoadError(Code.MISSING_HEADER_FIELD, f"Required field '{field_name}' is missing")
    if "service" not in found:
        raise XRoadError(Code.MISSING_HEADER_FIELD, "Message header must contain service id")
    version = _text(found["protocolVersion"])
    if version != PROTOCOL_VERSION:
        raise XRoadError(
            Code.INVALID_PROTOCOL_VERSION, f"Unsupported protocol version '{version[:40]}'"
        )
    return SoapHeader(
        client=_identifier(found["client"], ids.client_from_xml),
        service=_identifier(found["service"], ids.service_from_xml),
        id=_text(found["id"]),
        protocol_version=version,
        user_id=_optional_text(found.get("userId")),
        issue=_optional_text(found.get("issue")),
        request_hash=_request_hash(found.get("requestHash")),
        security_server=_optional_identifier(found.get("securityServer")),
        represented_party=_represented_party(found.get("representedParty")),
    )


def _identifier(element: etree._Element, decode: Callable[[etree._Element], Any]) -> Any:
    try:
        return decode(element)
    except XRoadError as exc:
        # An identifier that does not decode is a malformed header (pr-mess Annex A).
        name = etree.QName(element).localname
        raise XRoadError(exc.code, f"Malformed xroad:{name}: {exc.message}") from None


def _optional_identifier(element: etree._Element | None) -> ids.SecurityServerId | None:
    if element is None:
        return None
    result: ids.SecurityServerId = _identifier(element, ids.server_from_xml)
    return result


def _text(element: etree._Element) -> str:
    return xmlsafe.text_of(element)


def _optional_text(element: etree._Element | None) -> str | None:
    return None if element is None else _text(element)


def _request_hash(element: etree._Element | None) -> RequestHash | None:
    if element is None:
        return None
    return RequestHash(_text(element).strip(), element.get("algorithmId"))


def _represented_party(element: etree._Element | None) -> RepresentedParty | None:
    if element is None:
        return None
    fields = {
        etree.QName(child).localname: _text(child)
        for child in xmlsafe.elements(element)
        if etree.QName(child).namespace == NS_REPR
    }
    if not fields.get("partyCode"):
        raise XRoadError(Code.MISSING_HEADER_FIELD, "representedParty lacks partyCode")
    return RepresentedParty(fields["partyCode"], fields.get("partyClass"))


def _single_body_child(body: etree._Element) -> etree._Element:
    children = xmlsafe.elements(body)
    if len(children) != 1:
        raise XRoadError(
            Code.INVALID_BODY,
            "Malformed SOAP message: body must have exactly one child element",
        )
    return children[0]


def _is_rpc(root: etree._Element, body: etree._Element, child: etree._Element) -> bool:
    return any(el.get(_ENCODING_STYLE) for el in (root, body, child))
