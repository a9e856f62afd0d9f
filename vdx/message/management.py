"""Management service requests (pr-mserv §2): bodies, the signed multipart, responses; sans-IO.

A security server asks the central server for registry changes with X-Road SOAP messages whose
body element is named after the service code (``xroad:authCertReg`` ...), its children in the
``xroad`` namespace in schema order, ``requestId`` (an integer) only in responses.

Every request but the deletions travels as ``multipart/related`` (pr-mserv §2.1, §2.3):

- authCertReg: SOAP, proof of possession (auth key's signature), owner's signature, auth
  certificate, owner's signing certificate, OCSP response of that certificate (six parts);
- the others: SOAP, owner's signature, owner's signing certificate, OCSP response (four parts).

Each signature part is the raw signature over the exact bytes of the SOAP part, with the Java
algorithm name in its ``signature-algorithm-id`` header. Deletions may come as plain SOAP; the
codec accepts both shapes and leaves what must be signed to the verifier.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass, field, replace

from lxml import etree

from vdx import identifiers as ids
from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.identifiers import NS_ID, NS_XROAD, ClientId, SecurityServerId
from vdx.message import multipart, requesthash
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import NS_SOAP11, SoapFault, SoapHeader, SoapMessage

TEXT_XML = "text/xml"
OCTET_STREAM = "application/octet-stream"
SIGNATURE_ALGORITHM_HEADER = "signature-algorithm-id"
DEFAULT_MAX_BYTES = 256 * 1024
MAX_TEXT = 1000  # address, subsystem name, maintenance message


class RequestType(enum.StrEnum):
    """The management services (pr-mserv §1) by service code."""

    AUTH_CERT_REG = "authCertReg"
    CLIENT_REG = "clientReg"
    CLIENT_DELETION = "clientDeletion"
    AUTH_CERT_DELETION = "authCertDeletion"
    OWNER_CHANGE = "ownerChange"
    ADDRESS_CHANGE = "addressChange"
    CLIENT_DISABLE = "clientDisable"
    CLIENT_ENABLE = "clientEnable"
    CLIENT_RENAME = "clientRename"
    MAINTENANCE_MODE_ENABLE = "maintenanceModeEnable"
    MAINTENANCE_MODE_DISABLE = "maintenanceModeDisable"


T = RequestType
# Body fields per request type, in schema order, with "required" (pr-mserv Annex B WSDL).
# ``requestId`` (optional) follows in every type.
SCHEMA: dict[RequestType, tuple[tuple[str, bool], ...]] = {
    T.AUTH_CERT_REG: (("server", True), ("address", False), ("authCert", True)),
    T.CLIENT_REG: (("server", True), ("client", True), ("subsystemName", False)),
    T.CLIENT_DELETION: (("server", True), ("client", True)),
    T.AUTH_CERT_DELETION: (("server", True), ("authCert", True)),
    T.OWNER_CHANGE: (("server", True), ("client", True)),
    T.ADDRESS_CHANGE: (("server", True), ("address", True)),
    T.CLIENT_DISABLE: (("server", True), ("client", True)),
    T.CLIENT_ENABLE: (("server", True), ("client", True)),
    T.CLIENT_RENAME: (("server", True), ("client", True), ("subsystemName", True)),
    T.MAINTENANCE_MODE_ENABLE: (("server", True), ("message", False)),
    T.MAINTENANCE_MODE_DISABLE: (("server", True),),
}
# Types whose multipart carries the auth key's proof of possession and the auth certificate.
_WITH_AUTH_PARTS = frozenset({T.AUTH_CERT_REG})
_ATTRS = {
    "server": "server",
    "client": "client",
    "address": "address",
    "authCert": "auth_cert",
    "subsystemName": "subsystem_name",
    "message": "message",
}


@dataclass(frozen=True, slots=True)
class ManagementBody:
    """The body of one management request or response; fields absent from a type are None."""

    type: RequestType
    server: SecurityServerId
    client: ClientId | None = None
    address: str | None = None
    auth_cert: bytes | None = None
    subsystem_name: str | None = None
    message: str | None = None
    request_id: int | None = None

    def __post_init__(self) -> None:
        allowed = {_ATTRS[name] for name, _ in SCHEMA[self.type]}
        for name, required in SCHEMA[self.type]:
            if required and getattr(self, _ATTRS[name]) is None:
                raise XRoadError(Code.INVALID_BODY, f"{self.type} requires field '{name}'")
        for attr in set(_ATTRS.values()) - allowed:
            if getattr(self, attr) is not None:
                raise XRoadError(Code.INVALID_BODY, f"{self.type} has no field '{attr}'")


@dataclass(frozen=True, slots=True)
class SignaturePart:
    """A raw signature over the SOAP part and its Java algorithm name (``SHA512withRSA``)."""

    algorithm_id: str
    value: bytes


@dataclass(frozen=True, slots=True)
class ManagementRequest:
    """A decoded management request: the SOAP message (exact bytes) and its evidence parts."""

    soap: SoapMessage
    body: ManagementBody
    owner_signature: SignaturePart | None = None
    owner_cert: bytes | None = None
    owner_ocsp: bytes | None = None
    auth_signature: SignaturePart | None = None
    auth_cert_part: bytes | None = None

    @property
    def signed_data(self) -> bytes:
        """What every signature part signs: the SOAP part's bytes."""
        return self.soap.xml

    @property
    def message_id(self) -> str:
        return self.soap.header.id


