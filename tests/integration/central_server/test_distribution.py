"""Configuration distribution over real HTTP on 127.0.0.1: download, verify, regenerate."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs
from typer.testing import CliRunner

from central_server.confgen import SoftwareDirectorySigner, anchor_for
from central_server.distribution import (
    CONF_STORE,
    TASK_NAME,
    ConfigurationPublisher,
    ConfigurationStore,
    DistributionMetrics,
    PersistedGenerationError,
    load_generation,
    load_software_signer,
    setup_configuration_distribution,
)
from tests.unit.central_server.test_confgen_support import (
    SOURCE,
    der,
    private_parameters,
    rsa_signer,
    shared_parameters,
)
from vdx.cli.main import app as vdx_cli
from vdx.clock import utc_now
from vdx.globalconf import (
    ConfigurationAnchor,
    SharedParameters,
    parse_anchor,
    parse_directory,
    parse_shared_params,
    produce_anchor,
    verify_directory,
    verify_part,
)

ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]


class Registry:
    """A stand-in for the registry service: a snapshot that tests change or break."""

    def __init__(self, signer: SoftwareDirectorySigner) -> None:
        self.shared = shared_parameters(signer)
        self.failure: Exception | None = None
        self.gate: asyncio.Event | None = None
        self.calls = 0

    async def snapshot(self) -> SharedParameters:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return self.shared


async def until(condition: Callable[[], bool]) -> None:
    """Poll a condition the background task makes true (it offers no event to wait on)."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - polling state owned by the publisher task
            await asyncio.sleep(0.01)


def make_app(
    registry: Registry, metrics: CollectorRegistry | None = None, **settings: object
) -> tuple[web.Application, ConfigurationPublisher]:
    app = web.Application()
    publisher = setup_configuration_distribution(
        app,
        snapshot_provider=registry.snapshot,
        private=private_parameters(),
        signer=rsa_signer(),
        registry=metrics or CollectorRegistry(),
        **{"interval_seconds": 3600.0, **settings},  # type: ignore[arg-type]
    )
    return app, publisher


async def started(
    aiohttp_client: ClientFactory, registry: Registry, **settings: object
) -> tuple[Client, ConfigurationPublisher]:
    app, publisher = make_app(registry, **settings)
    client = await aiohttp_client(app)
    await until(lambda: app[CONF_STORE].current is not None)
    return client, publisher


def anchor(shared: SharedParameters, *, internal: bool = True) -> ConfigurationAnchor:
    made = anchor_for(shared, f"http://{SOURCE}/internalconf", utc_now(), internal=internal)
    return parse_anchor(produce_anchor(made))


async def download(client: Client, path: str) -> tuple[str, bytes, dict[str, bytes]]:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    body = await response.read()
    content_type = response.headers["Content-Type"]
    files: dict[str, bytes] = {}
    for part in parse_directory(body, content_type).parts:
        answer = await client.get(part.content_location)
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/xml")
        files[part.content_location] = await answer.read()
        verify_part(part, files[part.content_location])
    return content_type, body, files


async def test_directories_download_and_verify(aiohttp_client: ClientFactory) -> None:
    registry = Registry(rsa_signer())
    client, _ = await started(aiohttp_client, registry)
    assert client.server.host == "127.0.0.1"
    content_type, body, files = await download(client, "/internalconf")
    assert content_type.startswith("multipart/related; charset=UTF-8; boundary=")
    directory = verify_directory(body, content_type, anchor(registry.shared), utc_now(), files)
    assert directory.version == 5
    assert len(files) == 2
    content_type, body, files = await download(client, "/externalconf")
    external = verify_directory(
        body, content_type, anchor(registry.shared, internal=False), utc_now(), files
    )
    assert [p.content_identifier for p in external.parts] == ["SHARED-PARAMETERS"]
    assert any(task.get_name() == TASK_NAME for task in asyncio.all_tasks())
    missing = await client.get("/V5/20200101000000000000000/shared-params.xml")
    assert missing.status == 404


async def test_version_parameter(aiohttp_client: ClientFactory) -> None:
    client, _ = await started(aiohttp_client, Registry(rsa_signer()), versions=(5, 6))
    for query, version in (("", 6), ("?version=5", 5), ("?version=6", 6)):
        response = await client.get(f"/internalconf{query}")
        assert response.status == 200
        parsed = parse_directory(await response.read(), response.headers["Content-Type"])
        assert parsed.version == version
        assert all(p.content_location.startswith(f"/V{version}/") for p in parsed.parts)
    unknown = await client.get("/internalconf?version=99")
    assert unknown.status == 404
    assert "version 99 is not available" in await unknown.text()
    assert (await client.get("/externalconf?version=99")).status == 404
    assert (await client.get("/internalconf?version=five")).status == 400


