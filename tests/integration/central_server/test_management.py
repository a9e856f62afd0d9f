"""Management services over HTTP against a real registry (SQLite and PostgreSQL).

A security server posts signed requests; valid ones are stored pending (or applied at once when
their type auto-approves), the operator approves or rejects, the server polls the state. Every
bad request is answered with a SOAP fault and leaves the registry snapshot as it was.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from central_server.management import (
    REGISTRATION_TYPES,
    ManagementService,
    State,
    setup_management_services,
)
from central_server.management.states import InvalidTransitionError
from central_server.registry import (
    CaSpec,
    IntermediateCaSpec,
    OcspResponderSpec,
    RegistryError,
    RegistryService,
)
from central_server.storage import create_engine, migrate
from tests import databases
from tests.integration.central_server import registry_support as rs
from tests.unit.central_server import test_management_support as ms
from tests.unit.central_server.test_management_support import (
    COM,
    COM_SUB,
    GOV,
    GOV_SUB,
    NOW,
    SS1,
    SS2,
    auth_cert_reg,
    body_for,
    der,
    signed,
)
from tests.unit.crypto import pki
from vdx.crypto.cert_profile import DEFAULT_PROVIDER
from vdx.identifiers import ClientId, SecurityServerId
from vdx.message.management import RequestType, decode_response

T = RequestType
Client = TestClient[web.Request, web.Application]
Request = tuple[bytes, str]
ACTOR = "alice"
pg_database = databases.postgres_module_fixture()
db_url = rs.db_url_fixture()


@dataclasses.dataclass
class Env:
    registry: RegistryService
    service: ManagementService
    client: Client  # the management service (4002)
    registration: Client  # the registration service (4001)


async def _populate(registry: RegistryService) -> None:
    p = pki.pki()
    await registry.set_instance("VN", actor=ACTOR)
    await registry.add_member_class("GOV", "Government", actor=ACTOR)
    await registry.add_member_class("COM", "Commercial", actor=ACTOR)
    await registry.add_member(GOV, "Ministry", actor=ACTOR)
    await registry.add_member(COM, "Company", actor=ACTOR)
    await registry.add_subsystem(GOV_SUB, "Tax office", actor=ACTOR)
    await registry.add_security_server(SS1, "ss1.example.vn", actor=ACTOR)
    await registry.add_auth_cert(SS1, der(ms.auth_cert("ss1")), actor=ACTOR)
    await registry.add_server_client(SS1, GOV_SUB, actor=ACTOR)
    await registry.add_ca(
        CaSpec(
            name=ms.CA_NAME,
            top_ca_der=der(p.root),
            certificate_profile_info=DEFAULT_PROVIDER,
            ocsp=(OcspResponderSpec("http://ocsp.test.invalid/root"),),
            intermediates=(
                IntermediateCaSpec(
                    der(p.intermediate), (OcspResponderSpec(pki.OCSP_URL, der(p.responder)),)
                ),
            ),
        ),
        actor=ACTOR,
    )


@pytest.fixture
async def env(db_url: str, aiohttp_client: object) -> AsyncIterator[Env]:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        registry = RegistryService(engine, rs.StepClock())
        await _populate(registry)
        service = ManagementService(engine, registry, clock=lambda: NOW)
        management_app = web.Application()
        setup_management_services(management_app, service=service)
        registration_app = web.Application()
        setup_management_services(registration_app, service=service, types=REGISTRATION_TYPES)
        yield Env(
            registry,
            service,
            await aiohttp_client(management_app),  # type: ignore[operator]
            await aiohttp_client(registration_app),  # type: ignore[operator]
        )
    finally:
        await engine.dispose()


PATH = "/managementservice/"


async def _post(client: Client, data: bytes, ctype: str) -> tuple[int, bytes]:
    response = await client.post(PATH, data=data, headers={"Content-Type": ctype})
    return response.status, await response.read()


async def test_auth_cert_reg_pending_then_approved(env: Env) -> None:
    before = await env.registry.snapshot()
    status, body = await _post(env.registration, *signed(auth_cert_reg()))
    assert status == 200, body
    request_id = decode_response(body).request_id
    assert request_id is not None
    assert await env.registry.snapshot() == before  # pending changes nothing

    record = await env.service.get(request_id)
    assert record.state is State.PENDING
    assert [r.id for r in await env.service.list_requests(State.PENDING)] == [request_id]
    poll = await env.registration.get(
        f"{PATH}requests/{request_id}", params={"server": SS2.to_colon()}
    )
    assert (await poll.json())["state"] == "pending"

    approved = await env.service.approve(request_id, actor=ACTOR)
    assert approved.state is State.APPROVED
    assert approved.decided_by == ACTOR
    servers = {
        (s.owner, s.server_code): s for s in (await env.registry.snapshot()).security_servers
    }
    ss2 = servers[(GOV, "SS2")]
    assert ss2.address == "ss2.example.vn"
    assert ms.verify_hash(der(ms.auth_cert("ss2"))) in ss2.auth_cert_hashes
    poll = await env.registration.get(
        f"{PATH}requests/{request_id}", params={"server": SS2.to_colon()}
    )
    assert (await poll.json())["state"] == "approved"
    log = await env.registry.audit_log()
    assert any(e.action == "add_auth_cert" and e.actor == ACTOR for e in log)
    assert any(e.action == "management_request_approved" for e in log)
    with pytest.raises(InvalidTransitionError):
        await env.service.reject(request_id, actor=ACTOR)


async def test_client_reg_then_reject_and_approve(env: Env) -> None:
    body = body_for(T.CLIENT_REG, server=SS1, client=COM_SUB, subsystem_name="Shop")
    status, raw = await _post(env.client, *signed(body, signer=COM))
    assert status == 200, raw
    first = decode_response(raw).request_id
    assert first is not None
    rejected = await env.service.reject(first, actor="bob", reason="not yet")
    assert rejected.state is State.REJECTED
    assert rejected.decided_by == "bob"

    status, raw = await _post(env.client, *signed(body, signer=COM))
    assert status == 200, raw
    second = decode_response(raw).request_id
    assert second is not None
    assert second != first
    await env.service.approve(second, actor=ACTOR)
    snapshot = await env.registry.snapshot()
    ss1 = next(s for s in snapshot.security_servers if s.server_code == "SS1")
    assert COM_SUB in ss1.clients
    com = next(m for m in snapshot.members if m.code == "9999")
    assert [(s.code, s.name) for s in com.subsystems] == [("SHOP", "Shop")]


async def test_address_change_is_applied_at_once(env: Env) -> None:
    body = body_for(T.ADDRESS_CHANGE, server=SS1, address="new.example.vn")
    status, raw = await _post(env.client, *signed(body))
    assert status == 200, raw
    record = await env.service.get(decode_response(raw).request_id or 0)
    assert record.state is State.APPROVED
    ss1 = next(
        s for s in (await env.registry.snapshot()).security_servers if s.server_code == "SS1"
    )
    assert ss1.address == "new.example.vn"


async def _refused(env: Env, client: Client, data: bytes, ctype: str, code: str) -> None:
    before = await env.registry.snapshot()
    rows_before = len(await env.service.list_requests())
    status, raw = await _post(client, data, ctype)
    assert status == 500
    fault_code = code if "." in code else f"Client.{code}"
    assert f"<faultcode>{fault_code}</faultcode>".encode() in raw, raw[:600]
    assert await env.registry.snapshot() == before
    assert len(await env.service.list_requests()) == rows_before


BAD: dict[str, tuple[Callable[[], Request], str]] = {
    "wrong owner signature": (
        lambda: signed(auth_cert_reg(), tamper="owner"),
        "InvalidSignatureValue",
    ),
    "wrong proof of possession": (
        lambda: signed(auth_cert_reg(), tamper="auth"),
        "InvalidSignatureValue",
    ),
    "signed by another member": (lambda: signed(auth_cert_reg(), signer=COM), "AccessDenied"),
    "unknown member": (
        lambda: signed(auth_cert_reg(SecurityServerId(ClientId("VN", "GOV", "7777"), "X"))),
        "UnknownMember",
    ),
    "revoked certificate": (
        lambda: signed(auth_cert_reg(), ocsp_status="revoked"),
        "CertValidation",
    ),
    "malformed XML": (lambda: (b"<SOAP-ENV:Envelope><unclosed>", "text/xml"), "InvalidSoap"),
    "not XML at all": (lambda: (b"\x00\xff" * 100, "text/xml"), "InvalidSoap"),
    "bad multipart": (
        lambda: (
            b"--b\r\nContent-Type: text/xml\r\n\r\n<x/>\r\n--b--",
            "multipart/related; boundary=b",
        ),
        "InvalidSoap",
    ),
    "wrong content type": (lambda: (b"{}", "application/json"), "InvalidContentType"),
}


@pytest.mark.parametrize("case", list(BAD))
async def test_bad_registration_requests(env: Env, case: str) -> None:
    make, code = BAD[case]
    data, ctype = make()
    await _refused(env, env.registration, data, ctype, code)


async def test_replay_refused(env: Env) -> None:
    data, ctype = signed(auth_cert_reg(), message_id="replayed-1")
    status, raw = await _post(env.registration, data, ctype)
    assert status == 200, raw
    await _refused(env, env.registration, data, ctype, "ReplayedRequest")


async def test_registration_listener_takes_only_auth_cert_reg(env: Env) -> None:
    body = body_for(T.ADDRESS_CHANGE, server=SS1, address="x.example.vn")
    await _refused(env, env.registration, *signed(body), "UnknownService")
    await _refused(env, env.client, *signed(auth_cert_reg()), "UnknownService")


async def test_failed_auto_approval_leaves_registry(env: Env) -> None:
    # clientDeletion of a client SS1 does not have: refused by verification, nothing stored.
    body = body_for(T.CLIENT_DELETION, server=SS1, client=COM_SUB)
    await _refused(env, env.client, *signed(body), "InvalidRequest")


async def test_fifty_megabytes_refused_quickly(env: Env) -> None:
    before = await env.registry.snapshot()
    chunk = b"x" * (1024 * 1024)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(50):
            sent += len(chunk)
            yield chunk
            await asyncio.sleep(0)

    started = time.monotonic()
    response = await env.client.post(PATH, data=body(), headers={"Content-Type": "text/xml"})
    raw = await response.read()
    elapsed = time.monotonic() - started
    assert response.status == 500
    assert b"Client.InvalidRequest" in raw
    assert b"larger than" in raw
    assert elapsed < 5
    assert await env.registry.snapshot() == before


async def test_declared_length_too_big_refused_before_reading(env: Env) -> None:
    response = await env.client.post(
        PATH, data=b"x" * 300_000, headers={"Content-Type": "text/xml"}
    )
    assert response.status == 500
    assert b"larger than" in await response.read()


async def test_poll_needs_the_right_server(env: Env) -> None:
    _status, raw = await _post(env.registration, *signed(auth_cert_reg()))
    request_id = decode_response(raw).request_id
    wrong = await env.client.get(f"{PATH}requests/{request_id}", params={"server": SS1.to_colon()})
    assert wrong.status == 404
    missing = await env.client.get(f"{PATH}requests/999999", params={"server": SS2.to_colon()})
    assert missing.status == 404


async def test_deletion_withdraws_a_pending_registration(env: Env) -> None:
    before = await env.registry.snapshot()
    status, raw = await _post(env.registration, *signed(auth_cert_reg()))
    assert status == 200, raw
    registration = decode_response(raw).request_id or 0
    deletion = body_for(T.AUTH_CERT_DELETION, server=SS2, auth_cert=der(ms.auth_cert("ss2")))
    status, raw = await _post(env.client, *signed(deletion))
    assert status == 200, raw
    assert (await env.service.get(registration)).state is State.REVOKED
    assert (await env.service.get(decode_response(raw).request_id or 0)).state is State.APPROVED
    assert await env.registry.snapshot() == before
    with pytest.raises(InvalidTransitionError):
        await env.service.approve(registration, actor=ACTOR)


async def test_approval_refused_by_registry_keeps_request_pending(env: Env) -> None:
    body = body_for(T.CLIENT_REG, server=SS1, client=COM_SUB, subsystem_name="Shop")
    status, raw = await _post(env.client, *signed(body, signer=COM))
    assert status == 200, raw
    request_id = decode_response(raw).request_id or 0
    await env.registry.delete_security_server(SS1, actor=ACTOR)  # the server went away meanwhile
    with pytest.raises(RegistryError):
        await env.service.approve(request_id, actor=ACTOR)
    assert (await env.service.get(request_id)).state is State.PENDING
