"""Metaservice bodies of the SOAP side (pr-meta §2-§4, Annex A and B): sans-IO codecs.

``listClients`` is plain HTTP (an XML ``clientList``); ``listMethods`` / ``allowedMethods`` /
``getWsdl`` are X-Road SOAP messages whose answers keep the request's header and replace the
body (the reference builds them from the request the same way). Elements are in the X-Road
namespace ``http://x-road.eu/xsd/xroad.xsd``, identifiers in ``.../identifiers`` (Annex A).
The JSON forms (``listClients`` with ``Accept: application/json``, and the REST
``listMethods`` / ``allowedMethods`` of pr-mrest §4) use the snake_case keys of the examples in
pr-meta Annex C.1 and pr-mrest Annex B.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.identifiers import (
    NS_ID,
    NS_XROAD,
    ClientId,
    ObjectType,
    ServiceId,
    client_from_xml,
    to_xml,
)
from vdx.identifiers.xml import service_from_xml
from vdx.message.soap_model import NS_SOAP11, PROTOCOL_VERSION, SoapMessage

LIST_CLIENTS = "listClients"
LIST_CENTRAL_SERVICES = "listCentralServices"
LIST_METHODS = "listMethods"
ALLOWED_METHODS = "allowedMethods"
GET_WSDL = "getWsdl"
GET_OPENAPI = "getOpenAPI"
SOAP_METASERVICES = frozenset({LIST_METHODS, ALLOWED_METHODS, GET_WSDL})
REST_METASERVICES = frozenset({LIST_METHODS, ALLOWED_METHODS, GET_OPENAPI})
# pr-meta §4 "WSDL-information modifications": the service's real address stays hidden.
HIDDEN_ENDPOINT = "http://example.org/xroad-endpoint"
WSDL_CONTENT_TYPE = "text/xml"

_NSMAP = {"xroad": NS_XROAD, "id": NS_ID}
_BODY = f"{{{NS_SOAP11}}}Body"
_NS_WSDL_SOAP = (
    "http://schemas.xmlsoap.org/wsdl/soap/",
    "http://schemas.xmlsoap.org/wsdl/soap12/",
)


def _x(name: str) -> str:
    return f"{{{NS_XROAD}}}{name}"


def _tostring(root: etree._Element, encoding: str = "UTF-8") -> bytes:
    data = etree.tostring(root.getroottree(), xml_declaration=True, encoding=encoding)
    if not isinstance(data, bytes):  # unreachable: an encoding was given
        raise TypeError("serialised XML is not bytes")
    return data


# ---------------------------------------------------------------- listClients (§2, Annex A)


@dataclass(frozen=True, slots=True)
class ClientListEntry:
    """One ``member`` of a ``clientList``: a member or subsystem with its names."""

    client_id: ClientId
    name: str | None = None
    subsystem_name: str | None = None


def encode_client_list(entries: Sequence[ClientListEntry]) -> bytes:
    """The ``xroad:clientList`` document (Annex A ``ClientListType``)."""
    root = etree.Element(_x("clientList"), nsmap=_NSMAP)
    for entry in entries:
        member = etree.SubElement(root, _x("member"))
        member.append(to_xml(entry.client_id, _x("id"), _NSMAP))
        if entry.name is not None:
            etree.SubElement(member, _x("name")).text = entry.name
        if entry.subsystem_name is not None:
            etree.SubElement(member, _x("subsystemName")).text = entry.subsystem_name
    return _tostring(root)


def decode_client_list(
    data: bytes, limits: xmlsafe.XmlLimits | None = None
) -> tuple[ClientListEntry, ...]:
    """Parse a ``clientList`` (untrusted bytes); raises ``XRoadError`` only."""
    root = xmlsafe.parse(data, limits)
    if root.tag != _x("clientList"):
        raise XRoadError(Code.INVALID_XML, "Not an xroad:clientList document")
    entries = []
    for member in xmlsafe.elements(root):
        if member.tag != _x("member"):
            continue
        found = {child.tag: child for child in xmlsafe.elements(member)}
        id_element = found.get(_x("id"))
        if id_element is None:
            raise XRoadError(Code.INVALID_XML, "clientList member without id")
        name = found.get(_x("name"))
        subsystem = found.get(_x("subsystemName"))
        entries.append(
            ClientListEntry(
                client_from_xml(id_element),
                xmlsafe.text_of(name) if name is not None else None,
                xmlsafe.text_of(subsystem) if subsystem is not None else None,
            )
        )
    return tuple(entries)


def encode_central_service_list() -> bytes:
    """``listCentralServices``: always empty, since central services are gone from X-Road 7
    (pr-meta 2.12); the reference's client proxy still answers the path, in XML only
    (pr-mrest §3)."""
    return _tostring(etree.Element(_x("centralServiceList"), nsmap=_NSMAP))


# ---------------------------------------------------------------- SOAP answers (§3, §4)


def _rewrite_body(
    request: SoapMessage,
    limits: xmlsafe.XmlLimits | None,
    fill: Callable[[etree._Element, etree._Element], None],
) -> bytes:
    """The request with its header kept and its body rebuilt by ``fill(body, old_child)``."""
    root = xmlsafe.parse(request.xml, limits, encoding=request.charset)
    body = root.find(_BODY)
    children = xmlsafe.elements(body) if body is not None else []
    if body is None or len(children) != 1:  # unreachable: a parsed SoapMessage has one
        raise XRoadError(Code.INVALID_BODY, "SOAP body must have exactly one child element")
    old = children[0]
    body.remove(old)
    body.text = None
    fill(body, old)
    return _tostring(root, request.charset.upper())


def method_list_response(
    request: SoapMessage,
    services: Sequence[ServiceId],
    limits: xmlsafe.XmlLimits | None = None,
) -> bytes:
    """Answer to ``listMethods`` / ``allowedMethods``: ``xroad:<code>Response`` with one
    ``xroad:service`` per service (§3 ``MethodListType``)."""
    code = request.header.service.service_code

    def fill(body: etree._Element, _old: etree._Element) -> None:
        answer = etree.SubElement(body, _x(f"{code}Response"), nsmap=_NSMAP)
        for service in services:
            answer.append(to_xml(service, _x("service"), _NSMAP))

    return _rewrite_body(request, limits, fill)


def decode_method_list(
    message: SoapMessage, limits: xmlsafe.XmlLimits | None = None
) -> tuple[ServiceId, ...]:
    """The services of a ``listMethodsResponse`` / ``allowedMethodsResponse`` (untrusted)."""
    root = xmlsafe.parse(message.xml, limits, encoding=message.charset)
    body = root.find(_BODY)
    children = xmlsafe.elements(body) if body is not None else []
    if len(children) != 1 or etree.QName(children[0]).localname not in (
        f"{LIST_METHODS}Response",
        f"{ALLOWED_METHODS}Response",
    ):
        raise XRoadError(Code.INVALID_BODY, "Not a method list response")
    return tuple(
        service_from_xml(child)
        for child in xmlsafe.elements(children[0])
        if child.tag == _x("service")
    )


@dataclass(frozen=True, slots=True)
class WsdlRequest:
    """The body of ``getWsdl``: which service's description (§4)."""

    service_code: str
    service_version: str | None = None