@dataclass(frozen=True, slots=True)
class ManagementLimits:
    """Size limits (ARCHITECTURE rule 2); the whole body is checked before any parsing."""

    max_bytes: int = DEFAULT_MAX_BYTES
    xml: xmlsafe.XmlLimits = field(default_factory=lambda: xmlsafe.XmlLimits(max_bytes=128_000))
    multipart: multipart.MultipartLimits = field(
        default_factory=lambda: multipart.MultipartLimits(max_parts=8, max_header_bytes=4096)
    )


# --- decoding ---------------------------------------------------------------------------------


def decode_request(
    body: bytes, content_type: str | None, limits: ManagementLimits | None = None
) -> ManagementRequest:
    """Decode a management request (plain SOAP or the signed multipart); raise XRoadError."""
    limits = limits or ManagementLimits()
    if len(body) > limits.max_bytes:
        raise XRoadError(Code.INVALID_REQUEST, f"Request larger than {limits.max_bytes} bytes")
    parsed_type = multipart.parse_content_type(content_type)
    if parsed_type.media_type == TEXT_XML:
        soap = _parse_soap(body, parsed_type.charset, limits)
        request_body = decode_body(soap)
        return ManagementRequest(soap, request_body)
    if parsed_type.media_type != "multipart/related":
        raise XRoadError(
            Code.INVALID_CONTENT_TYPE, f"Invalid content type: {parsed_type.media_type[:100]}"
        )
    boundary = parsed_type.param("boundary")
    if not boundary:
        raise XRoadError(Code.INVALID_CONTENT_TYPE, "multipart/related without a boundary")
    parts = multipart.split(body, boundary, limits.multipart)
    if not parts:
        raise XRoadError(Code.MISSING_SOAP, "Multipart message has no SOAP part")
    soap_type = multipart.parse_content_type(parts[0].header("Content-Type") or TEXT_XML)
    if soap_type.media_type != TEXT_XML:
        raise XRoadError(Code.INVALID_CONTENT_TYPE, "The first part must be the SOAP message")
    soap = _parse_soap(parts[0].body, soap_type.charset, limits)
    request_body = decode_body(soap)
    with_auth = request_body.type in _WITH_AUTH_PARTS
    expected = 6 if with_auth else 4
    if len(parts) != expected:
        raise XRoadError(
            Code.INVALID_REQUEST,
            f"{request_body.type} needs {expected} MIME parts, got {len(parts)}",
        )
    rest = parts[1:]
    if with_auth:
        auth_sig, owner_sig, auth_cert, owner_cert, ocsp = rest
        return ManagementRequest(
            soap,
            request_body,
            owner_signature=_signature(owner_sig),
            owner_cert=_binary(owner_cert),
            owner_ocsp=_binary(ocsp),
            auth_signature=_signature(auth_sig),
            auth_cert_part=_binary(auth_cert),
        )
    owner_sig, owner_cert, ocsp = rest
    return ManagementRequest(
        soap,
        request_body,
        owner_signature=_signature(owner_sig),
        owner_cert=_binary(owner_cert),
        owner_ocsp=_binary(ocsp),
    )


def _parse_soap(xml: bytes, charset: str | None, limits: ManagementLimits) -> SoapMessage:
    soap = parse_envelope(xml, charset, limits.xml)
    if isinstance(soap, SoapFault):
        raise XRoadError(Code.INVALID_REQUEST, "A SOAP fault is not a management request")
    return soap


