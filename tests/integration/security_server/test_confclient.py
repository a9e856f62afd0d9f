"""The configuration client against a real central server distribution app on 127.0.0.1.

The central server side is ``central_server.distribution`` with the confgen generator and a
hand-built instance (tests/unit/central_server/test_confgen_support.py); the client downloads,
verifies and swaps over real HTTP. Time on the client side is a clock the tests move.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import CollectorRegistry

from central_server.confgen import SoftwareDirectorySigner, anchor_for
from central_server.distribution import (
    CONF_STORE,
    ConfigurationPublisher,
    setup_configuration_distribution,
)
from security_server.confclient import (
    CONF_CLIENT,
    TASK_NAME,
    Action,
    ConfigurationClient,
    DownloadLimits,
    setup_configuration_client,
)
from tests.unit.central_server.test_confgen_support import (
    private_parameters,
    rsa_signer,
    shared_parameters,
)
from tests.unit.security_server.confclient_support import Clock
from vdx.clock import utc_now
from vdx.errors import Code, Origin, XRoadError
from vdx.globalconf import (
    AnchorSource,
    ConfigurationAnchor,
    SharedParameters,
    parse_shared_params,
    produce_anchor,
)
from vdx.globalconf.directory import split_stored
from vdx.globalconf.model import Member, SecurityServer, Subsystem
from vdx.identifiers import ClientId, SecurityServerId

ServerFactory = Callable[..., Awaitable[TestServer]]


class Registry:
    """The central server's registry snapshot, which tests change."""

    def __init__(self, shared: SharedParameters) -> None:
        self.shared = shared

    async def snapshot(self) -> SharedParameters:
        return self.shared


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not condition():  # noqa: ASYNC110 - polling state owned by a background task
            await asyncio.sleep(0.01)


async def central_server(
    aiohttp_server: ServerFactory,
    registry: Registry,
    signer: SoftwareDirectorySigner | None = None,
) -> tuple[TestServer, ConfigurationPublisher]:
    app = web.Application()
    publisher = setup_configuration_distribution(
        app,
        snapshot_provider=registry.snapshot,
        private=private_parameters(),
        signer=signer or rsa_signer(),
        registry=CollectorRegistry(),
        interval_seconds=3600.0,
    )
    server = await aiohttp_server(app, host="127.0.0.1")
    await until(lambda: app[CONF_STORE].current is not None)
    return server, publisher


def anchor_bytes(shared: SharedParameters, *urls: str) -> bytes:
    made = anchor_for(shared, urls[0], utc_now())
    sources = tuple(AnchorSource(url, made.sources[0].verification_certs) for url in urls)
    return produce_anchor(dataclasses.replace(made, sources=sources))


async def security_server(
    aiohttp_server: ServerFactory,
    anchor: bytes,
    data_dir: Path,
    clock: Clock,
    metrics: CollectorRegistry | None = None,
    **settings: Any,
) -> ConfigurationClient:
    """An app with only the configuration client, started through its cleanup context."""
    app = web.Application()
    client = setup_configuration_client(
        app,
        anchor_bytes=anchor,
        data_dir=data_dir,
        registry=metrics or CollectorRegistry(),
        interval_seconds=3600,
        clock=clock,
        **settings,
    )
    assert app[CONF_CLIENT] is client
    await aiohttp_server(app, host="127.0.0.1")
    await until(lambda: client.state.last_attempt is not None)  # the first round ran
    return client


def url(server: TestServer, path: str = "/internalconf") -> str:
    assert server.host == "127.0.0.1"
    return f"http://127.0.0.1:{server.port}{path}"