def decode_wsdl_request(
    message: SoapMessage, limits: xmlsafe.XmlLimits | None = None
) -> WsdlRequest:
    """Read ``getWsdl/serviceCode`` and the optional ``serviceVersion`` (untrusted)."""
    root = xmlsafe.parse(message.xml, limits, encoding=message.charset)
    body = root.find(_BODY)
    children = xmlsafe.elements(body) if body is not None else []
    fields: dict[str, str] = {}
    if children:
        for child in xmlsafe.elements(children[0]):
            name = etree.QName(child)
            if name.namespace == NS_XROAD and name.localname in ("serviceCode", "serviceVersion"):
                # Kept verbatim, as identifier fields are (vdx.identifiers.xml).
                fields.setdefault(name.localname, xmlsafe.text_of(child))
    code = fields.get("serviceCode")
    if code is None or not code.strip():
        # The reference's words for the same refusal (MetadataServiceHandlerImpl).
        raise XRoadError(Code.INVALID_REQUEST, "Missing serviceCode in message body")
    return WsdlRequest(code, fields.get("serviceVersion") or None)


def wsdl_response(request: SoapMessage, limits: xmlsafe.XmlLimits | None = None) -> bytes:
    """The SOAP part of the ``getWsdl`` answer: the request's body element renamed
    ``getWsdlResponse``, its children kept (Annex C.7); the WSDL travels as an attachment."""

    def fill(body: etree._Element, old: etree._Element) -> None:
        name = etree.QName(old)
        old.tag = etree.QName(name.namespace, f"{name.localname}Response").text
        body.append(old)

    return _rewrite_body(request, limits, fill)


def encode_wsdl_request(
    client: ClientId,
    service: ServiceId,
    wanted: WsdlRequest,
    *,
    message_id: str,
    user_id: str,
) -> bytes:
    """A ``getWsdl`` request message (Annex C.6); ``service`` is the provider's ``getWsdl``."""
    envelope = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap={"SOAP-ENV": NS_SOAP11, **_NSMAP})
    header = etree.SubElement(envelope, f"{{{NS_SOAP11}}}Header")
    header.append(to_xml(client, _x("client"), _NSMAP))
    header.append(to_xml(service, _x("service"), _NSMAP))
    etree.SubElement(header, _x("userId")).text = user_id
    etree.SubElement(header, _x("id")).text = message_id
    etree.SubElement(header, _x("protocolVersion")).text = PROTOCOL_VERSION
    body = etree.SubElement(envelope, f"{{{NS_SOAP11}}}Body")
    request = etree.SubElement(body, _x(GET_WSDL))
    etree.SubElement(request, _x("serviceCode")).text = wanted.service_code
    if wanted.service_version is not None:
        etree.SubElement(request, _x("serviceVersion")).text = wanted.service_version
    return _tostring(envelope)


