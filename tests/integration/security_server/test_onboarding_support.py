"""A real central server and CA in process, for the onboarding tests (no tests here).

The development CA (issuance and OCSP over HTTP) and the central server wired by its own
composition root (configuration distribution, registration service over TLS on a known port,
management service), its registry holding the owner member and the CA; the anchor exported
from the first published configuration.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from central_server.admin_api.conf import anchor_from_generation, generation_dir
from central_server.app import CentralServer
from central_server.app import build as build_central
from central_server.distribution import load_generation
from central_server.management import ManagementService
from central_server.registry import CaSpec, IntermediateCaSpec, OcspResponderSpec
from central_server.settings import CentralServerSettings
from tests.e2e.processes import free_port
from trust_services.app import create_app
from trust_services.store import CaDirectory
from vdx.cli._serve import listening
from vdx.clock import utc_now
from vdx.crypto.cert_profile import DEFAULT_PROVIDER
from vdx.identifiers import ClientId

INSTANCE = "VN"  # two letters: the EJBCA profile's C = instance (X.520 countryName)
OWNER = ClientId(INSTANCE, "GOV", "1001")
PORTAL = ClientId(INSTANCE, "GOV", "1001", "PORTAL")
ACTOR = "officer"
WAIT_SECONDS = 40


@dataclass
class Central:
    server: CentralServer
    requests: ManagementService  # the operator's side: approve / reject
    ca_url: str
    ports: dict[str, int]
    anchor: bytes

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['management']}/managementservice/"

    @property
    def registration_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['registration']}/managementservice/"

    async def issue(self, csr: bytes, profile: str) -> bytes:
        """The CA certifies ``csr`` (PEM) under ``profile`` (auth / sign): PEM."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.ca_url}/issue", params={"profile": profile}, data=csr) as answer,
        ):
            assert answer.status == 200, await answer.text()
            return await answer.read()


async def until(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


@asynccontextmanager
async def running_ca(root: Path) -> AsyncIterator[tuple[CaDirectory, str]]:
    store = CaDirectory(root)
    store.init(utc_now(), intermediate=True, key_kind="rsa2048")
    runner = web.AppRunner(create_app(store), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield store, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def _der(path: str) -> bytes:
    return x509.load_pem_x509_certificate(Path(path).read_bytes()).public_bytes(Encoding.DER)


async def populate_registry(central: CentralServer, store: CaDirectory, ca_url: str) -> None:
    registry = central.registry
    manifest = store.manifest()
    await registry.add_member_class("GOV", "Government", actor=ACTOR)
    await registry.add_member(OWNER, "Ministry of Data", actor=ACTOR)
    responder = OcspResponderSpec(f"{ca_url}/ocsp", _der(manifest["ocsp_cert"]))
    await registry.add_ca(
        CaSpec(
            name="VN Test CA",
            top_ca_der=_der(manifest["ca_cert"]),
            certificate_profile_info=DEFAULT_PROVIDER,
            intermediates=(IntermediateCaSpec(_der(manifest["intermediate_cert"]), (responder,)),),
        ),
        actor=ACTOR,
    )


async def _anchor(settings: CentralServerSettings, port: int) -> bytes:
    folder = generation_dir(settings.data_dir)

    async def generated() -> bool:
        return await asyncio.to_thread(load_generation, folder) is not None

    await until("a published configuration", generated)
    generation = await asyncio.to_thread(load_generation, folder)
    assert generation is not None
    return anchor_from_generation(generation, f"http://127.0.0.1:{port}/internalconf")


@asynccontextmanager
async def central_server(root: Path) -> AsyncIterator[Central]:
    # Known ports: the registration service's address is published in the private parameters.
    ports = {name: free_port() for name in ("conf", "registration", "management")}
    settings = CentralServerSettings(
        instance_identifier=INSTANCE,
        data_dir=root / "cs",
        conf_http_port=ports["conf"],
        conf_https_port=0,
        registration_port=ports["registration"],
        management_port=ports["management"],
        admin_api_port=0,
        conf_generation_interval_seconds=1,
    )
    async with running_ca(root / "ca") as (store, ca_url):
        server = await build_central(settings)
        try:
            await populate_registry(server, store, ca_url)
            async with listening(server.apps, "127.0.0.1"):
                anchor = await _anchor(settings, ports["conf"])
                requests = ManagementService(server.engine, server.registry)
                yield Central(server, requests, ca_url, ports, anchor)
        finally:
            await server.engine.dispose()
