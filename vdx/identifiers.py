"""X-Road identifiers: clients, services, security servers, global and local groups.

Three encodings exist on the wire and in tools:

* XML: an element with an ``id:objectType`` attribute and ``id:*`` children in the order of
  ``identifiers.xsd`` (message protocol 4.0, Annex A);
* the ``/`` form of REST headers and ``/r1/`` paths (REST message protocol r1, §4), e.g.
  ``EE/GOV/1234/SUB``;
* the ``:`` form of the admin APIs, e.g. ``EE:GOV:1234:SUB``; a service there is
  ``EE:GOV:1234:SUB:getRandom.v1`` (service code and version joined by a dot).

Parsing validates characters: the separators of these forms, ``%`` (the percent-encoding
escape), ``;``, ``\\`` and non-printable characters can never be part of an identifier. New
identifiers created by an operator must in addition use only the restricted set of REST r1
§4.8 (letters, digits and ``'()+,-.=?``); :func:`check_strict` enforces that.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from lxml import etree

from vdx import xmlsafe
from vdx.errors import Code, XRoadError

NS_ID = "http://x-road.eu/xsd/identifiers"
NS_XROAD = "http://x-road.eu/xsd/xroad.xsd"
NS_REPR = "http://x-road.eu/xsd/representation.xsd"

_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f:;/\\%]")
_STRICT = re.compile(r"[A-Za-z0-9'()+,\-.=?]+")


class ObjectType(enum.StrEnum):
    """Values of ``id:objectType`` (identifiers.xsd, XRoadObjectType)."""

    MEMBER = "MEMBER"
    SUBSYSTEM = "SUBSYSTEM"
    SERVER = "SERVER"
    SERVICE = "SERVICE"
    GLOBALGROUP = "GLOBALGROUP"
    LOCALGROUP = "LOCALGROUP"


def check_part(value: str, what: str) -> str:
    """Refuse an empty identifier part or one with characters no encoding can carry."""
    if not value or not value.strip():
        raise XRoadError(Code.INVALID_IDENTIFIER, f"{what} must not be empty")
    bad = _FORBIDDEN.search(value)
    if bad:
        raise XRoadError(
            Code.INVALID_IDENTIFIER,
            f"{what} contains a forbidden character {bad.group()!r}",
        )
    return value


def check_strict(value: str, what: str) -> str:
    """Refuse a part outside REST r1 §4.8's set, for identifiers an operator creates."""
    check_part(value, what)
    if not _STRICT.fullmatch(value):
        raise XRoadError(
            Code.INVALID_IDENTIFIER,
            f"{what} may contain only letters, digits and the symbols ' ( ) + , - . = ?",
        )
    return value


@dataclass(frozen=True, slots=True, order=True)
class ClientId:
    """A member (``subsystem_code`` is None) or one of its subsystems."""

    instance: str
    member_class: str
    member_code: str
    subsystem_code: str | None = None

    def __post_init__(self) -> None:
        check_part(self.instance, "xRoadInstance")
        check_part(self.member_class, "memberClass")
        check_part(self.member_code, "memberCode")
        if self.subsystem_code is not None:
            check_part(self.subsystem_code, "subsystemCode")

    @property
    def object_type(self) -> ObjectType:
        return ObjectType.MEMBER if self.subsystem_code is None else ObjectType.SUBSYSTEM

    @property
    def member(self) -> ClientId:
        """The member this client belongs to (itself when it is a member)."""
        return ClientId(self.instance, self.member_class, self.member_code)

    def parts(self) -> tuple[str, ...]:
        head = (self.instance, self.member_class, self.member_code)
        return head if self.subsystem_code is None else (*head, self.subsystem_code)

    def to_path(self) -> str:
        return "/".join(self.parts())

    def to_colon(self) -> str:
        return ":".join(self.parts())

    def __str__(self) -> str:
        return f"{self.object_type}:{self.to_path()}"


@dataclass(frozen=True, slots=True, order=True)
class ServiceId:
    """A service of a provider (member or subsystem), optionally versioned."""

    provider: ClientId
    service_code: str
    service_version: str | None = None

    def __post_init__(self) -> None:
        check_part(self.service_code, "serviceCode")
        if self.service_version is not None:
            check_part(self.service_version, "serviceVersion")

    @property
    def object_type(self) -> ObjectType:
        return ObjectType.SERVICE

    @property
    def full_code(self) -> str:
        """``code.version`` as the admin APIs and WSDL tooling write it."""
        if self.service_version is None:
            return self.service_code
        return f"{self.service_code}.{self.service_version}"

    def to_path(self) -> str:
        return "/".join((*self.provider.parts(), self.service_code))

    def to_colon(self) -> str:
        return f"{self.provider.to_colon()}:{self.full_code}"

    def __str__(self) -> str:
        suffix = "" if self.service_version is None else f"/{self.service_version}"
        return f"SERVICE:{self.to_path()}{suffix}"


