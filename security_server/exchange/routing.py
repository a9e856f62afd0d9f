"""The client proxy's decisions before signing: may this client send, and to which servers.

The order is the reference client proxy's: configuration valid, client registered here, the
provider's security servers from the global configuration, narrowed to the one the client named
in ``xroad:securityServer`` / ``X-Road-Security-Server`` (pr-mess §2.4.1).
"""

from __future__ import annotations

from datetime import datetime

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange.model import ProviderTarget
from security_server.serverconf.model import ClientState
from security_server.serverconf.snapshot import ServerConfSnapshot
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, SecurityServerId, ServiceId


def check_configuration(conf: GlobalConfiguration, now: datetime) -> None:
    """Fail closed on an expired global configuration (ARCHITECTURE rule 8)."""
    if conf.is_expired(now):
        raise XRoadError(Code.OUTDATED_GLOBALCONF, "Global configuration is expired")


def check_client(serverconf: ServerConfSnapshot, client: ClientId) -> None:
    """The client must be registered on this security server."""
    entry = serverconf.client(client)
    if entry is None or entry.state is not ClientState.REGISTERED:
        raise XRoadError(Code.UNKNOWN_MEMBER, f"Client '{client.to_path()}' not found")


def provider_targets(
    conf: GlobalConfiguration, service: ServiceId, wanted: SecurityServerId | None
) -> tuple[ProviderTarget, ...]:
    """The provider's security servers with an address, or only the one the client named."""
    provider = service.provider
    hosts = conf.servers_of(provider)
    if wanted is not None:
        if conf.server(wanted) is None:
            raise XRoadError(
                Code.INVALID_SECURITY_SERVER,
                f"Could not find security server '{wanted.to_path()}'",
            )
        if wanted not in hosts:
            raise XRoadError(
                Code.INVALID_SECURITY_SERVER,
                f"Invalid security server '{wanted.to_path()}' for service '{service.to_path()}'",
            )
        hosts = (wanted,)
    targets = tuple(
        ProviderTarget(server_id, address)
        for server_id in hosts
        if (address := conf.server_address(server_id))
    )
    if not targets:
        raise XRoadError(
            Code.UNKNOWN_MEMBER,
            f"Could not find addresses for service provider '{provider.to_path()}'",
        )
    return targets


def check_addressed_here(serverconf: ServerConfSnapshot, wanted: SecurityServerId | None) -> None:
    """A request that names a security server must name this one (pr-mess §2.4.1)."""
    identity = serverconf.identity
    if wanted is not None and (identity is None or wanted != identity.server_id):
        raise XRoadError(
            Code.INVALID_SECURITY_SERVER,
            f"Request names another security server ({wanted.to_path()})",
        )
