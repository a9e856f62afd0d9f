"""Parse SOAP message protocol 4.0 envelopes (pr-mess §2), namespace-aware, sans-IO.

Header elements are matched by namespace and local name, never by prefix, so any prefix and a
default namespace work. The exact bytes are kept: the request hash and the signature cover them.

The order of the checks follows the reference implementation's streaming parser, so that a
message with several faults gets the same verdict: errors visible at an element (a repeated
header field, an identifier's ``objectType``, the protocol version, a second body element)
are raised in document order; what can only be known at the end is checked last, in the order
header, protocolVersion, client, id, service, body, body element, body name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

_XROAD_FIELDS = frozenset(
    {"client", "service", "id", "userId", "issue", "protocolVersion", "requestHash"}
    | {"securityServer"}
)
_ENCODING_STYLE = f"{{{NS_SOAP11}}}encodingStyle"
_DUP = Code.DUPLICATE_HEADER_FIELD


def parse_envelope(
    xml: bytes, charset: str | None = None, limits: xmlsafe.XmlLimits | None = None
) -> SoapMessage | SoapFault:
    """Parse one SOAP part: an X-Road message or a SOAP fault."""
    try:
        root = xmlsafe.parse(xml, limits, encoding=charset)
    except XRoadError as error:
        # The reference reports any XML-level fault of a SOAP document as InvalidSoap.
        raise XRoadError(Code.INVALID_SOAP, f"Malformed SOAP message: {error.message}") from None
    root_name = etree.QName(root)
    if root_name.localname != "Envelope" or root_name.namespace not in (NS_SOAP11, NS_SOAP12):
        raise XRoadError(Code.INVALID_SOAP, "Malformed SOAP message: envelope missing")
    if root_name.namespace == NS_SOAP12:
        # X-Road 4.0 is a profile of SOAP 1.1 (pr-mess §1); SOAP 1.2 is not accepted.
        raise XRoadError(Code.INVALID_SOAP, "SOAP 1.2 envelopes are not supported, use SOAP 1.1")
    scan = _Scan()
    for child in xmlsafe.elements(root):
        name = etree.QName(child)
        if name.namespace != NS_SOAP11:
            continue
        if name.localname == "Header" and scan.header is None:
            scan.header = child
            scan.read_header(child)
        elif name.localname == "Body" and scan.body is None:
            scan.body = child
            scan.read_body(child)
    if scan.fault is not None:
        return _fault(scan.fault, xml)
    header = scan.finish()
    assert scan.body_child is not None  # noqa: S101 - finish() guarantees it
    body_name = etree.QName(scan.body_child)
    return SoapMessage(
        header=header,
        xml=xml,
        charset=(charset or root.getroottree().docinfo.encoding or "utf-8").lower(),
        body_name=body_name.localname,
        body_namespace=body_name.namespace,
        is_rpc_encoded=any(
            el.get(_ENCODING_STYLE) for el in (root, scan.body, scan.body_child) if el is not None
        ),
    )


@dataclass
class _Scan:
    """State of one pass over the envelope in document order."""

    header: etree._Element | None = None
    body: etree._Element | None = None
    body_child: etree._Element | None = None
    fault: etree._Element | None = None
    fields: dict[str, etree._Element] = field(default_factory=dict)
    client: ids.ClientId | None = None
    service: ids.ServiceId | None = None
    security_server: ids.SecurityServerId | None = None

    def read_header(self, header: etree._Element) -> None:
        for child in xmlsafe.elements(header):
            name = etree.QName(child)
            known = (name.namespace == NS_XROAD and name.localname in _XROAD_FIELDS) or (
                name.namespace == NS_REPR and name.localname == "representedParty"
            )
            if not known:
                continue  # other headers are allowed and passed through (pr-mess §2.4.1)
            if name.localname in self.fields:
                raise XRoadError(_DUP, f"SOAP header contains duplicate field '{name.localname}'")
            self.fields[name.localname] = child
            self._read_field(name.localname, child)

    def _read_field(self, name: str, element: etree._Element) -> None:
        if name == "client":
            self.client = ids.client_from_xml(element, _DUP)
        elif name == "service":
            self.service = ids.service_from_xml(element, _DUP)
        elif name == "securityServer":
            self.security_server = ids.server_from_xml(element, _DUP)
        elif name == "protocolVersion":
            version = _text(element)
            # 4.x minor versions are compatible with each other (pr-mess §1.3).
            if not version.startswith("4."):
                raise XRoadError(
                    Code.INVALID_PROTOCOL_VERSION,
                    f"Invalid protocol version (supported: {PROTOCOL_VERSION}, "
                    f"provided: {version[:40]})",
                )

    def read_body(self, body: etree._Element) -> None:
        children = xmlsafe.elements(body)
        if children and etree.QName(children[0]) == etree.QName(NS_SOAP11, "Fault"):
            self.fault = children[0]
            return
        if len(children) > 1:
            raise XRoadError(
                Code.INVALID_BODY,
                "Malformed SOAP message: body must have exactly one child element",
            )
        self.body_child = children[0] if children else None

    def finish(self) -> SoapHeader:
        if self.header is None:
            raise XRoadError(Code.MISSING_HEADER, "Malformed SOAP message: header missing")
        for required in ("protocolVersion", "client", "id"):
            if required not in self.fields:
                raise XRoadError(
                    Code.MISSING_HEADER_FIELD, f"Required field '{required}' is missing"
                )
        if self.service is None:
            raise XRoadError(Code.MISSING_HEADER_FIELD, "Message header must contain service id")
        if self.body is None:
            raise XRoadError(Code.MISSING_BODY, "Malformed SOAP message: body missing")
        if self.body_child is None:
            raise XRoadError(
                Code.INVALID_BODY,
                "Malformed SOAP message: body must have exactly one child element",
            )
        # The wrapper is named after the service code, plus "Response" in a response
        # (pr-mess §2.6); the reference accepts any name that starts with the code.
        if not etree.QName(self.body_child).localname.startswith(self.service.service_code):
            raise XRoadError(
                Code.INCONSISTENT_HEADERS,
                "Malformed SOAP message: service code does not match in header and body",
            )
        assert self.client is not None  # noqa: S101 - "client" is in fields
        f = self.fields
        return SoapHeader(
            client=self.client,
            service=self.service,
            id=_text(f["id"]),
            protocol_version=_text(f["protocolVersion"]),
            user_id=_optional_text(f.get("userId")),
            issue=_optional_text(f.get("issue")),
            request_hash=_request_hash(f.get("requestHash")),
            security_server=self.security_server,
            represented_party=_represented_party(f.get("representedParty")),
        )


def _fault(fault_el: etree._Element, xml: bytes) -> SoapFault:
    fields: dict[str, etree._Element] = {}
    for child in xmlsafe.elements(fault_el):
        fields.setdefault(etree.QName(child).localname, child)
    detail_el = fields.get("detail")
    detail = None
    if detail_el is not None:
        # X-Road puts the fault's UUID in detail/faultDetail; other services write anything.
        inner = [
            c for c in xmlsafe.elements(detail_el) if etree.QName(c).localname == "faultDetail"
        ]
        detail = _text(inner[0] if inner else detail_el).strip() or None
    return SoapFault(
        code=_stripped(fields.get("faultcode")),
        string=_stripped(fields.get("faultstring")),
        actor=_stripped(fields["faultactor"]) if "faultactor" in fields else None,
        detail=detail,
        xml=xml,
    )


def _text(element: etree._Element) -> str:
    return xmlsafe.text_of(element)


def _stripped(element: etree._Element | None) -> str:
    return "" if element is None else _text(element).strip()


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
        raise XRoadError(Code.MISSING_HEADER_FIELD, "Required field 'partyCode' is missing")
    return RepresentedParty(fields["partyCode"], fields.get("partyClass"))
