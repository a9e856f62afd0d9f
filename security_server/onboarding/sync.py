"""What a new global configuration changes on this server: a pure decision, no I/O.

The security server learns the outcome of its management requests only from the next global
configuration (pr-mserv §1: requests are answered with an id, the decision comes later). As the
reference security server's configuration checker does after each download:

* an authentication certificate listed for *our* server becomes *registered* (also from *saved*
  or *global error*: the central server may have added it itself); a *registered* one no longer
  listed goes to *global error* (vdx.tokens.cert_states). A registered certificate still needs
  the operator's activation before it serves TLS (vdx.tokens.cert_states.INITIALLY_ACTIVE);
* a client listed on our server becomes *registered* (from *saved* or *registration in
  progress*); a client being deleted that the configuration no longer lists is back to *saved*
  (its deletion is complete). Our client states have no *global error*
  (security_server.serverconf.model.ClientState), so a registered client the central server
  dropped by itself stays *registered* and is reported as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from security_server.confclient.model import GlobalConfiguration
from security_server.serverconf.model import ClientInfo, ClientState
from vdx.identifiers import ClientId, SecurityServerId
from vdx.tokens import CertEvent, CertRecord, CertStatus, KeyUsage

_CS = CertStatus
_E = CertEvent
# Events (in order) that take a listed auth certificate from its status to *registered*.
_CONFIRM: dict[CertStatus, tuple[CertEvent, ...]] = {
    _CS.SAVED: (_E.REGISTRATION_REQUESTED, _E.REGISTRATION_CONFIRMED),
    _CS.REGISTRATION_IN_PROGRESS: (_E.REGISTRATION_CONFIRMED,),
    _CS.GLOBAL_ERROR: (_E.REGISTRATION_CONFIRMED,),
}
# Client states (in order) that take a listed client to *registered* (serverconf.validation
# allows one step at a time).
_REGISTER: dict[ClientState, tuple[ClientState, ...]] = {
    ClientState.SAVED: (ClientState.REGISTRATION_IN_PROGRESS, ClientState.REGISTERED),
    ClientState.REGISTRATION_IN_PROGRESS: (ClientState.REGISTERED,),
}


@dataclass(frozen=True, slots=True)
class CertChange:
    cert_id: str
    events: tuple[CertEvent, ...]

    def describe(self) -> str:
        return f"certificate {self.cert_id}: " + ", ".join(str(e) for e in self.events)


@dataclass(frozen=True, slots=True)
class ClientChange:
    client: ClientId
    states: tuple[ClientState, ...]

    def describe(self) -> str:
        return f"client {self.client.to_colon()}: " + " -> ".join(str(s) for s in self.states)


@dataclass(frozen=True, slots=True)
class SyncPlan:
    certs: tuple[CertChange, ...] = ()
    clients: tuple[ClientChange, ...] = ()
    warnings: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        return [c.describe() for c in self.certs] + [c.describe() for c in self.clients]


def plan_cert(
    server: SecurityServerId, cert: CertRecord, usage: KeyUsage, conf: GlobalConfiguration
) -> CertChange | None:
    if usage is not KeyUsage.AUTHENTICATION:
        return None  # signing certificates are not registered (ug-ss: imported as registered)
    listed = conf.server_by_auth_cert(cert.der) == server
    if listed and cert.status in _CONFIRM:
        return CertChange(cert.cert_id, _CONFIRM[cert.status])
    if not listed and cert.status is CertStatus.REGISTERED:
        return CertChange(cert.cert_id, (CertEvent.GLOBALCONF_MISSING,))
    return None


def plan_client(
    server: SecurityServerId, client: ClientInfo, conf: GlobalConfiguration
) -> ClientChange | str | None:
    """The change for one client, a warning (text), or nothing."""
    listed = conf.is_client_of(client.client_id, server)
    if listed and client.state in _REGISTER:
        return ClientChange(client.client_id, _REGISTER[client.state])
    if not listed and client.state is ClientState.DELETION_IN_PROGRESS:
        return ClientChange(client.client_id, (ClientState.SAVED,))
    if not listed and client.state is ClientState.REGISTERED:
        return (
            f"client {client.client_id.to_colon()} is registered here but not in the configuration"
        )
    return None


def plan(
    server: SecurityServerId | None,
    certs: Iterable[tuple[CertRecord, KeyUsage]],
    clients: Iterable[ClientInfo],
    conf: GlobalConfiguration,
) -> SyncPlan:
    """Every change ``conf`` implies for this server's certificates and clients."""
    if server is None or conf.instance != server.owner.instance:
        return SyncPlan()
    cert_changes = [c for cert, usage in certs if (c := plan_cert(server, cert, usage, conf))]
    client_changes: list[ClientChange] = []
    warnings: list[str] = []
    for client in clients:
        found = plan_client(server, client, conf)
        if isinstance(found, ClientChange):
            client_changes.append(found)
        elif found is not None:
            warnings.append(found)
    return SyncPlan(tuple(cert_changes), tuple(client_changes), tuple(warnings))
