"""Onboarding against a real central server and a real CA, in process.

On the security server side the configuration client and the onboarding service: initialise,
keys, CSRs certified by the CA, certificates imported, authCertReg and clientReg built, signed
and sent, approved by the central server's operator, published, and the states moved by the
next global configuration (pr-mserv §2, ug-ss §3-§4). Nothing is replaced by a stand-in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from central_server.management import State
from security_server.confclient import ConfigurationClient
from security_server.onboarding import OnboardingService
from security_server.serverconf import ClientState, ErrorCode, ServerConfError, ServerConfService
from security_server.storage import open_engine
from tests.integration.security_server.test_onboarding_support import (
    ACTOR,
    INSTANCE,
    OWNER,
    PORTAL,
    Central,
    central_server,
    until,
)
from vdx.globalconf.anchor import parse_anchor
from vdx.identifiers import ClientId
from vdx.tokens import KeyUsage


@dataclass
class Env:
    central: Central
    conf: ConfigurationClient
    onboarding: OnboardingService
    serverconf: ServerConfService
    keys_changed: list[int]


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async with central_server(tmp_path) as central:
        conf = ConfigurationClient(anchor=parse_anchor(central.anchor), interval_seconds=1)
        engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path / 'ss.db'}")
        serverconf = ServerConfService(engine)
        keys_changed: list[int] = []

        async def changed() -> None:
            keys_changed.append(1)

        onboarding = OnboardingService(
            serverconf=serverconf,
            engine=engine,
            conf=conf,
            token_dir=tmp_path / "tokens",
            on_keys_changed=changed,
            management_service_url=central.management_url,
        )
        await onboarding.open_token(None)
        try:
            yield Env(central, conf, onboarding, serverconf, keys_changed)
        finally:
            await conf.stop()
            await engine.dispose()


async def _issue(env: Env, csr: bytes, profile: str) -> bytes:
    return await env.central.issue(csr, profile)


async def _sync_until(env: Env, what: str, done: Callable[[], Awaitable[bool]]) -> list[str]:
    """Download configurations and apply them until ``done``; every change applied."""
    changes: list[str] = []

    async def check() -> bool:
        await env.conf.refresh_now()
        current = env.conf.current
        assert current is not None
        changes.extend(await env.onboarding.apply_globalconf(current))
        return await done()

    await until(what, check)
    return changes


async def _refused(call: Awaitable[object], code: ErrorCode) -> str:
    with pytest.raises(ServerConfError) as refused:
        await call
    assert refused.value.code is code, refused.value
    return refused.value.message


async def test_onboarding_registers_the_server_and_a_client(env: Env) -> None:
    o = env.onboarding
    await env.conf.refresh_now()
    status = await o.status()
    assert not status.initialized
    assert status.to_json()["token"] == {
        "id": "softtoken-0",
        "initialized": False,
        "logged_in": False,
    }
    assert status.instance == INSTANCE
    assert status.globalconf.ok

    await _refused(
        o.initialize(ClientId("EE", "GOV", "1"), "SS1", "pin", actor=ACTOR), ErrorCode.INVALID
    )
    identity = await o.initialize(OWNER, "SS1", "ss-token-pin", actor=ACTOR)
    assert identity.server_id.to_colon() == "VN:GOV:1001:SS1"
    await _refused(o.initialize(OWNER, "SS2", "ss-token-pin", actor=ACTOR), ErrorCode.CONFLICT)
    status = await o.status()
    assert status.initialized
    assert status.token.logged_in
    assert status.to_json()["owner"] == "VN:GOV:1001"

    auth_key = await o.generate_key(KeyUsage.AUTHENTICATION, "auth", actor=ACTOR)
    sign_key = await o.generate_key(KeyUsage.SIGNING, "sign", actor=ACTOR)
    assert auth_key.to_json()["usage"] == "auth"
    assert auth_key.to_json()["algorithm"] == "RSA2048"
    await _refused(o.create_csr(auth_key.id, member=OWNER, actor=ACTOR), ErrorCode.INVALID)
    auth_pem = await _issue(env, await o.create_csr(auth_key.id, actor=ACTOR), "auth")
    sign_pem = await _issue(env, await o.create_csr(sign_key.id, member=OWNER, actor=ACTOR), "sign")
    auth = await o.import_certificate(auth_pem, actor=ACTOR)  # PEM
    sign_der = x509.load_pem_x509_certificate(sign_pem).public_bytes(Encoding.DER)
    sign = await o.import_certificate(sign_der, actor=ACTOR)  # DER
    assert (auth.usage, auth.status, auth.active) == (KeyUsage.AUTHENTICATION, "saved", False)
    assert (sign.status, sign.active, sign.member) == ("registered", True, OWNER)
    await _refused(o.import_certificate(sign_der, actor=ACTOR), ErrorCode.CONFLICT)

    # authCertReg to the registration service (TLS, pinned certificate).
    sent = await o.register_auth_certificate(auth.id, "127.0.0.1:5500", actor=ACTOR)
    assert sent.type == "authCertReg"
    assert sent.sent_to == env.central.registration_url
    record = await env.central.requests.get(sent.request_id)
    assert record.state is State.PENDING
    assert (await o.certificate(auth.id)).status == "registration in progress"
    await _refused(
        o.register_auth_certificate(auth.id, "127.0.0.1:5500", actor=ACTOR), ErrorCode.CONFLICT
    )

    await env.central.requests.approve(sent.request_id, actor="cs-operator")

    async def auth_registered() -> bool:
        return (await o.certificate(auth.id)).status == "registered"

    changes = await _sync_until(env, "the auth certificate registered", auth_registered)
    assert f"certificate {auth.id}: registration confirmed" in changes
    owner_entry = await env.serverconf.get_client(OWNER)
    assert owner_entry.state is ClientState.REGISTERED  # the owner comes with the server
    assert not (await o.certificate(auth.id)).active  # the operator activates it (ug-ss §3)
    before = len(env.keys_changed)
    assert (await o.activate_certificate(auth.id, actor=ACTOR)).active
    assert len(env.keys_changed) == before + 1

    # clientReg to the management service, signed by the client's member.
    await env.serverconf.add_client(PORTAL, actor=ACTOR)
    sent = await o.register_client(PORTAL, actor=ACTOR)
    assert sent.to_json() == {
        "request_id": sent.request_id,
        "type": "clientReg",
        "sent_to": env.central.management_url,
    }
    client = await env.serverconf.get_client(PORTAL)
    assert client.state is ClientState.REGISTRATION_IN_PROGRESS
    await env.central.requests.approve(sent.request_id, actor="cs-operator")

    async def client_registered() -> bool:
        return (await env.serverconf.get_client(PORTAL)).state is ClientState.REGISTERED

    changes = await _sync_until(env, "the client registered", client_registered)
    assert "client VN:GOV:1001:PORTAL: registered" in changes

    # clientDeletion: back to saved once the configuration no longer lists it.
    sent = await o.unregister_client(PORTAL, actor=ACTOR)
    assert sent.type == "clientDeletion"
    assert (await env.serverconf.get_client(PORTAL)).state is ClientState.DELETION_IN_PROGRESS
    if (await env.central.requests.get(sent.request_id)).state is State.PENDING:
        await env.central.requests.approve(sent.request_id, actor="cs-operator")

    async def client_saved() -> bool:
        return (await env.serverconf.get_client(PORTAL)).state is ClientState.SAVED

    await _sync_until(env, "the client deleted", client_saved)

    audit = await env.serverconf.audit_log(limit=200)
    actions = {(e.actor, e.action) for e in audit}
    assert (ACTOR, "register_auth_certificate") in actions
    assert (ACTOR, "clientReg") in actions
    assert ("globalconf", "set_client_state") in actions


async def test_refusals_before_initialisation_and_without_a_signing_certificate(
    env: Env,
) -> None:
    o = env.onboarding
    await _refused(o.token_info(), ErrorCode.CONFLICT)
    await _refused(o.login("pin", actor=ACTOR), ErrorCode.CONFLICT)
    await env.conf.refresh_now()
    await o.initialize(OWNER, "SS1", "right-pin", actor=ACTOR)
    await o.logout(actor=ACTOR)
    assert not (await o.status()).token.logged_in
    await _refused(o.generate_key(KeyUsage.SIGNING, "k", actor=ACTOR), ErrorCode.CONFLICT)
    await _refused(o.login("wrong-pin", actor=ACTOR), ErrorCode.INVALID)
    await o.login("right-pin", actor=ACTOR)
    assert (await o.token_info()).to_json() == {"id": "softtoken-0", "logged_in": True, "keys": []}
    key = await o.generate_key(KeyUsage.AUTHENTICATION, "auth", actor=ACTOR)
    auth = await o.import_certificate(
        await _issue(env, await o.create_csr(key.id, actor=ACTOR), "auth"), actor=ACTOR
    )
    # No signing certificate of the owner on the token: nothing can be signed.
    message = await _refused(
        o.register_auth_certificate(auth.id, "ss1.example.vn", actor=ACTOR), ErrorCode.CONFLICT
    )
    assert "MEMBER:VN/GOV/1001" in message or "VN:GOV:1001" in message, message
    assert (await o.certificate(auth.id)).status == "saved"  # nothing sent, nothing changed
    await _refused(o.certificate("00" * 32), ErrorCode.NOT_FOUND)
    await _refused(o.register_client(OWNER, actor=ACTOR), ErrorCode.INVALID)
