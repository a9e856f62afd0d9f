"""Values the onboarding service returns: frozen, typed, each with the admin API's JSON.

``to_json`` gives exactly the shapes of the admin REST API (ss-admin contract, section 2), so
the API layer renders them without knowing their fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vdx.identifiers import ClientId, SecurityServerId
from vdx.tokens import KeyAlgorithm, KeyUsage

# The admin API names key usages as the reference UI does ("auth" / "sign").
USAGE_NAMES: dict[KeyUsage, str] = {KeyUsage.AUTHENTICATION: "auth", KeyUsage.SIGNING: "sign"}


def usage_name(usage: KeyUsage) -> str:
    return USAGE_NAMES[usage]


def parse_usage(text: str) -> KeyUsage:
    """``auth`` / ``sign`` (also the enum values ``AUTHENTICATION`` / ``SIGNING``)."""
    for usage, name in USAGE_NAMES.items():
        if text in (name, usage.value):
            return usage
    raise ValueError(f"unknown key usage {text!r} (auth or sign)")


def algorithm_name(algorithm: KeyAlgorithm) -> str:
    return algorithm.name  # "RSA2048", as the API takes it


def parse_algorithm(text: str) -> KeyAlgorithm:
    """``RSA2048`` (the enum's name) or ``rsa2048`` (its value)."""
    for algorithm in KeyAlgorithm:
        if text in (algorithm.name, algorithm.value):
            return algorithm
    raise ValueError(f"unknown key algorithm {text!r}")


@dataclass(frozen=True, slots=True)
class TokenStatus:
    id: str
    initialized: bool
    logged_in: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "initialized": self.initialized, "logged_in": self.logged_in}


@dataclass(frozen=True, slots=True)
class GlobalConfStatus:
    ok: bool
    reason: str | None
    expires: datetime | None

    def to_json(self) -> dict[str, Any]:
        expires = None if self.expires is None else self.expires.isoformat()
        return {"ok": self.ok, "reason": self.reason, "expires": expires}


@dataclass(frozen=True, slots=True)
class SystemStatus:
    initialized: bool
    server: SecurityServerId | None
    instance: str
    token: TokenStatus
    globalconf: GlobalConfStatus

    @property
    def owner(self) -> ClientId | None:
        return None if self.server is None else self.server.owner

    def to_json(self) -> dict[str, Any]:
        return {
            "initialized": self.initialized,
            "server": None if self.server is None else self.server.to_colon(),
            "owner": None if self.owner is None else self.owner.to_colon(),
            "instance": self.instance,
            "token": self.token.to_json(),
            "globalconf": self.globalconf.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CertInfo:
    id: str  # SHA-256 of the DER, hex (the token's cert_id)
    key_id: str
    usage: KeyUsage
    status: str  # vdx.tokens.CertStatus value ("saved", "registration in progress", ...)
    ocsp_status: str  # vdx.tokens.OcspStatus value
    active: bool
    subject: str  # RFC 4514
    issuer: str
    serial: int
    not_after: datetime
    member: ClientId | None  # sign certificates: the member the CA's profile names

    @property
    def sha256(self) -> str:
        return self.id

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key_id": self.key_id,
            "usage": usage_name(self.usage),
            "status": self.status,
            "ocsp_status": self.ocsp_status,
            "active": self.active,
            "subject": self.subject,
            "issuer": self.issuer,
            # As text: serials are up to 20 octets (RFC 5280 §4.1.2.2), beyond JSON's safe ints.
            "serial": str(self.serial),
            "not_after": self.not_after.isoformat(),
            "member": None if self.member is None else self.member.to_colon(),
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    label: str
    usage: KeyUsage
    algorithm: KeyAlgorithm
    certificates: tuple[CertInfo, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "usage": usage_name(self.usage),
            "algorithm": algorithm_name(self.algorithm),
            "certificates": [c.to_json() for c in self.certificates],
        }


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    logged_in: bool
    keys: tuple[KeyInfo, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "logged_in": self.logged_in,
            "keys": [k.to_json() for k in self.keys],
        }


@dataclass(frozen=True, slots=True)
class ManagementRequestInfo:
    """A management request the central server accepted: its id there, its type, where sent."""

    request_id: int
    type: str  # pr-mserv request type: authCertReg, clientReg, clientDeletion, authCertDeletion
    sent_to: str

    def to_json(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "type": self.type, "sent_to": self.sent_to}
