"""ServerConfService on SQLite and PostgreSQL: identity, clients, IS certificates, local groups,
the audit log and atomicity. Each test runs once per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from security_server.serverconf import (
    ClientState,
    ConnectionType,
    ErrorCode,
    ServerConfService,
)
from tests import databases
from tests.integration.security_server import test_serverconf_support as ss
from tests.integration.security_server.test_serverconf_support import (
    ACTOR,
    APP,
    OTHER,
    OWNER,
    SERVER,
    TAX,
    audit_count,
    cert,
    refused,
)
from vdx.identifiers import ClientId, SecurityServerId

pg_database = databases.postgres_module_fixture()
db_url = ss.db_url_fixture()


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[ServerConfService]:
    async for opened in ss.open_service(db_url):
        yield opened


@pytest.fixture
async def populated(service: ServerConfService) -> ServerConfService:
    await ss.populate(service)
    return service


async def test_identity_is_set_once_and_the_owner_becomes_a_client(
    service: ServerConfService,
) -> None:
    assert await service.get_identity() is None
    await refused(ErrorCode.CONFLICT, service.add_client(TAX, actor=ACTOR))
    bad = SecurityServerId(ClientId("VN", "GOV", "0101"), "SS 1")
    await refused(ErrorCode.INVALID, service.set_identity(bad, actor=ACTOR))
    identity = await service.set_identity(SERVER, actor=ACTOR)
    assert identity.owner == OWNER
    assert await service.get_identity() == identity
    await refused(ErrorCode.CONFLICT, service.set_identity(SERVER, actor=ACTOR))
    (owner,) = await service.list_clients()
    assert owner.client_id == OWNER
    assert owner.state is ClientState.SAVED
    await refused(ErrorCode.CONFLICT, service.delete_client(OWNER, actor=ACTOR))


async def test_clients_and_their_states(populated: ServerConfService) -> None:
    service = populated
    assert [c.client_id for c in await service.list_clients()] == [APP, OWNER, TAX]
    await refused(ErrorCode.CONFLICT, service.add_client(TAX, actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_client(ClientId("EE", "GOV", "1"), actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_client(ClientId("VN", "GOV", "a b"), actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, service.get_client(OTHER))
    tax = await service.get_client(TAX)
    assert (tax.state, tax.connection_type) == (ClientState.SAVED, ConnectionType.HTTPS_NO_AUTH)

    await refused(
        ErrorCode.CONFLICT, service.set_client_state(TAX, ClientState.REGISTERED, actor=ACTOR)
    )
    for state in (
        ClientState.REGISTRATION_IN_PROGRESS,
        ClientState.REGISTERED,
        ClientState.DELETION_IN_PROGRESS,
    ):
        await service.set_client_state(TAX, state, actor=ACTOR)
    assert (await service.get_client(TAX)).state is ClientState.DELETION_IN_PROGRESS
    await service.set_client_state(TAX, ClientState.REGISTERED, actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.delete_client(TAX, actor=ACTOR))
    await service.set_client_state(TAX, ClientState.DELETION_IN_PROGRESS, actor=ACTOR)
    await service.delete_client(TAX, actor=ACTOR)
    await service.delete_client(APP, actor=ACTOR)  # saved clients go too
    await refused(ErrorCode.NOT_FOUND, service.delete_client(APP, actor=ACTOR))
    await refused(
        ErrorCode.NOT_FOUND, service.set_client_state(APP, ClientState.SAVED, actor=ACTOR)
    )
    assert [c.client_id for c in await service.list_clients()] == [OWNER]


async def test_connection_type_and_is_certificates(populated: ServerConfService) -> None:
    service = populated
    await service.set_connection_type(TAX, ConnectionType.HTTPS, actor=ACTOR)
    await refused(
        ErrorCode.NOT_FOUND, service.set_connection_type(OTHER, ConnectionType.HTTP, actor=ACTOR)
    )
    digest = await service.add_is_cert(TAX, cert("auth"), actor=ACTOR)
    await refused(
        ErrorCode.CONFLICT, service.add_is_cert(TAX, cert("auth", Encoding.PEM), actor=ACTOR)
    )
    await refused(ErrorCode.INVALID, service.add_is_cert(TAX, b"not a certificate", actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, service.add_is_cert(OTHER, cert("sign"), actor=ACTOR))
    await service.add_is_cert(TAX, cert("sign", Encoding.PEM), actor=ACTOR)
    assert await service.is_certs(TAX) == (cert("auth"), cert("sign"))
    info = await service.get_client(TAX)
    assert info.connection_type is ConnectionType.HTTPS
    assert info.is_cert_hashes[0] == digest
    await service.delete_is_cert(TAX, digest, actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.delete_is_cert(TAX, digest, actor=ACTOR))
    assert await service.is_certs(TAX) == (cert("sign"),)
    snapshot = await service.snapshot()
    entry = snapshot.client(TAX)
    assert entry is not None
    assert entry.is_certs == (cert("sign"),)


async def test_local_groups(populated: ServerConfService) -> None:
    service = populated
    await service.add_local_group(TAX, "friends", "Friendly clients", actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.add_local_group(TAX, "friends", "x", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_local_group(TAX, "a/b", "x", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_local_group(TAX, "g2", " ", actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, service.add_local_group(OTHER, "g", "x", actor=ACTOR))
    await service.add_local_group_member(TAX, "friends", APP, actor=ACTOR)
    await service.add_local_group_member(TAX, "friends", OTHER, actor=ACTOR)
    await refused(
        ErrorCode.CONFLICT, service.add_local_group_member(TAX, "friends", APP, actor=ACTOR)
    )
    await refused(
        ErrorCode.NOT_FOUND, service.add_local_group_member(TAX, "nobody", APP, actor=ACTOR)
    )
    await service.update_local_group(TAX, "friends", "Good friends", actor=ACTOR)
    (group,) = await service.list_local_groups(TAX)
    assert (group.code, group.description, group.members) == (
        "friends",
        "Good friends",
        (OTHER, APP),
    )
    await service.remove_local_group_member(TAX, "friends", OTHER, actor=ACTOR)
    await refused(
        ErrorCode.NOT_FOUND, service.remove_local_group_member(TAX, "friends", OTHER, actor=ACTOR)
    )
    snapshot = await service.snapshot()
    assert snapshot.in_local_group(TAX, "friends", APP)
    assert not snapshot.in_local_group(APP, "friends", APP)
    await service.delete_local_group(TAX, "friends", actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.delete_local_group(TAX, "friends", actor=ACTOR))
    assert await service.list_local_groups(TAX) == []


async def test_audit_log_records_each_change(service: ServerConfService) -> None:
    await ss.populate(service)
    entries = await service.audit_log()
    assert [(e.action, e.target) for e in entries] == [
        ("add_client", APP.to_colon()),
        ("add_client", TAX.to_colon()),
        ("set_identity", SERVER.to_colon()),
    ]
    assert all(e.actor == ACTOR for e in entries)
    assert entries[0].at > entries[1].at > entries[2].at
    assert entries[0].details == {"connection_type": "HTTPS_NO_AUTH"}
    assert [e.action for e in await service.audit_log(limit=1, offset=1)] == ["add_client"]
    await refused(ErrorCode.INVALID, service.audit_log(limit=0))


async def test_refusals_write_nothing(populated: ServerConfService) -> None:
    service = populated
    before = await audit_count(service)
    clients = await service.list_clients()
    await refused(ErrorCode.INVALID, service.add_client(OTHER, actor=" "))
    await refused(ErrorCode.CONFLICT, service.add_client(APP, actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, service.add_local_group(OTHER, "g", "d", actor=ACTOR))
    assert await audit_count(service) == before
    assert await service.list_clients() == clients
