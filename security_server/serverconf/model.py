"""Values the server configuration takes and returns: frozen, typed, free of database rows."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from vdx.identifiers import ClientId, GlobalGroupId, LocalGroupId, SecurityServerId, ServiceId

DEFAULT_TIMEOUT = 60  # seconds (security server user guide, service parameters)
ANY_METHOD = "*"
ANY_PATH = "**"


class ClientState(enum.StrEnum):
    """Registration state of a client on this server (security server user guide §4)."""

    SAVED = "saved"
    REGISTRATION_IN_PROGRESS = "registration_in_progress"
    REGISTERED = "registered"
    DELETION_IN_PROGRESS = "deletion_in_progress"


class ConnectionType(enum.StrEnum):
    """How the client's information systems connect to the client proxy.

    The reference calls these NOSSL, SSLNOAUTH and SSLAUTH.
    """

    HTTP = "HTTP"
    HTTPS_NO_AUTH = "HTTPS_NO_AUTH"
    HTTPS = "HTTPS"  # the information system presents one of the stored IS certificates


# New clients (and the owner at initialisation) until the operator chooses otherwise.
DEFAULT_CONNECTION_TYPE = ConnectionType.HTTPS_NO_AUTH


class DescriptionKind(enum.StrEnum):
    WSDL = "WSDL"
    OPENAPI3 = "OPENAPI3"
    REST = "REST"


Subject = ClientId | GlobalGroupId | LocalGroupId
"""Who an access right is granted to; a local group belongs to the service's own client."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A REST endpoint (method and path pattern); ('*', '**') is a service's base endpoint."""

    method: str
    path: str
    generated: bool = False

    @property
    def is_base(self) -> bool:
        return self.method == ANY_METHOD and self.path == ANY_PATH


BASE_ENDPOINT = Endpoint(ANY_METHOD, ANY_PATH, generated=True)


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    server_id: SecurityServerId

    @property
    def owner(self) -> ClientId:
        return self.server_id.owner


@dataclass(frozen=True, slots=True)
class ClientInfo:
    client_id: ClientId
    state: ClientState
    connection_type: ConnectionType
    is_cert_hashes: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    service_id: ServiceId
    description_id: int
    url: str
    timeout: int = DEFAULT_TIMEOUT
    tls_verify: bool = True
    title: str | None = None
    endpoints: tuple[Endpoint, ...] = ()


@dataclass(frozen=True, slots=True)
class DescriptionInfo:
    id: int
    client_id: ClientId
    kind: DescriptionKind
    url: str
    disabled: bool
    disabled_notice: str | None
    refreshed_at: dt.datetime
    services: tuple[ServiceInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class RefreshDiff:
    """What a refresh changed: services (WSDL) or endpoints (OpenAPI) added and removed."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LocalGroupInfo:
    client_id: ClientId
    code: str
    description: str
    members: tuple[ClientId, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessRightInfo:
    service_id: ServiceId
    endpoint: Endpoint
    subject: Subject
    granted_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any] = field(default_factory=dict)
