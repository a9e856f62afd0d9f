"""ownerChange, clientRename, clientDisable and clientEnable applied to the registry (SQLite and
PostgreSQL), and the shared parameters that follow from them."""

from __future__ import annotations

import pytest

from central_server.management import State
from central_server.registry import RegistryError
from tests import databases
from tests.integration.central_server import registry_support as rs
from tests.integration.central_server.test_management import (
    ACTOR,
    Env,
    _post,
    _refused,
    env,
)
from tests.unit.central_server.test_management_support import (
    COM,
    COM_SUB,
    GOV,
    GOV_SUB,
    SS1,
    body_for,
    signed,
)
from vdx.globalconf.model import SecurityServer
from vdx.identifiers import SecurityServerId
from vdx.message.management import RequestType, decode_response

T = RequestType
pg_database = databases.postgres_module_fixture()
db_url = rs.db_url_fixture()
__all__ = ["env"]  # the fixture, imported for pytest


async def _ss(env: Env, owner: object = GOV) -> SecurityServer | None:
    snapshot = await env.registry.snapshot()
    return next(
        (s for s in snapshot.security_servers if s.server_code == "SS1" and s.owner == owner),
        None,
    )


async def _accepted(env: Env, data: bytes, ctype: str) -> State:
    status, raw = await _post(env.client, data, ctype)
    assert status == 200, raw
    request_id = decode_response(raw).request_id
    assert request_id is not None
    return (await env.service.get(request_id)).state


async def test_client_rename_is_applied(env: Env) -> None:
    body = body_for(T.CLIENT_RENAME, server=SS1, client=GOV_SUB, subsystem_name="Tax dept")
    assert await _accepted(env, *signed(body)) is State.APPROVED
    gov = next(m for m in (await env.registry.snapshot()).members if m.code == "0101")
    assert [(s.code, s.name) for s in gov.subsystems] == [("TAX", "Tax dept")]
    assert any(e.action == "rename_subsystem" for e in await env.registry.audit_log())


async def test_client_rename_of_a_member_refused(env: Env) -> None:
    await env.registry.add_server_client(SS1, GOV, actor=ACTOR)
    body = body_for(T.CLIENT_RENAME, server=SS1, client=GOV, subsystem_name="X")
    await _refused(env, env.client, *signed(body), "InvalidRequest")


async def test_client_disable_then_enable(env: Env) -> None:
    disable = body_for(T.CLIENT_DISABLE, server=SS1, client=GOV_SUB)
    assert await _accepted(env, *signed(disable)) is State.APPROVED
    ss1 = await _ss(env)
    assert ss1 is not None
    # V5 shared parameters cannot mark a client disabled: it leaves the server's list.
    assert GOV_SUB not in ss1.clients
    info = await env.registry.get_security_server(SS1)
    assert info.disabled_clients == (GOV_SUB,)
    assert info.clients == ()
    # Disabled twice, or deleted-then-registered: refused, nothing changes.
    await _refused(env, env.client, *signed(disable), "InvalidRequest")
    again = body_for(T.CLIENT_REG, server=SS1, client=GOV_SUB, subsystem_name="Tax office")
    await _refused(env, env.client, *signed(again), "AlreadyRegistered")

    enable = body_for(T.CLIENT_ENABLE, server=SS1, client=GOV_SUB)
    assert await _accepted(env, *signed(enable)) is State.APPROVED
    ss1 = await _ss(env)
    assert ss1 is not None
    assert GOV_SUB in ss1.clients
    assert (await env.registry.get_security_server(SS1)).disabled_clients == ()
    await _refused(env, env.client, *signed(enable), "InvalidRequest")


async def test_disabled_client_can_be_deleted(env: Env) -> None:
    await env.registry.set_client_enabled(SS1, GOV_SUB, False, actor=ACTOR)
    deletion = body_for(T.CLIENT_DELETION, server=SS1, client=GOV_SUB)
    assert await _accepted(env, *signed(deletion)) is State.APPROVED
    info = await env.registry.get_security_server(SS1)
    assert (info.clients, info.disabled_clients) == ((), ())


async def test_owner_change_pending_then_approved(env: Env) -> None:
    await env.registry.add_server_client(SS1, COM, actor=ACTOR)
    body = body_for(T.OWNER_CHANGE, server=SS1, client=COM)
    status, raw = await _post(env.client, *signed(body, signer=COM))
    assert status == 200, raw
    request_id = decode_response(raw).request_id
    assert request_id is not None
    assert (await env.service.get(request_id)).state is State.PENDING  # waits for the operator
    await env.service.approve(request_id, actor=ACTOR)
    assert await _ss(env, GOV) is None
    moved = await _ss(env, COM)
    assert moved is not None
    assert moved.auth_cert_hashes  # certificates and clients stay with the server
    assert set(moved.clients) == {GOV_SUB, COM}
    owners = next(
        g
        for g in (await env.registry.snapshot()).global_groups
        if g.code == "security-server-owners"
    )
    assert COM in owners.members
    assert GOV not in owners.members


async def test_owner_change_needs_the_new_owner_as_client(env: Env) -> None:
    body = body_for(T.OWNER_CHANGE, server=SS1, client=COM)
    await _refused(env, env.client, *signed(body, signer=COM), "InvalidRequest")
    body = body_for(T.OWNER_CHANGE, server=SS1, client=COM_SUB)
    await _refused(env, env.client, *signed(body, signer=COM), "InvalidRequest")


async def test_owner_change_conflict_leaves_registry(env: Env) -> None:
    await env.registry.add_server_client(SS1, COM, actor=ACTOR)
    await env.registry.add_security_server(SecurityServerId(COM, "SS1"), "x.vn", actor=ACTOR)
    before = await env.registry.snapshot()
    with pytest.raises(RegistryError):
        await env.registry.change_server_owner(SS1, COM, actor=ACTOR)
    assert await env.registry.snapshot() == before


async def test_registry_refuses_enable_of_an_enabled_client(env: Env) -> None:
    with pytest.raises(RegistryError):
        await env.registry.set_client_enabled(SS1, GOV_SUB, True, actor=ACTOR)
    with pytest.raises(RegistryError):
        await env.registry.set_client_enabled(SS1, COM, False, actor=ACTOR)
