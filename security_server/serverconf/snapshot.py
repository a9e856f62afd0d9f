"""An immutable in-memory view of the server configuration for the proxies.

The proxies consult it on every message, so every question they ask is one dictionary lookup:
a service by its ServiceId, the endpoints a client holds directly on a service by
(service, client), the group grants of a service, a local group's members. The service layer
reads the tables once (:meth:`ServerConfService.snapshot`) and builds it with
:func:`build_snapshot`; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from security_server.serverconf.model import (
    ClientState,
    ConnectionType,
    DescriptionKind,
    Endpoint,
    ServerIdentity,
    Subject,
)
from vdx.identifiers import ClientId, GlobalGroupId, LocalGroupId, ServiceId

GroupSubject = GlobalGroupId | LocalGroupId
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class ClientEntry:
    client_id: ClientId
    state: ClientState
    connection_type: ConnectionType
    is_certs: tuple[bytes, ...] = ()  # DER of the information systems' TLS certificates


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    service_id: ServiceId
    kind: DescriptionKind
    url: str
    timeout: int
    tls_verify: bool
    # None while enabled; the operator's notice (or a default text) while disabled.
    disabled_notice: str | None = None
    endpoints: tuple[Endpoint, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.disabled_notice is None


@dataclass(frozen=True, slots=True)
class Grant:
    """One row of access rights, as the snapshot builder takes them."""

    service_id: ServiceId
    endpoint: Endpoint
    subject: Subject


def _frozen(data: dict[K, V]) -> Mapping[K, V]:
    return MappingProxyType(data)


@dataclass(frozen=True, slots=True)
class ServerConfSnapshot:
    identity: ServerIdentity | None
    clients: Mapping[ClientId, ClientEntry] = field(default_factory=lambda: _frozen({}))
    services: Mapping[ServiceId, ServiceEntry] = field(default_factory=lambda: _frozen({}))
    direct_rights: Mapping[tuple[ServiceId, ClientId], tuple[Endpoint, ...]] = field(
        default_factory=lambda: _frozen({})
    )
    group_rights: Mapping[ServiceId, tuple[tuple[GroupSubject, Endpoint], ...]] = field(
        default_factory=lambda: _frozen({})
    )
    local_groups: Mapping[tuple[ClientId, str], frozenset[ClientId]] = field(
        default_factory=lambda: _frozen({})
    )
    provider_services: Mapping[ClientId, tuple[ServiceId, ...]] = field(
        default_factory=lambda: _frozen({})
    )

    def client(self, client_id: ClientId) -> ClientEntry | None:
        return self.clients.get(client_id)

    def service(self, service_id: ServiceId) -> ServiceEntry | None:
        return self.services.get(service_id)

    def rights_of(self, service_id: ServiceId, client_id: ClientId) -> tuple[Endpoint, ...]:
        """Endpoints of ``service_id`` granted to ``client_id`` itself (not via groups)."""
        return self.direct_rights.get((service_id, client_id), ())

    def group_grants(self, service_id: ServiceId) -> tuple[tuple[GroupSubject, Endpoint], ...]:
        return self.group_rights.get(service_id, ())

    def in_local_group(self, owner: ClientId, group_code: str, member: ClientId) -> bool:
        return member in self.local_groups.get((owner, group_code), frozenset())

    def services_of(self, provider: ClientId) -> tuple[ServiceId, ...]:
        return self.provider_services.get(provider, ())


def build_snapshot(
    identity: ServerIdentity | None,
    clients: Iterable[ClientEntry],
    services: Iterable[ServiceEntry],
    grants: Iterable[Grant],
    local_groups: Mapping[tuple[ClientId, str], Iterable[ClientId]],
) -> ServerConfSnapshot:
    """Index the configuration for O(1) lookups; every collection inside is immutable."""
    service_map = {entry.service_id: entry for entry in services}
    direct: dict[tuple[ServiceId, ClientId], list[Endpoint]] = {}
    groups: dict[ServiceId, list[tuple[GroupSubject, Endpoint]]] = {}
    for grant in grants:
        if isinstance(grant.subject, ClientId):
            direct.setdefault((grant.service_id, grant.subject), []).append(grant.endpoint)
        else:
            groups.setdefault(grant.service_id, []).append((grant.subject, grant.endpoint))
    by_provider: dict[ClientId, list[ServiceId]] = {}
    for service_id in sorted(service_map):
        by_provider.setdefault(service_id.provider, []).append(service_id)
    return ServerConfSnapshot(
        identity=identity,
        clients=_frozen({entry.client_id: entry for entry in clients}),
        services=_frozen(service_map),
        direct_rights=_frozen({key: tuple(value) for key, value in direct.items()}),
        group_rights=_frozen({key: tuple(value) for key, value in groups.items()}),
        local_groups=_frozen({key: frozenset(value) for key, value in local_groups.items()}),
        provider_services=_frozen({key: tuple(value) for key, value in by_provider.items()}),
    )