@dataclass(frozen=True, slots=True, order=True)
class SecurityServerId:
    """A security server: its owner member and its server code."""

    owner: ClientId
    server_code: str

    def __post_init__(self) -> None:
        if self.owner.subsystem_code is not None:
            raise XRoadError(
                Code.INVALID_IDENTIFIER, "The owner of a security server must be a member"
            )
        check_part(self.server_code, "serverCode")

    @property
    def object_type(self) -> ObjectType:
        return ObjectType.SERVER

    def to_path(self) -> str:
        return "/".join((*self.owner.parts(), self.server_code))

    def to_colon(self) -> str:
        return ":".join((*self.owner.parts(), self.server_code))

    def __str__(self) -> str:
        return f"SERVER:{self.to_path()}"


@dataclass(frozen=True, slots=True, order=True)
class GlobalGroupId:
    """A global group, defined by the central server of ``instance``."""

    instance: str
    group_code: str

    def __post_init__(self) -> None:
        check_part(self.instance, "xRoadInstance")
        check_part(self.group_code, "groupCode")

    @property
    def object_type(self) -> ObjectType:
        return ObjectType.GLOBALGROUP

    def to_path(self) -> str:
        return f"{self.instance}/{self.group_code}"

    def to_colon(self) -> str:
        return f"{self.instance}:{self.group_code}"

    def __str__(self) -> str:
        return f"GLOBALGROUP:{self.to_path()}"


@dataclass(frozen=True, slots=True, order=True)
class LocalGroupId:
    """A group defined by one security server client; meaningful only on that server."""

    group_code: str

    def __post_init__(self) -> None:
        check_part(self.group_code, "groupCode")

    @property
    def object_type(self) -> ObjectType:
        return ObjectType.LOCALGROUP

    def to_path(self) -> str:
        return self.group_code

    def to_colon(self) -> str:
        return self.group_code

    def __str__(self) -> str:
        return f"LOCALGROUP:{self.group_code}"


Identifier = ClientId | ServiceId | SecurityServerId | GlobalGroupId | LocalGroupId


# ------------------------------------------------------------------ the "/" and ":" forms


def _split(text: str, sep: str, counts: tuple[int, ...], what: str) -> list[str]:
    parts = text.split(sep)
    if len(parts) not in counts:
        expected = " or ".join(str(c) for c in counts)
        raise XRoadError(
            Code.INVALID_IDENTIFIER,
            f"{what} must have {expected} parts separated by {sep!r}, got {len(parts)}",
        )
    return parts


def parse_client(text: str, sep: str = "/") -> ClientId:
    """Parse ``INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`` (or with ``:`` as the separator)."""
    parts = _split(text, sep, (3, 4), "A client identifier")
    return ClientId(*parts)


def parse_service(text: str, sep: str = "/") -> ServiceId:
    """Parse a service identifier.

    ``/`` form (REST r1 §4.1): ``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE``; REST services
    always belong to a subsystem, so five parts are required. ``:`` form (admin APIs):
    ``INSTANCE:CLASS:MEMBER[:SUBSYSTEM]:CODE[.VERSION]``.
    """
    if sep == "/":
        parts = _split(text, sep, (5,), "A REST service identifier")
        return ServiceId(ClientId(*parts[:4]), parts[4])
    parts = _split(text, sep, (4, 5), "A service identifier")
    code, _, version = parts[-1].partition(".")
    return ServiceId(ClientId(*parts[:-1]), code, version or None)


def parse_security_server(text: str, sep: str = "/") -> SecurityServerId:
    """Parse ``INSTANCE/CLASS/MEMBER/SERVERCODE``."""
    parts = _split(text, sep, (4,), "A security server identifier")
    return SecurityServerId(ClientId(*parts[:3]), parts[3])


def parse_global_group(text: str, sep: str = "/") -> GlobalGroupId:
    """Parse ``INSTANCE/GROUPCODE``."""
    parts = _split(text, sep, (2,), "A global group identifier")
    return GlobalGroupId(*parts)


# ------------------------------------------------------------------ the XML form