def _binary(part: multipart.Part) -> bytes:
    media = multipart.parse_content_type(part.header("Content-Type") or OCTET_STREAM)
    if media.media_type != OCTET_STREAM:
        raise XRoadError(Code.INVALID_CONTENT_TYPE, f"Part must be {OCTET_STREAM}")
    if not part.body:
        raise XRoadError(Code.INVALID_REQUEST, "Empty MIME part")
    return part.body


def _signature(part: multipart.Part) -> SignaturePart:
    algorithm = (part.header(SIGNATURE_ALGORITHM_HEADER) or "").strip()
    if not algorithm:
        raise XRoadError(
            Code.INVALID_REQUEST, f"Signature part without {SIGNATURE_ALGORITHM_HEADER}"
        )
    return SignaturePart(algorithm[:100], _binary(part))


def _body_element(soap: SoapMessage) -> etree._Element:
    # parse_envelope has checked the envelope; parse again to reach the body element.
    root = xmlsafe.parse(soap.xml, encoding=soap.charset)
    for child in xmlsafe.elements(root):
        if etree.QName(child) == etree.QName(NS_SOAP11, "Body"):
            return xmlsafe.elements(child)[0]
    raise XRoadError(Code.MISSING_BODY, "Malformed SOAP message: body missing")  # pragma: no cover


def decode_body(soap: SoapMessage, *, response: bool = False) -> ManagementBody:
    """The management body of a parsed SOAP message (request, or response with requestId)."""
    name = soap.body_name.removesuffix("Response") if response else soap.body_name
    if soap.body_namespace != NS_XROAD:
        raise XRoadError(Code.INVALID_BODY, "Management body must be in the xroad namespace")
    try:
        kind = RequestType(name)
    except ValueError:
        raise XRoadError(
            Code.UNKNOWN_SERVICE, f"Unknown management service {name[:60]!r}"
        ) from None
    if soap.header.service.service_code != kind or soap.body_name != (
        f"{kind}Response" if response else kind
    ):
        raise XRoadError(Code.INCONSISTENT_HEADERS, "Service code does not match the body")
    return _read_fields(kind, _body_element(soap))


def _read_fields(kind: RequestType, element: etree._Element) -> ManagementBody:
    schema = [*SCHEMA[kind], ("requestId", False)]
    values: dict[str, object] = {}
    at = 0
    for child in xmlsafe.elements(element):
        qname = etree.QName(child)
        if qname.namespace != NS_XROAD:
            raise XRoadError(Code.INVALID_BODY, f"Unexpected element {qname.localname[:60]!r}")
        while at < len(schema) and schema[at][0] != qname.localname:
            at += 1
        if at == len(schema):
            raise XRoadError(
                Code.INVALID_BODY, f"Unexpected or misplaced element {qname.localname[:60]!r}"
            )
        values[qname.localname] = _field_value(qname.localname, child)
        at += 1
    return ManagementBody(
        type=kind,
        request_id=_int_or_none(values.pop("requestId", None)),
        **{_ATTRS[k]: v for k, v in values.items()},  # type: ignore[arg-type]
    )


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _field_value(name: str, element: etree._Element) -> object:
    if name == "server":
        return ids.server_from_xml(element, Code.INVALID_BODY)
    if name == "client":
        return ids.client_from_xml(element, Code.INVALID_BODY)
    text = xmlsafe.text_of(element)
    if name == "authCert":
        compact = "".join(text.split())
        try:
            der = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise XRoadError(Code.INVALID_BODY, "authCert is not valid base64") from None
        if not der:
            raise XRoadError(Code.INVALID_BODY, "authCert is empty")
        return der
    if name == "requestId":
        stripped = text.strip()
        if not stripped.isascii() or not stripped.isdigit() or len(stripped) > 18:
            raise XRoadError(Code.INVALID_BODY, "requestId must be a non-negative integer")
        return int(stripped)
    if len(text) > MAX_TEXT or any(ch < " " and ch not in "\t\n\r" for ch in text):
        raise XRoadError(Code.INVALID_BODY, f"Field '{name}' is too long or has control chars")
    return text.strip()


# --- encoding ---------------------------------------------------------------------------------

_NSMAP = {"SOAP-ENV": NS_SOAP11, "id": NS_ID, "xroad": NS_XROAD}


