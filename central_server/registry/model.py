"""Values the registry takes and returns: frozen, typed, free of database rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from vdx.identifiers import ClientId, SecurityServerId


@dataclass(frozen=True, slots=True)
class MemberClassInfo:
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class SubsystemInfo:
    code: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class MemberInfo:
    client_id: ClientId
    name: str
    subsystems: tuple[SubsystemInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class SecurityServerInfo:
    server_id: SecurityServerId
    address: str | None
    auth_cert_hashes: tuple[bytes, ...] = ()
    clients: tuple[ClientId, ...] = ()
    in_maintenance: bool = False
    maintenance_message: str | None = None
    # Registered but disabled (clientDisable): not in ``clients``, not in the configuration.
    disabled_clients: tuple[ClientId, ...] = ()


@dataclass(frozen=True, slots=True)
class GlobalGroupInfo:
    code: str
    description: str
    members: tuple[ClientId, ...] = ()


@dataclass(frozen=True, slots=True)
class OcspResponderSpec:
    """An OCSP responder: its URL and, when it signs with a delegated key, its certificate."""

    url: str
    cert_der: bytes | None = None


@dataclass(frozen=True, slots=True)
class IntermediateCaSpec:
    cert_der: bytes
    ocsp: tuple[OcspResponderSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class CaSpec:
    """An approved CA (shared parameters ``approvedCA``), given to ``add_ca`` and listed back.

    Certificates may be given as DER or PEM; the registry keeps and returns DER.
    """

    name: str
    top_ca_der: bytes
    certificate_profile_info: str
    authentication_only: bool = False
    ocsp: tuple[OcspResponderSpec, ...] = ()
    intermediates: tuple[IntermediateCaSpec, ...] = ()
    csr_format: str | None = None  # PEM / DER (shared parameters v6 defaultCsrFormat)


@dataclass(frozen=True, slots=True)
class TsaInfo:
    name: str
    url: str
    cert_der: bytes
    priority: int = 0


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any] = field(default_factory=dict)