async def test_downloads_verifies_and_swaps(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    registry = Registry(shared_parameters(rsa_signer()))
    cs, publisher = await central_server(aiohttp_server, registry)
    clock, metrics = Clock(utc_now()), CollectorRegistry()
    client = await security_server(
        aiohttp_server, anchor_bytes(registry.shared, url(cs)), tmp_path, clock, metrics
    )
    assert any(task.get_name() == TASK_NAME for task in asyncio.all_tasks())
    config = client.valid()
    assert (config.instance, config.version, config.source_url) == ("VDX", 5, url(cs))
    assert config.private is not None
    owner = ClientId("VDX", "GOV", "1234")
    assert config.server_address(SecurityServerId(owner, "SS1")) == "ss1.vdx.test"
    assert (tmp_path / "globalconf.json").is_file()
    expiry = metrics.get_sample_value("vdx_ss_globalconf_expiry_seconds")
    assert expiry is not None
    assert 590 < expiry <= 600
    assert metrics.get_sample_value(
        "vdx_ss_globalconf_last_success_timestamp_seconds"
    ) == pytest.approx(clock.now.timestamp())
    assert metrics.get_sample_value("vdx_ss_globalconf_download_failures_total") == 0
    # The central server publishes a change; the next round swaps it in.
    registry.shared = shared_parameters(rsa_signer(), member_name="Renamed ministry")
    await publisher.regenerate()
    clock.advance(60)
    transition = await client.refresh_now()
    assert transition.action is Action.NEWER
    assert client.valid() is not config
    assert client.valid().index.clients[owner].name == "Renamed ministry"
    assert (await client.refresh_now()).action is Action.UNCHANGED
    assert client.status().to_json()["healthy"] is True


async def test_central_server_down_keeps_the_last_configuration_until_expiry(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    registry = Registry(shared_parameters(rsa_signer()))
    cs, _ = await central_server(aiohttp_server, registry)
    anchor = anchor_bytes(registry.shared, url(cs))
    clock, metrics = Clock(utc_now()), CollectorRegistry()
    client = await security_server(aiohttp_server, anchor, tmp_path, clock, metrics)
    config = client.valid()
    await cs.close()  # the central server goes away
    clock.advance(120)
    transition = await client.refresh_now()
    assert transition.action is Action.FAILED
    assert client.valid() is config  # still serving the last valid configuration
    error = client.status().last_error
    assert error is not None
    assert error.code == Code.NETWORK_ERROR
    assert error.at == clock.now
    assert metrics.get_sample_value("vdx_ss_globalconf_download_failures_total") == 1
    # A restart while the central server is down works offline from the stored copy.
    restarted = await security_server(aiohttp_server, anchor, tmp_path, Clock(clock.now))
    assert restarted.state.current is not None
    assert restarted.valid().directory_digest == config.directory_digest
    assert restarted.status().healthy
    # Past its expiry, traffic is refused with the X-Road fault.
    clock.now = config.expire_date
    assert client.valid() is config
    clock.advance(1)
    with pytest.raises(XRoadError) as refused:
        client.valid()
    assert refused.value.attributed_to(Origin.CLIENT_PROXY).fault_code == (
        "Server.ClientProxy.OutdatedGlobalConf"
    )
    status = client.status()
    assert not status.healthy
    assert status.reason is not None
    assert "OutdatedGlobalConf" in status.reason
    expiry = metrics.get_sample_value("vdx_ss_globalconf_expiry_seconds")
    assert expiry is not None
    assert expiry < 0


class TamperingProxy:
    """Forwards to the central server; when ``tamper`` is set, alters shared parameters."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.tamper = False

    async def handle(self, request: web.Request) -> web.Response:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.upstream + request.path_qs) as answer,
        ):
            body = await answer.read()
            content_type = answer.headers.get("Content-Type")
            status = answer.status
        if self.tamper and request.path.endswith("shared-params.xml"):
            body = body.replace(b"Ministry", b"Mimistry")
        headers = {"Content-Type": content_type} if content_type else {}
        return web.Response(status=status, body=body, headers=headers)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        return app


async def test_tampered_file_is_refused_and_the_old_configuration_kept(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    registry = Registry(shared_parameters(rsa_signer()))
    cs, publisher = await central_server(aiohttp_server, registry)
    proxy = TamperingProxy(f"http://127.0.0.1:{cs.port}")
    proxy_server = await aiohttp_server(proxy.app(), host="127.0.0.1")
    clock = Clock(utc_now())
    anchor = anchor_bytes(registry.shared, url(proxy_server))
    client = await security_server(aiohttp_server, anchor, tmp_path, clock)
    good = client.valid()
    registry.shared = shared_parameters(rsa_signer(), member_name="Ministry of Change")
    await publisher.regenerate()
    proxy.tamper = True
    clock.advance(60)
    transition = await client.refresh_now()
    assert transition.action is Action.FAILED
    error = transition.state.last_error
    assert error is not None
    assert error.code == Code.IO_ERROR
    assert "integrity" in error.message
    assert client.valid() is good
    proxy.tamper = False
    assert (await client.refresh_now()).action is Action.NEWER


async def test_configuration_signed_by_a_key_not_in_the_anchor_is_refused(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    intruder = rsa_signer("intruder")
    cs, _ = await central_server(
        aiohttp_server, Registry(shared_parameters(intruder)), signer=intruder
    )
    trusted = shared_parameters(rsa_signer())  # the anchor trusts the real signing key only
    client = await security_server(
        aiohttp_server, anchor_bytes(trusted, url(cs)), tmp_path, Clock(utc_now())
    )
    assert client.state.current is None
    error = client.status().last_error
    assert error is not None
    assert error.code == Code.CERT_VALIDATION
    with pytest.raises(XRoadError) as refused:
        client.valid()
    assert refused.value.code == Code.OUTDATED_GLOBALCONF
    assert not (tmp_path / "globalconf.json").exists()


async def test_sources_are_tried_in_order(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    registry = Registry(shared_parameters(rsa_signer()))
    cs, _ = await central_server(aiohttp_server, registry)
    dead = "http://127.0.0.1:1/internalconf"  # nothing listens on port 1
    client = await security_server(
        aiohttp_server, anchor_bytes(registry.shared, dead, url(cs)), tmp_path, Clock(utc_now())
    )
    assert client.valid().source_url == url(cs)


async def test_size_limit_and_timeout(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    registry = Registry(shared_parameters(rsa_signer()))
    cs, _ = await central_server(aiohttp_server, registry)
    small = await security_server(
        aiohttp_server,
        anchor_bytes(registry.shared, url(cs)),
        tmp_path / "small",
        Clock(utc_now()),
        limits=DownloadLimits(max_directory_bytes=200),
    )
    error = small.status().last_error
    assert error is not None
    assert error.code == Code.IO_ERROR
    assert "larger than 200 bytes" in error.message

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    slow_app = web.Application()
    slow_app.router.add_get("/internalconf", slow)
    slow_server = await aiohttp_server(slow_app, host="127.0.0.1")
    waiting = await security_server(
        aiohttp_server,
        anchor_bytes(registry.shared, url(slow_server)),
        tmp_path / "slow",
        Clock(utc_now()),
        limits=DownloadLimits(request_timeout_seconds=0.2),
    )
    error = waiting.status().last_error
    assert error is not None
    assert (error.code, error.message[:9]) == (Code.NETWORK_ERROR, "Timed out")


class Exploding(tuple[Any, ...]):
    """A registry tuple that fails when scanned: lookups must not iterate the registry."""

    __slots__ = ()

    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("the registry was scanned")


def large_instance(members: int, servers: int) -> SharedParameters:
    base = shared_parameters(rsa_signer())
    gov = base.members[0].member_class
    people = tuple(Member(gov, f"M{i}", f"Member {i}", (Subsystem("SUB"),)) for i in range(members))
    hosts = tuple(
        SecurityServer(
            owner=ClientId("VDX", "GOV", f"M{i}"),
            server_code=f"SS{i}",
            address=f"ss{i}.vdx.test",
            auth_cert_hashes=(hashlib.sha512(f"auth {i}".encode()).digest(),),
            clients=tuple(
                ClientId("VDX", "GOV", f"M{(i + k * servers) % members}", "SUB") for k in range(5)
            ),
        )
        for i in range(servers)
    )
    return dataclasses.replace(base, members=people, security_servers=hosts)


async def test_lookups_are_dict_lookups_in_a_large_instance(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    registry = Registry(large_instance(10_000, 2_000))
    cs, _ = await central_server(aiohttp_server, registry)
    client = await security_server(
        aiohttp_server, anchor_bytes(registry.shared, url(cs)), tmp_path, Clock(utc_now())
    )
    config = client.valid()
    assert len(config.shared.members) == 10_000
    index = config.index
    for mapping in (index.servers, index.clients, index.servers_of_client, index.auth_cert_servers):
        assert isinstance(mapping, MappingProxyType)  # a read-only view of a dict: hashed
    assert len(index.servers) == 2_000
    assert len(index.clients) == 20_000  # members and their subsystems
    # With the registry tuples unusable, every per-message lookup still answers.
    blind = dataclasses.replace(
        config,
        shared=dataclasses.replace(
            config.shared, members=Exploding(), security_servers=Exploding()
        ),
    )
    server = SecurityServerId(ClientId("VDX", "GOV", "M1999"), "SS1999")
    subsystem = ClientId("VDX", "GOV", "M7999", "SUB")
    assert blind.server(server) is not None
    assert blind.server_address(server) == "ss1999.vdx.test"
    assert blind.is_known_client(subsystem)
    assert blind.is_client_of(subsystem, server)  # 1999 + 3 * 2000
    assert server in blind.servers_of(subsystem)
    assert blind.server_by_auth_cert(b"auth 1999") == server
    assert not blind.is_known_client(ClientId("VDX", "GOV", "M10000"))


def file_server(folder: Path, *, stored_form: bool) -> web.Application:
    """Serves a copy of the reference's configuration folder as a central server would."""

    async def directory(request: web.Request) -> web.Response:
        data = (folder / request.match_info["name"]).read_bytes()
        if stored_form:  # the file as the reference stores it, Content-Type line included
            return web.Response(body=data, content_type="application/octet-stream")
        content_type, body = split_stored(data)
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def part(request: web.Request) -> web.Response:
        path = folder / request.match_info["stamp"] / request.match_info["file"]
        if not path.is_file():
            raise web.HTTPNotFound
        return web.Response(body=path.read_bytes(), content_type="text/xml")

    app = web.Application()
    app.router.add_get("/{name:(internal|external)conf}", directory)
    app.router.add_get(r"/V6/{stamp:\d+}/{file:[a-z-]+\.xml}", part)
    return app


@pytest.mark.vectors
@pytest.mark.parametrize("stored_form", [False, True])
async def test_reference_v6_configuration(
    aiohttp_server: ServerFactory, vectors_dir: Path, tmp_path: Path, stored_form: bool
) -> None:
    folder = vectors_dir / "globalconf" / "V6"
    server = await aiohttp_server(file_server(folder, stored_form=stored_form), host="127.0.0.1")
    params = parse_shared_params(next(folder.glob("*/shared-params.xml")).read_bytes())
    certs = params.verification_certs(internal=True)
    anchor = ConfigurationAnchor(params.instance, (AnchorSource(url(server), certs),))
    client = await security_server(
        aiohttp_server, produce_anchor(anchor), tmp_path, Clock(utc_now())
    )
    config = client.valid()
    assert (config.instance, config.version) == ("DEV", 6)
    assert config.private is not None
    assert len(config.index.servers) == len(params.security_servers)
    for ss in params.security_servers:
        assert config.server(ss.server_id) == ss
        for digest in ss.auth_cert_hashes:
            assert config.index.auth_cert_servers[digest] == ss.server_id
    assert math.isfinite(config.seconds_to_expiry(utc_now()))
    # The external directory is signed with the external key, which this anchor lacks.
    external = ConfigurationAnchor(
        params.instance, (AnchorSource(url(server, "/externalconf"), certs),)
    )
    refused = await security_server(
        aiohttp_server, produce_anchor(external), tmp_path / "ext", Clock(utc_now())
    )
    assert refused.state.current is None
    error = refused.status().last_error
    assert error is not None
    assert error.code == Code.CERT_VALIDATION
