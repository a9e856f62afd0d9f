"""The global configuration in use: one frozen value, with O(1) lookup indexes.

Every message consults the configuration (is the client registered, which servers host the
provider, at which address, is the peer's auth certificate registered to that server). The
shared parameters hold these as tuples; scanning them per message would cost time linear in the
registry, so the value is indexed once, when it is built, and swapped whole: a reader holds
either the old or the new configuration, never a mix (one reference assignment).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from vdx.crypto.trust import TrustConfig
from vdx.globalconf import PrivateParameters, SharedParameters
from vdx.globalconf.model import Member, SecurityServer, Subsystem
from vdx.globalconf.trust import trust_config
from vdx.identifiers import ClientId, GlobalGroupId, SecurityServerId

# authCertHash carries no algorithm identifier (shared-parameters.xsd); the digest length tells
# which one made it, so a peer certificate is hashed only with the algorithms in use.
_DIGEST_BY_LENGTH = {20: "sha1", 28: "sha224", 32: "sha256", 48: "sha384", 64: "sha512"}


@dataclass(frozen=True, slots=True)
class ConfigurationIndex:
    """Dict lookups built once per configuration (read-only mapping views)."""

    servers: Mapping[SecurityServerId, SecurityServer]
    clients: Mapping[ClientId, Member]  # members and subsystems -> the member record
    subsystems: Mapping[ClientId, Subsystem]
    server_clients: Mapping[SecurityServerId, frozenset[ClientId]]
    servers_of_client: Mapping[ClientId, tuple[SecurityServerId, ...]]
    server_addresses: Mapping[SecurityServerId, str]
    auth_cert_servers: Mapping[bytes, SecurityServerId]
    global_groups: Mapping[GlobalGroupId, frozenset[ClientId]]
    auth_hash_algorithms: tuple[str, ...]


def build_index(shared: SharedParameters) -> ConfigurationIndex:
    """Index ``shared``; linear in its size, done once per downloaded configuration."""
    instance = shared.instance
    clients: dict[ClientId, Member] = {}
    subsystems: dict[ClientId, Subsystem] = {}
    for member in shared.members:
        clients[member.client_id(instance)] = member
        for subsystem in member.subsystems:
            client = member.client_id(instance, subsystem.code)
            clients[client] = member
            subsystems[client] = subsystem
    servers: dict[SecurityServerId, SecurityServer] = {}
    server_clients: dict[SecurityServerId, frozenset[ClientId]] = {}
    servers_of_client: dict[ClientId, list[SecurityServerId]] = {}
    addresses: dict[SecurityServerId, str] = {}
    auth: dict[bytes, SecurityServerId] = {}
    for server in shared.security_servers:
        server_id = server.server_id
        servers[server_id] = server
        # The owner member is served by its own server as well as the listed clients.
        hosted = dict.fromkeys((server.owner, *server.clients))  # document order, no repeats
        server_clients[server_id] = frozenset(hosted)
        for client in hosted:
            servers_of_client.setdefault(client, []).append(server_id)
        if server.address:
            addresses[server_id] = server.address
        for digest in server.auth_cert_hashes:
            auth[digest] = server_id
    groups = {g.group_id(instance): frozenset(g.members) for g in shared.global_groups}
    lengths = sorted({len(d) for d in auth})
    return ConfigurationIndex(
        servers=MappingProxyType(servers),
        clients=MappingProxyType(clients),
        subsystems=MappingProxyType(subsystems),
        server_clients=MappingProxyType(server_clients),
        servers_of_client=MappingProxyType({k: tuple(v) for k, v in servers_of_client.items()}),
        server_addresses=MappingProxyType(addresses),
        auth_cert_servers=MappingProxyType(auth),
        global_groups=MappingProxyType(groups),
        auth_hash_algorithms=tuple(_DIGEST_BY_LENGTH[n] for n in lengths if n in _DIGEST_BY_LENGTH),
    )


@dataclass(frozen=True, slots=True)
class GlobalConfiguration:
    """A verified global configuration of this instance, as the security server uses it."""

    instance: str
    shared: SharedParameters
    private: PrivateParameters | None
    expire_date: datetime
    version: int | None
    source_url: str
    directory_digest: bytes  # SHA-256 of the signed directory part: "same configuration?"
    trust: TrustConfig
    index: ConfigurationIndex

    def is_expired(self, now: datetime) -> bool:
        return now > self.expire_date

    def seconds_to_expiry(self, now: datetime) -> float:
        return (self.expire_date - now).total_seconds()

    # Per-message lookups: each is one or a few dict probes, whatever the registry's size.
    def server(self, server_id: SecurityServerId) -> SecurityServer | None:
        return self.index.servers.get(server_id)

    def server_address(self, server_id: SecurityServerId) -> str | None:
        return self.index.server_addresses.get(server_id)

    def is_known_client(self, client: ClientId) -> bool:
        return client in self.index.clients

    def member(self, client: ClientId) -> Member | None:
        return self.index.clients.get(client)

    def servers_of(self, client: ClientId) -> tuple[SecurityServerId, ...]:
        """Servers hosting ``client`` (for a member: also the servers it owns)."""
        return self.index.servers_of_client.get(client, ())

    def is_client_of(self, client: ClientId, server_id: SecurityServerId) -> bool:
        return client in self.index.server_clients.get(server_id, frozenset())

    def is_group_member(self, client: ClientId, group: GlobalGroupId) -> bool:
        return client in self.index.global_groups.get(group, frozenset())

    def server_by_auth_cert(self, cert_der: bytes) -> SecurityServerId | None:
        """The server an authentication certificate (DER) is registered to, if any."""
        for name in self.index.auth_hash_algorithms:
            found = self.index.auth_cert_servers.get(hashlib.new(name, cert_der).digest())
            if found is not None:
                return found
        return None


def build_configuration(
    shared: SharedParameters,
    private: PrivateParameters | None,
    *,
    expire_date: datetime,
    version: int | None,
    source_url: str,
    directory_digest: bytes,
) -> GlobalConfiguration:
    """The indexed value for verified parameters (pure; certificates are parsed here)."""
    return GlobalConfiguration(
        instance=shared.instance,
        shared=shared,
        private=private,
        expire_date=expire_date,
        version=version,
        source_url=source_url,
        directory_digest=directory_digest,
        trust=trust_config(shared),
        index=build_index(shared),
    )