def hide_wsdl_endpoints(wsdl: bytes, limits: xmlsafe.XmlLimits | None = None) -> bytes:
    """The WSDL with every ``soap:address/@location`` set to :data:`HIDDEN_ENDPOINT`."""
    root = xmlsafe.parse(wsdl, limits)
    for ns in _NS_WSDL_SOAP:
        for address in root.iter(f"{{{ns}}}address"):
            if address.get("location") is not None:
                address.set("location", HIDDEN_ENDPOINT)
    return _tostring(root)


# ---------------------------------------------------------------- JSON forms


def _json_id(client: ClientId) -> dict[str, str]:
    found = {
        "member_class": client.member_class,
        "member_code": client.member_code,
        "object_type": str(client.object_type),
        "xroad_instance": client.instance,
    }
    if client.subsystem_code is not None:
        found["subsystem_code"] = client.subsystem_code
    return found


def encode_client_list_json(entries: Sequence[ClientListEntry]) -> bytes:
    """``clientList`` as JSON (pr-meta §2 and Annex B OpenAPI ``clientList``)."""
    members = []
    for entry in entries:
        member: dict[str, object] = {"id": _json_id(entry.client_id)}
        if entry.name is not None:
            member["name"] = entry.name
        if entry.subsystem_name is not None:
            member["subsystem_name"] = entry.subsystem_name
        members.append(member)
    return json.dumps({"member": members}, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class RestServiceDetails:
    """One REST service of a provider with its endpoints (pr-mrest §4, Annex B)."""

    service_id: ServiceId
    service_type: str  # "REST" or "OPENAPI" (the reference's RestServiceType)
    endpoints: tuple[tuple[str, str], ...] = ()  # (method, path)


def encode_rest_services(services: Sequence[RestServiceDetails]) -> bytes:
    """The ``listMethods`` / ``allowedMethods`` answer of the REST side."""
    listed = []
    for details in services:
        service = details.service_id
        item: dict[str, object] = {**_json_id(service.provider), "object_type": "SERVICE"}
        item["service_code"] = service.service_code
        if service.service_version is not None:
            item["service_version"] = service.service_version
        item["service_type"] = details.service_type
        item["endpoint_list"] = [{"method": m, "path": p} for m, p in details.endpoints]
        listed.append(item)
    return json.dumps({"service": listed}, ensure_ascii=False).encode("utf-8")


def _str(item: dict[str, object], key: str, *, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise XRoadError(Code.INVALID_MESSAGE, f"Service list entry lacks text {key!r}")
    return value


def _details(item: object) -> RestServiceDetails:
    if not isinstance(item, dict) or item.get("object_type") != str(ObjectType.SERVICE):
        raise XRoadError(Code.INVALID_MESSAGE, "Service list entry is not a SERVICE object")
    provider = ClientId(
        str(_str(item, "xroad_instance")),
        str(_str(item, "member_class")),
        str(_str(item, "member_code")),
        _str(item, "subsystem_code", required=False),
    )
    service = ServiceId(
        provider, str(_str(item, "service_code")), _str(item, "service_version", required=False)
    )
    raw = item.get("endpoint_list", [])
    if not isinstance(raw, list):
        raise XRoadError(Code.INVALID_MESSAGE, "endpoint_list is not a list")
    endpoints = []
    for endpoint in raw:
        if not isinstance(endpoint, dict):
            raise XRoadError(Code.INVALID_MESSAGE, "Endpoint is not an object")
        endpoints.append((str(_str(endpoint, "method")), str(_str(endpoint, "path"))))
    return RestServiceDetails(service, str(_str(item, "service_type")), tuple(endpoints))


def decode_rest_services(
    data: bytes, max_bytes: int = 10 * 1024 * 1024
) -> tuple[RestServiceDetails, ...]:
    """Parse a REST service list (untrusted bytes); raises ``XRoadError`` only."""
    if len(data) > max_bytes:
        raise XRoadError(Code.INVALID_MESSAGE, f"Service list larger than {max_bytes} bytes")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise XRoadError(Code.INVALID_MESSAGE, "Service list is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("service"), list):
        raise XRoadError(Code.INVALID_MESSAGE, "Service list has no 'service' array")
    return tuple(_details(item) for item in document["service"])
