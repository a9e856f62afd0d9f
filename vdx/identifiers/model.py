"""X-Road identifier values: clients, services, security servers, global and local groups.

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
import functools
import re
from dataclasses import dataclass

from vdx.errors import Code, XRoadError

# Separators of the text forms, the percent escape, and invisible characters that make two
# identifiers look alike (the reference's IdentifierValidator refuses the same set).
_FORBIDDEN = re.compile("[\x00-\x1f\x7f:;/\\\\%\u200b\ufeff]")
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
        raise XRoadError(Code.INVALID_CLIENT_IDENTIFIER, f"{what} must not be empty")
    bad = _FORBIDDEN.search(value)
    if bad:
        raise XRoadError(
            Code.INVALID_CLIENT_IDENTIFIER,
            f"{what} contains a forbidden character {bad.group()!r}",
        )
    return value


def check_strict(value: str, what: str) -> str:
    """Refuse a part outside REST r1 §4.8's set, for identifiers an operator creates."""
    check_part(value, what)
    if not _STRICT.fullmatch(value):
        raise XRoadError(
            Code.INVALID_CLIENT_IDENTIFIER,
            f"{what} may contain only letters, digits and the symbols ' ( ) + , - . = ?",
        )
    return value


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class ClientId:
    """A member (``subsystem_code`` is None) or one of its subsystems."""

    instance: str
    member_class: str
    member_code: str
    subsystem_code: str | None = None

    def sort_key(self) -> tuple[str, ...]:
        # Absent optional parts sort first (as ""): None and str do not compare.
        return (self.instance, self.member_class, self.member_code, self.subsystem_code or "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ClientId):
            return NotImplemented
        return self.sort_key() < other.sort_key()

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


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class ServiceId:
    """A service of a provider (member or subsystem), optionally versioned."""

    provider: ClientId
    service_code: str
    service_version: str | None = None

    def sort_key(self) -> tuple[str, ...]:
        # Absent optional parts sort first (as ""): None and str do not compare.
        return (*self.provider.sort_key(), self.service_code, self.service_version or "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ServiceId):
            return NotImplemented
        return self.sort_key() < other.sort_key()

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


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class SecurityServerId:
    """A security server: its owner member and its server code."""

    owner: ClientId
    server_code: str

    def sort_key(self) -> tuple[str, ...]:
        # Absent optional parts sort first (as ""): None and str do not compare.
        return (*self.owner.sort_key(), self.server_code)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SecurityServerId):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __post_init__(self) -> None:
        if self.owner.subsystem_code is not None:
            raise XRoadError(
                Code.INVALID_CLIENT_IDENTIFIER, "The owner of a security server must be a member"
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