async def test_regenerates_on_request_keeping_unchanged_files(
    aiohttp_client: ClientFactory,
) -> None:
    registry = Registry(rsa_signer())
    client, publisher = await started(aiohttp_client, registry)
    store = publisher.store
    first = store.current
    assert first is not None
    registry.shared = shared_parameters(rsa_signer(), member_name="Renamed ministry")
    publisher.request_regeneration()
    await until(lambda: store.current is not first)
    second = store.current
    assert second is not None
    assert second.files[0].location == first.files[0].location  # private params unchanged
    assert second.files[1].location != first.files[1].location
    content_type, body, files = await download(client, "/internalconf")
    verify_directory(body, content_type, anchor(registry.shared), utc_now(), files)
    assert b"Renamed ministry" in files[second.files[1].location]
    # a client holding the previous directory can still fetch the file it lists
    assert (await client.get(first.files[1].location)).status == 200


async def test_regenerates_on_its_interval(aiohttp_client: ClientFactory) -> None:
    registry = Registry(rsa_signer())
    _, publisher = await started(aiohttp_client, registry, interval_seconds=0.05)
    first = publisher.store.current
    assert first is not None
    await until(lambda: registry.calls >= 3)  # no request: the interval alone drives rounds
    await until(lambda: publisher.store.current is not first)
    current = publisher.store.current
    assert current is not None
    assert current.generated_at > first.generated_at


async def test_failing_snapshot_keeps_the_previous_generation(
    aiohttp_client: ClientFactory,
) -> None:
    registry = Registry(rsa_signer())
    metrics = CollectorRegistry()
    client, publisher = await started(aiohttp_client, registry, metrics=metrics)
    before = publisher.store.current
    registry.failure = RuntimeError("database is down")
    with capture_logs() as logs:
        publisher.request_regeneration()
        await until(
            lambda: (metrics.get_sample_value("vdx_cs_conf_generation_failures_total") or 0) >= 1
        )
    assert publisher.store.current is before
    failed = [entry for entry in logs if entry["event"] == "conf_generation_failed"]
    assert failed
    assert failed[0]["log_level"] == "error"
    content_type, body, files = await download(client, "/internalconf")
    verify_directory(body, content_type, anchor(registry.shared), utc_now(), files)
    registry.failure = None
    publisher.request_regeneration()
    await until(lambda: publisher.store.current is not before)


async def test_not_ready_before_the_first_generation(aiohttp_client: ClientFactory) -> None:
    registry = Registry(rsa_signer())
    registry.gate = asyncio.Event()
    app, _ = make_app(registry)
    client = await aiohttp_client(app)
    response = await client.get("/internalconf")
    assert response.status == 503
    assert "has been generated yet" in await response.text()
    registry.gate.set()
    await until(lambda: app[CONF_STORE].current is not None)
    assert (await client.get("/internalconf")).status == 200


async def test_metrics(aiohttp_client: ClientFactory) -> None:
    metrics = CollectorRegistry()
    client, _ = await started(aiohttp_client, Registry(rsa_signer()), metrics=metrics)
    await download(client, "/internalconf")
    await download(client, "/internalconf")
    assert metrics.get_sample_value("vdx_cs_conf_downloads_total", {"path": "/internalconf"}) == 2
    assert (
        metrics.get_sample_value(
            "vdx_cs_conf_downloads_total", {"path": "/V5/{timestamp}/shared-params.xml"}
        )
        == 2
    )
    age = metrics.get_sample_value("vdx_cs_conf_generation_age_seconds")
    assert age is not None
    assert 0 <= age < 60
    assert (metrics.get_sample_value("vdx_cs_conf_generation_duration_seconds_count") or 0) >= 1
    empty = CollectorRegistry()
    DistributionMetrics.create(empty, ConfigurationStore(), utc_now)
    assert math.isnan(empty.get_sample_value("vdx_cs_conf_generation_age_seconds") or 0.0)