_FIELD_ORDER = (
    "xRoadInstance",
    "memberClass",
    "memberCode",
    "subsystemCode",
    "groupCode",
    "serviceCode",
    "serviceVersion",
    "serverCode",
)
_REQUIRED: dict[ObjectType, tuple[frozenset[str], frozenset[str]]] = {
    # object type: (required fields, optional fields), identifiers.xsd restrictions
    ObjectType.MEMBER: (frozenset({"xRoadInstance", "memberClass", "memberCode"}), frozenset()),
    ObjectType.SUBSYSTEM: (
        frozenset({"xRoadInstance", "memberClass", "memberCode", "subsystemCode"}),
        frozenset(),
    ),
    ObjectType.SERVICE: (
        frozenset({"xRoadInstance", "memberClass", "memberCode", "serviceCode"}),
        frozenset({"subsystemCode", "serviceVersion"}),
    ),
    ObjectType.SERVER: (
        frozenset({"xRoadInstance", "memberClass", "memberCode", "serverCode"}),
        frozenset(),
    ),
    ObjectType.GLOBALGROUP: (frozenset({"xRoadInstance", "groupCode"}), frozenset()),
    ObjectType.LOCALGROUP: (frozenset({"groupCode"}), frozenset()),
}


def _object_type_of(element: etree._Element) -> ObjectType:
    raw = element.get(f"{{{NS_ID}}}objectType")
    if raw is None:
        raise XRoadError(
            Code.INVALID_IDENTIFIER, f"Identifier {_local(element)} lacks id:objectType"
        )
    try:
        return ObjectType(raw)
    except ValueError:
        raise XRoadError(
            Code.INVALID_IDENTIFIER, f"Unknown identifier objectType {raw[:40]!r}"
        ) from None


def _fields_of(element: etree._Element, object_type: ObjectType) -> dict[str, str]:
    required, optional = _REQUIRED[object_type]
    fields: dict[str, str] = {}
    for child in xmlsafe.elements(element):
        qname = etree.QName(child)
        if qname.namespace != NS_ID or qname.localname not in required | optional:
            raise XRoadError(
                Code.INVALID_IDENTIFIER,
                f"Unexpected element {qname.localname!r} in {object_type} identifier",
            )
        if qname.localname in fields:
            raise XRoadError(
                Code.INVALID_IDENTIFIER,
                f"Duplicate element {qname.localname!r} in {object_type} identifier",
            )
        fields[qname.localname] = xmlsafe.text_of(child)
    missing = sorted(required - fields.keys(), key=_FIELD_ORDER.index)
    if missing:
        raise XRoadError(
            Code.INVALID_IDENTIFIER, f"{object_type} identifier lacks {', '.join(missing)}"
        )
    order = [_FIELD_ORDER.index(name) for name in fields]
    if order != sorted(order):
        raise XRoadError(
            Code.INVALID_IDENTIFIER, f"Elements of the {object_type} identifier are out of order"
        )
    return fields


def from_xml(element: etree._Element) -> Identifier:
    """Decode any identifier element by its ``objectType``."""
    object_type = _object_type_of(element)
    f = _fields_of(element, object_type)
    if object_type in (ObjectType.MEMBER, ObjectType.SUBSYSTEM):
        return ClientId(
            f["xRoadInstance"], f["memberClass"], f["memberCode"], f.get("subsystemCode")
        )
    if object_type is ObjectType.SERVICE:
        provider = ClientId(
            f["xRoadInstance"], f["memberClass"], f["memberCode"], f.get("subsystemCode")
        )
        return ServiceId(provider, f["serviceCode"], f.get("serviceVersion"))
    if object_type is ObjectType.SERVER:
        owner = ClientId(f["xRoadInstance"], f["memberClass"], f["memberCode"])
        return SecurityServerId(owner, f["serverCode"])
    if object_type is ObjectType.GLOBALGROUP:
        return GlobalGroupId(f["xRoadInstance"], f["groupCode"])
    return LocalGroupId(f["groupCode"])


def client_from_xml(element: etree._Element) -> ClientId:
    identifier = from_xml(element)
    if not isinstance(identifier, ClientId):
        raise XRoadError(
            Code.INVALID_CLIENT_IDENTIFIER,
            f"Expected a MEMBER or SUBSYSTEM identifier, got {identifier.object_type}",
        )
    return identifier


def service_from_xml(element: etree._Element) -> ServiceId:
    identifier = from_xml(element)
    if not isinstance(identifier, ServiceId):
        raise XRoadError(
            Code.INVALID_SERVICE_TYPE,
            f"Expected a SERVICE identifier, got {identifier.object_type}",
        )
    return identifier


def server_from_xml(element: etree._Element) -> SecurityServerId:
    identifier = from_xml(element)
    if not isinstance(identifier, SecurityServerId):
        raise XRoadError(
            Code.INVALID_IDENTIFIER, f"Expected a SERVER identifier, got {identifier.object_type}"
        )
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
    """Encode ``identifier`` as element ``tag`` (Clark notation) with ``id:`` children."""
    element = etree.Element(tag, nsmap=nsmap or {"id": NS_ID})
    element.set(f"{{{NS_ID}}}objectType", str(identifier.object_type))
    for name, value in _xml_fields(identifier):
        if value is not None:
            etree.SubElement(element, f"{{{NS_ID}}}{name}").text = value
    return element


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname
