"""Admin API end to end with management requests: a real central server (registration and
management services, configuration distribution), the development CA over HTTP, and the
security server's onboarding service behind the API. authCertReg, clientReg, clientDeletion
and authCertDeletion go out through the API and answer 202 (pr-mserv §2.3-§2.6)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from central_server.admin_api.conf import anchor_from_generation, generation_dir
from central_server.app import build as build_central
from central_server.distribution import load_generation
from central_server.management import ManagementService
from central_server.settings import CentralServerSettings
from security_server.admin_api import Role
from security_server.admin_api import schemas as s
from tests.e2e.processes import free_port
from tests.integration.security_server import test_admin_api_support as support
from tests.integration.security_server.test_admin_api_support import Api
from tests.integration.security_server.test_onboarding_support import (
    populate_registry,
    running_ca,
)
from vdx.cli._serve import listening
from vdx.identifiers import ClientId

INSTANCE = "VN"
OWNER = ClientId(INSTANCE, "GOV", "1001")
PORTAL = "VN:GOV:1001:PORTAL"
SEC = Role.SECURITY_OFFICER.value
REG = Role.REGISTRATION_OFFICER.value
ADMIN = Role.SYSTEM_ADMINISTRATOR.value
OBS = Role.OBSERVER.value
WAIT_SECONDS = 40


@dataclass
class Env:
    api: Api
    requests: ManagementService
    ca_url: str
    ports: dict[str, int]


async def _until(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


async def _anchor(settings: CentralServerSettings, port: int) -> bytes:
    folder = generation_dir(settings.data_dir)

    async def generated() -> bool:
        return await asyncio.to_thread(load_generation, folder) is not None

    await _until("a published configuration", generated)
    generation = await asyncio.to_thread(load_generation, folder)
    assert generation is not None
    return anchor_from_generation(generation, f"http://127.0.0.1:{port}/internalconf")


@pytest.fixture
async def env(aiohttp_client: support.ClientFactory, tmp_path: Path) -> AsyncIterator[Env]:
    ports = {name: free_port() for name in ("conf", "registration", "management")}
    settings = CentralServerSettings(
        instance_identifier=INSTANCE,
        data_dir=tmp_path / "cs",
        conf_http_port=ports["conf"],
        conf_https_port=0,
        registration_port=ports["registration"],
        management_port=ports["management"],
        admin_api_port=0,
        conf_generation_interval_seconds=1,
    )
    async with running_ca(tmp_path / "ca") as (store, ca_url):
        central = await build_central(settings)
        try:
            await populate_registry(central, store, ca_url)
            async with listening(central.apps, "127.0.0.1"):
                anchor = await _anchor(settings, ports["conf"])
                async for api in support.start_api(
                    aiohttp_client,
                    f"sqlite+aiosqlite:///{tmp_path / 'ss.db'}",
                    tmp_path / "ss",
                    anchor=anchor,
                    management_service_url=(
                        f"http://127.0.0.1:{ports['management']}/managementservice/"
                    ),
                ):
                    await api.onboarding.open_token(None)
                    requests = ManagementService(central.engine, central.registry)
                    yield Env(api, requests, ca_url, ports)
        finally:
            await central.engine.dispose()


async def _issue(env: Env, csr: str, profile: str) -> bytes:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{env.ca_url}/issue", params={"profile": profile}, data=csr.encode()
        ) as answer,
    ):
        assert answer.status == 200, await answer.text()
        return await answer.read()


async def _sync_until(env: Env, what: str, done: Callable[[], Awaitable[bool]]) -> None:
    """What the composition root does each round: download, then apply the configuration."""

    async def check() -> bool:
        await env.api.conf.refresh_now()
        current = env.api.conf.current
        assert current is not None
        await env.api.onboarding.apply_globalconf(current)
        return await done()

    await _until(what, check)


async def test_registration_requests_through_the_api(env: Env) -> None:
    api = env.api
    await api.conf.refresh_now()
    status = await api.call("GET", "/system/status", OBS, expect=200)
    assert status["globalconf"]["ok"] is True
    init = {
        "owner_member_class": "GOV",
        "owner_member_code": "1001",
        "server_code": "SS1",
        "pin": "ss-token-pin",
    }
    await api.call("POST", "/system/initialize", ADMIN, json=init, expect=201)
    auth = await api.call("POST", "/keys", SEC, json={"usage": "auth", "label": "a"}, expect=201)
    sign = await api.call("POST", "/keys", SEC, json={"usage": "sign", "label": "s"}, expect=201)
    auth_csr = await api.call("POST", f"/keys/{auth['id']}/csr", SEC, expect=200)
    sign_csr = await api.call(
        "POST", f"/keys/{sign['id']}/csr", SEC, json={"member": OWNER.to_colon()}, expect=200
    )
    pem = {"Content-Type": "application/x-pem-file"}
    auth_cert = await api.call(
        "POST",
        "/certificates",
        SEC,
        data=await _issue(env, auth_csr, "auth"),
        headers=pem,
        expect=201,
    )
    sign_cert = await api.call(
        "POST",
        "/certificates",
        SEC,
        data=await _issue(env, sign_csr, "sign"),
        headers=pem,
        expect=201,
    )
    assert sign_cert["member"] == OWNER.to_colon()  # the CA's profile, known from the conf

    # authCertReg: 202, the request is at the central server
    c = f"/certificates/{auth_cert['id']}"
    sent = await api.call("POST", c + "/register", SEC, json={"address": "127.0.0.1"}, expect=202)
    s.ManagementRequest.model_validate(sent)
    assert sent["type"] == "authCertReg"
    assert sent["sent_to"].startswith(f"https://127.0.0.1:{env.ports['registration']}/")
    await api.call("POST", c + "/register", SEC, json={"address": "127.0.0.1"}, expect=409)
    await env.requests.approve(sent["request_id"], actor="cs-operator")

    async def auth_registered() -> bool:
        return (await api.call("GET", c, OBS))["status"] == "registered"

    await _sync_until(env, "the auth certificate registered", auth_registered)
    assert (await api.call("POST", c + "/activate", SEC, expect=200))["active"] is True

    # clientReg and clientDeletion
    await api.call("POST", "/clients", REG, json={"id": PORTAL}, expect=201)
    client = "/clients/" + quote(PORTAL)
    sent = await api.call("POST", client + "/register", REG, expect=202)
    assert sent["type"] == "clientReg"
    assert sent["sent_to"] == f"http://127.0.0.1:{env.ports['management']}/managementservice/"
    got = await api.call("GET", client, OBS, expect=200)
    assert got["state"] == "registration_in_progress"
    await api.call("POST", client + "/register", REG, expect=409)
    await env.requests.approve(sent["request_id"], actor="cs-operator")

    async def client_registered() -> bool:
        return (await api.call("GET", client, OBS))["state"] == "registered"

    await _sync_until(env, "the client registered", client_registered)
    sent = await api.call("POST", client + "/unregister", REG, expect=202)
    assert sent["type"] == "clientDeletion"
    assert (await api.call("GET", client, OBS))["state"] == "deletion_in_progress"

    # authCertDeletion
    sent = await api.call("POST", c + "/unregister", SEC, expect=202)
    assert sent["type"] == "authCertDeletion"
    audit = await api.call("GET", "/audit-log?limit=200", OBS, expect=200)
    acted = {(e["actor"], e["action"]) for e in audit}
    assert ("key-security-officer", "register_auth_certificate") in acted
    assert ("key-registration-officer", "clientReg") in acted