async def test_restart_serves_the_persisted_generation(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    registry = Registry(rsa_signer())
    client, publisher = await started(aiohttp_client, registry, data_dir=tmp_path)
    first = publisher.store.current
    assert first is not None
    await until((tmp_path / "generation.json").is_file)
    await client.close()
    assert load_generation(tmp_path) == first
    assert not list(tmp_path.glob(".*.tmp"))  # noqa: ASYNC240 - a test's own temp folder

    registry.failure = RuntimeError("database is down")  # the restart cannot generate
    app, publisher_two = make_app(registry, data_dir=tmp_path)
    restarted = await aiohttp_client(app)
    response = await restarted.get("/internalconf")
    assert response.status == 200
    produced = first.directory(internal=True)
    assert produced is not None
    assert await response.read() == produced.body

    registry.failure = None  # once it can, unchanged parts keep their files across the restart
    regenerated = await publisher_two.regenerate()
    assert regenerated is not None
    assert [f.location for f in regenerated.files] == [f.location for f in first.files]


def test_unreadable_persisted_generation_is_refused(tmp_path: Path) -> None:
    (tmp_path / "generation.json").write_text("{not json")
    with pytest.raises(PersistedGenerationError):
        load_generation(tmp_path)
    assert load_generation(tmp_path / "absent") is None


async def test_downloaded_configuration_passes_vdx_conf_verify(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    registry = Registry(rsa_signer())
    client, _ = await started(aiohttp_client, registry)
    content_type, body, files = await download(client, "/internalconf")
    folder = tmp_path / "conf"  # the reference layout: <dir>/internalconf, <dir>/<timestamp>/
    folder.mkdir()
    (folder / "internalconf").write_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("ascii") + body
    )
    for location, data in files.items():
        _, _version, stamp, name = location.split("/")
        (folder / stamp).mkdir(exist_ok=True)
        (folder / stamp / name).write_bytes(data)
    anchor_file = tmp_path / "anchor.xml"
    anchor_file.write_bytes(
        produce_anchor(anchor_for(registry.shared, f"http://{SOURCE}/internalconf", utc_now()))
    )
    runner = CliRunner()
    result = runner.invoke(
        vdx_cli, ["conf", "verify", str(folder / "internalconf"), "--anchor", str(anchor_file)]
    )
    assert result.exit_code == 0, result.output
    assert "valid configuration directory" in result.output
    # and a directory signed by a key the anchor does not list is refused
    other = tmp_path / "other-anchor.xml"
    other.write_bytes(
        produce_anchor(
            dataclasses.replace(
                anchor_for(registry.shared, "http://x/internalconf", utc_now()),
                sources=(
                    dataclasses.replace(
                        anchor_for(registry.shared, "http://x/internalconf", utc_now()).sources[0],
                        verification_certs=(der(rsa_signer("other").certificate),),
                    ),
                ),
            )
        )
    )
    refused = runner.invoke(
        vdx_cli, ["conf", "verify", str(folder / "internalconf"), "--anchor", str(other)]
    )
    assert refused.exit_code == 1
    assert "CertValidation" in refused.output


async def test_publisher_announces_the_next_key(aiohttp_client: ClientFactory) -> None:
    """Rotation through the publisher: the active and the next certificate are published; the
    next key's directory then verifies with an anchor made from the published parameters."""
    active, upcoming = rsa_signer(), rsa_signer("next")
    registry = Registry(active)
    registry.shared = dataclasses.replace(registry.shared, sources=())  # registry keeps no keys
    client, _ = await started(
        aiohttp_client,
        registry,
        source_address=SOURCE,
        next_internal_certs=(der(upcoming.certificate),),
        next_external_certs=(der(upcoming.certificate),),
    )
    _, _, files = await download(client, "/internalconf")
    shared_xml = next(data for location, data in files.items() if "shared" in location)
    published = parse_shared_params(shared_xml)
    assert published.verification_certs(internal=True) == (
        der(active.certificate),
        der(upcoming.certificate),
    )
    trusted = anchor(published)

    app = web.Application()  # after activation the next key signs
    setup_configuration_distribution(
        app,
        snapshot_provider=registry.snapshot,
        private=private_parameters(),
        signer=upcoming,
        registry=CollectorRegistry(),
        interval_seconds=3600.0,
        source_address=SOURCE,
    )
    rotated = await aiohttp_client(app)
    await until(lambda: app[CONF_STORE].current is not None)
    content_type, body, files = await download(rotated, "/internalconf")
    verify_directory(body, content_type, trusted, utc_now(), files)


async def test_unannounced_signing_key_is_not_published(aiohttp_client: ClientFactory) -> None:
    registry = Registry(rsa_signer("other"))  # the snapshot lists someone else's certificate
    metrics = CollectorRegistry()
    app, _ = make_app(registry, metrics=metrics)
    with capture_logs() as logs:
        client = await aiohttp_client(app)
        await until(
            lambda: (metrics.get_sample_value("vdx_cs_conf_generation_failures_total") or 0) >= 1
        )
    assert (await client.get("/internalconf")).status == 503
    assert any(entry["event"] == "conf_generation_failed" for entry in logs)


async def test_the_task_stops_with_the_application(aiohttp_client: ClientFactory) -> None:
    client, _ = await started(aiohttp_client, Registry(rsa_signer()))
    assert any(task.get_name() == TASK_NAME for task in asyncio.all_tasks())
    await client.close()
    assert not any(task.get_name() == TASK_NAME for task in asyncio.all_tasks())


def test_software_signer_loads_from_pem_files(tmp_path: Path) -> None:
    signer = rsa_signer()
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(
        signer.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    cert_file.write_bytes(signer.certificate.public_bytes(Encoding.PEM))
    loaded = load_software_signer(key_file, cert_file)
    assert loaded.certificate == signer.certificate
    assert loaded.sign(b"directory") == signer.sign(b"directory")