def _x(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_XROAD}}}{local}")
    element.text = text
    return element


def encode_body(body: ManagementBody, *, response: bool = False) -> etree._Element:
    name = f"{body.type}Response" if response else str(body.type)
    element = etree.Element(f"{{{NS_XROAD}}}{name}", nsmap=_NSMAP)
    for field_name, _ in SCHEMA[body.type]:
        value = getattr(body, _ATTRS[field_name])
        if value is None:
            continue
        if isinstance(value, (ClientId, SecurityServerId)):
            element.append(ids.to_xml(value, f"{{{NS_XROAD}}}{field_name}", _NSMAP))
        elif isinstance(value, bytes):
            _x(element, field_name, base64.b64encode(value).decode("ascii"))
        else:
            _x(element, field_name, str(value))
    if body.request_id is not None:
        _x(element, "requestId", str(body.request_id))
    return element


def encode_envelope(
    header: SoapHeader, body: ManagementBody, *, response: bool = False, request_hash: str = ""
) -> bytes:
    """A SOAP 1.1 envelope with the X-Road header fields and the management body."""
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap=_NSMAP)
    soap_header = etree.SubElement(envelope, f"{{{NS_SOAP11}}}Header")
    soap_header.append(ids.to_xml(header.client, f"{{{NS_XROAD}}}client", _NSMAP))
    soap_header.append(ids.to_xml(header.service, f"{{{NS_XROAD}}}service", _NSMAP))
    _x(soap_header, "id", header.id)
    _x(soap_header, "protocolVersion", header.protocol_version)
    if request_hash:
        _x(soap_header, "requestHash", request_hash).set(
            "algorithmId", str(requesthash.DEFAULT_ALGORITHM)
        )
    etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body").append(encode_body(body, response=response))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def encode_request(
    soap_xml: bytes,
    *,
    owner_signature: SignaturePart | None = None,
    owner_cert: bytes | None = None,
    owner_ocsp: bytes | None = None,
    auth_signature: SignaturePart | None = None,
    auth_cert: bytes | None = None,
    boundary: str | None = None,
) -> tuple[bytes, str]:
    """Frame a request: plain SOAP without evidence, else the multipart; returns body, type."""
    if owner_signature is None:
        return soap_xml, f"{TEXT_XML}; charset=UTF-8"
    if owner_cert is None or owner_ocsp is None:
        raise ValueError("a signed request needs the signing certificate and its OCSP response")
    parts = [multipart.Part((("Content-Type", f"{TEXT_XML}; charset=UTF-8"),), soap_xml)]
    if auth_signature is not None:
        if auth_cert is None:
            raise ValueError("the proof of possession needs the authentication certificate")
        parts.append(_sig_part(auth_signature))
    parts.append(_sig_part(owner_signature))
    if auth_signature is not None and auth_cert is not None:
        parts.append(_bin_part(auth_cert))
    parts += [_bin_part(owner_cert), _bin_part(owner_ocsp)]
    boundary = boundary or multipart.new_boundary("vdxmgmt")
    return multipart.build(parts, boundary), f'multipart/related; boundary="{boundary}"'


def _sig_part(signature: SignaturePart) -> multipart.Part:
    headers = (("Content-Type", OCTET_STREAM), (SIGNATURE_ALGORITHM_HEADER, signature.algorithm_id))
    return multipart.Part(headers, signature.value)


def _bin_part(data: bytes) -> multipart.Part:
    return multipart.Part((("Content-Type", OCTET_STREAM),), data)


def encode_response(request: ManagementRequest, request_id: int) -> bytes:
    """The response (pr-mserv §2): the request's header and fields echoed, plus requestId."""
    body = replace(request.body, request_id=request_id)
    return encode_envelope(
        request.soap.header,
        body,
        response=True,
        request_hash=requesthash.compute(request.soap.xml),
    )


def decode_response(xml: bytes, limits: ManagementLimits | None = None) -> ManagementBody:
    """Decode a management response (for a client, and the round-trip tests)."""
    limits = limits or ManagementLimits()
    soap = parse_envelope(xml, None, limits.xml)
    if isinstance(soap, SoapFault):
        raise XRoadError(soap.code or Code.INVALID_RESPONSE, soap.string or "SOAP fault")
    body = decode_body(soap, response=True)
    if body.request_id is None:
        raise XRoadError(Code.INVALID_RESPONSE, "Management response without requestId")
    return body
