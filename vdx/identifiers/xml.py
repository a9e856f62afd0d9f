"""The XML form of identifiers (pr-mess Annex A, ``identifiers.xsd``).

An identifier element carries ``id:objectType`` and ``id:*`` children. Decoding follows the
reference implementation's reader: children it does not know are ignored and their order is
not enforced, but a missing or unknown ``objectType`` and a repeated part are errors (both
``InvalidXml``; a SOAP header reports the repeat as ``DuplicateHeaderField``).
"""

from __future__ import annotations

from lxml import etree

from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.identifiers.model import (
    ClientId,
    GlobalGroupId,
    Identifier,
    LocalGroupId,
    ObjectType,
    SecurityServerId,
    ServiceId,
)

NS_ID = "http://x-road.eu/xsd/identifiers"
NS_XROAD = "http://x-road.eu/xsd/xroad.xsd"
NS_REPR = "http://x-road.eu/xsd/representation.xsd"
OBJECT_TYPE_ATTR = f"{{{NS_ID}}}objectType"

_FIELDS = (
    "xRoadInstance",
    "memberClass",
    "memberCode",
    "subsystemCode",
    "groupCode",
    "serviceCode",
    "serviceVersion",
    "serverCode",
)
# objectType -> fields that must be present (identifiers.xsd restrictions)
_REQUIRED: dict[ObjectType, tuple[str, ...]] = {
    ObjectType.MEMBER: ("xRoadInstance", "memberClass", "memberCode"),
    ObjectType.SUBSYSTEM: ("xRoadInstance", "memberClass", "memberCode", "subsystemCode"),
    ObjectType.SERVICE: ("xRoadInstance", "memberClass", "memberCode", "serviceCode"),
    ObjectType.SERVER: ("xRoadInstance", "memberClass", "memberCode", "serverCode"),
    ObjectType.GLOBALGROUP: ("xRoadInstance", "groupCode"),
    ObjectType.LOCALGROUP: ("groupCode",),
}


def object_type_of(element: etree._Element) -> ObjectType:
    """The ``id:objectType`` of an identifier element, or ``InvalidXml``."""
    raw = element.get(OBJECT_TYPE_ATTR)
    if raw is None:
        raise XRoadError(Code.INVALID_XML, f"Missing objectType attribute in {_local(element)}")
    try:
        return ObjectType(raw)
    except ValueError:
        raise XRoadError(Code.INVALID_XML, f"Unknown objectType {raw[:40]!r}") from None


def _fields_of(element: etree._Element, duplicate_code: Code) -> dict[str, str]:
    fields: dict[str, str] = {}
    for child in xmlsafe.elements(element):
        name = etree.QName(child)
        if name.namespace != NS_ID or name.localname not in _FIELDS:
            continue
        if name.localname in fields:
            raise XRoadError(
                duplicate_code, f"Identifier {_local(element)} repeats {name.localname}"
            )
        fields[name.localname] = xmlsafe.text_of(child)
    return fields


def from_xml(
    element: etree._Element,
    allowed: frozenset[ObjectType] | None = None,
    duplicate_code: Code = Code.INVALID_XML,
) -> Identifier:
    """Decode an identifier element; ``allowed`` restricts the object types accepted."""
    object_type = object_type_of(element)
    if allowed is not None and object_type not in allowed:
        raise XRoadError(
            Code.INVALID_XML, f"Unexpected objectType {object_type} in {_local(element)}"
        )
    f = _fields_of(element, duplicate_code)
    missing = [name for name in _REQUIRED[object_type] if name not in f]
    if missing:
        raise XRoadError(
            Code.INVALID_XML, f"{object_type} identifier {_local(element)} lacks {missing[0]}"
        )
    if object_type is ObjectType.GLOBALGROUP:
        return GlobalGroupId(f["xRoadInstance"], f["groupCode"])
    if object_type is ObjectType.LOCALGROUP:
        return LocalGroupId(f["groupCode"])
    subsystem = f.get("subsystemCode") if object_type is not ObjectType.SERVER else None
    client = ClientId(f["xRoadInstance"], f["memberClass"], f["memberCode"], subsystem)
    if object_type is ObjectType.SERVICE:
        return ServiceId(client, f["serviceCode"], f.get("serviceVersion"))
    if object_type is ObjectType.SERVER:
        return SecurityServerId(client, f["serverCode"])
    return client


_CLIENT_TYPES = frozenset({ObjectType.MEMBER, ObjectType.SUBSYSTEM})


def client_from_xml(element: etree._Element, duplicate_code: Code = Code.INVALID_XML) -> ClientId:
    identifier = from_xml(element, _CLIENT_TYPES, duplicate_code)
    assert isinstance(identifier, ClientId)  # noqa: S101 - guaranteed by `allowed`
    return identifier


def service_from_xml(element: etree._Element, duplicate_code: Code = Code.INVALID_XML) -> ServiceId:
    identifier = from_xml(element, frozenset({ObjectType.SERVICE}), duplicate_code)
    assert isinstance(identifier, ServiceId)  # noqa: S101 - guaranteed by `allowed`
    return identifier


def server_from_xml(
    element: etree._Element, duplicate_code: Code = Code.INVALID_XML
) -> SecurityServerId:
    identifier = from_xml(element, frozenset({ObjectType.SERVER}), duplicate_code)
    assert isinstance(identifier, SecurityServerId)  # noqa: S101 - guaranteed by `allowed`
    return identifier


def _xml_fields(identifier: Identifier) -> list[tuple[str, str | None]]:
    if isinstance(identifier, ClientId):
        return [
            ("xRoadInstance", identifier.instance),
            ("memberClass", identifier.member_class),
            ("memberCode", identifier.member_code),
            ("subsystemCode", identifier.subsystem_code),
        ]
    if isinstance(identifier, ServiceId):
        return [
            *_xml_fields(identifier.provider),
            ("serviceCode", identifier.service_code),
            ("serviceVersion", identifier.service_version),
        ]
    if isinstance(identifier, SecurityServerId):
        return [*_xml_fields(identifier.owner), ("serverCode", identifier.server_code)]
    if isinstance(identifier, GlobalGroupId):
        return [("xRoadInstance", identifier.instance), ("groupCode", identifier.group_code)]
    return [("groupCode", identifier.group_code)]


def to_xml(identifier: Identifier, tag: str, nsmap: dict[str, str] | None = None) -> etree._Element:
    """Encode ``identifier`` as element ``tag`` (Clark notation), children in xsd order."""
    element = etree.Element(tag, nsmap=nsmap or {"id": NS_ID})
    element.set(OBJECT_TYPE_ATTR, str(identifier.object_type))
    for name, value in _xml_fields(identifier):
        if value is not None:
            etree.SubElement(element, f"{{{NS_ID}}}{name}").text = value
    return element


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname
