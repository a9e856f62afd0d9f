"""Signed document download over HTTP, against a real store and the real timestamper (whose
tokens come from the development TSA), and offline verification of what was downloaded with
the ``vdx`` commands and the downloaded verification configuration."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from security_server.confclient.model import GlobalConfiguration, build_configuration
from security_server.messagelog import download
from security_server.messagelog.archive_task import MessageLogArchiver
from security_server.messagelog.model import LogEntry
from security_server.messagelog.store import MessageLogStore
from security_server.messagelog.timestamper import Timestamper
from security_server.storage.migrate import open_engine
from tests.unit.crypto import pki
from tests.unit.security_server.messagelog_archive_support import (
    CLIENT,
    OTHER_CLIENT,
    STAMPED,
    signed_entry,
    tsa_token,
    verify_fully,
)
from vdx.cli import evidence as cli
from vdx.crypto import timestamp
from vdx.crypto.asic import MIMETYPE, read_container
from vdx.globalconf.model import (
    ApprovedCa,
    ApprovedTsa,
    CaInfo,
    ConfigurationSource,
    GlobalSettings,
    SharedParameters,
)
from vdx.identifiers.model import ClientId

Client = TestClient[Any, Any]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
SERVED = {CLIENT, OTHER_CLIENT}
runner = CliRunner()


def _der(cert: Any) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)  # type: ignore[no-any-return]


def configuration() -> GlobalConfiguration:
    """The global configuration approving the test PKI's CA (EJBCA profile) and TSA."""
    p = pki.pki()
    shared = SharedParameters(
        instance="VN",
        global_settings=GlobalSettings(ocsp_freshness_seconds=600),
        sources=(ConfigurationSource("cs.test.invalid", (_der(p.root),)),),
        approved_cas=(
            ApprovedCa(
                name="VDX Test CA",
                top_ca=CaInfo(_der(p.root)),
                certificate_profile_info="ejbca",
                intermediate_cas=(CaInfo(_der(p.intermediate)),),
            ),
        ),
        approved_tsas=(ApprovedTsa("VDX Test TSA", pki.TSA_URL, _der(p.tsa)),),
    )
    return build_configuration(
        shared,
        None,
        expire_date=pki.NOW + timedelta(days=1),
        version=5,
        source_url="http://cs.test.invalid/internalconf",
        directory_digest=b"\x00" * 32,
    )


class DevTsa:
    """The development TSA answering in-process, its tokens verified as the TSA client does."""

    async def timestamp(self, data: bytes, now: datetime) -> timestamp.TimestampInfo:
        return timestamp.verify_timestamp(
            tsa_token(data, now), data=data, trust=pki.pki().trust(), now=now
        )


@dataclass
class Env:
    client: Client
    store: MessageLogStore
    timestamper: Timestamper

    async def log(self, entries: Sequence[LogEntry], *, stamped: bool = True) -> list[int]:
        ids = await self.store.write(entries)
        if stamped:
            result = await self.timestamper.run_once()
            assert result.error is None
        return ids

    async def get(self, path: str, **params: str) -> tuple[int, str, bytes, Any]:
        response = await self.client.get(path, params=params)
        return response.status, response.content_type, await response.read(), response.headers


def query(query_id: str, client: ClientId = CLIENT, /, **flags: str) -> dict[str, str]:
    params = {
        "queryId": query_id,
        "xRoadInstance": client.instance,
        "memberClass": client.member_class,
        "memberCode": client.member_code,
    }
    if client.subsystem_code is not None:
        params["subsystemCode"] = client.subsystem_code
    return params | flags


@pytest.fixture
async def env(aiohttp_client: ClientFactory, tmp_path: Path) -> AsyncIterator[Env]:
    engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path / 'ss.db'}")
    store = MessageLogStore(engine)
    timestamper = Timestamper(store, DevTsa(), clock=lambda: STAMPED)
    conf = configuration()
    handlers = download.AsicDownload(
        store,
        may_download=lambda client: client in SERVED,
        verification_files=download.configuration_files(lambda: conf),
        force_timestamp=timestamper.force,
    )
    app = web.Application()
    handlers.add_routes(app)
    try:
        yield Env(await aiohttp_client(app), store, timestamper)
    finally:
        await engine.dispose()


def _entries(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_all_documents_of_a_transaction_download_and_verify_offline(
    env: Env, tmp_path: Path
) -> None:
    await env.log([signed_entry("q-1"), signed_entry("q-1", response=True)])
    status, content_type, body, headers = await env.get("/asic", **query("q-1"))
    assert (status, content_type) == (200, "application/zip")
    assert headers["Content-Disposition"] == 'attachment; filename="q-1.zip"'
    containers = _entries(body)
    assert sorted(containers) == ["q-1-request-1.asice", "q-1-response-2.asice"]
    for data in containers.values():
        verify_fully(data)
    # the verification configuration, extracted, is what the offline verifier reads
    status, content_type, conf_zip, headers = await env.get("/verificationconf")
    assert (status, content_type) == (200, "application/zip")
    assert headers["Content-Disposition"] == 'filename="verificationconf.zip"'
    assert sorted(_entries(conf_zip)) == [
        "verificationconf/VN/shared-params.xml",
        "verificationconf/VN/shared-params.xml.metadata",
        "verificationconf/instance-identifier",
    ]
    assert _entries(conf_zip)["verificationconf/instance-identifier"] == b"VN"
    with zipfile.ZipFile(io.BytesIO(conf_zip)) as archive:
        archive.extractall(tmp_path / "conf")
    trust = tmp_path / "conf" / "verificationconf"
    document = tmp_path / "q-1-request-1.asice"
    document.write_bytes(containers["q-1-request-1.asice"])
    result = runner.invoke(cli.asic_app, ["verify", str(document), "--trust", str(trust)])
    assert result.exit_code == 0, result.output
    assert "MEMBER:VN/GOV/0102030405" in result.output
    # and the same records, archived, verify as an archive with their containers
    archives = await MessageLogArchiver(env.store, archive_dir=tmp_path / "archive").archive_once()
    args = ["verify", str(archives[0]), "--previous-digest", "-", "--containers"]
    result = runner.invoke(cli.archive_app, [*args, "--trust", str(trust)])
    assert result.exit_code == 0, result.output
    assert "2 containers linked" in result.output


@pytest.mark.parametrize(
    ("flag", "response", "name"),
    [("requestOnly", False, "q-2-request-1.asice"), ("responseOnly", True, "q-2-response-2.asice")],
)
async def test_unique_document_comes_as_one_container(
    env: Env, flag: str, response: bool, name: str
) -> None:
    await env.log([signed_entry("q-2"), signed_entry("q-2", response=True, body=b"{}")])
    status, content_type, body, headers = await env.get(
        "/asic", **query("q-2", **{flag: "", "unique": ""})
    )
    assert (status, content_type) == (200, MIMETYPE)
    assert headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert read_container(body).message == signed_entry("q-2", response=response).message
    verify_fully(body)
    status, _, body, headers = await env.get("/asic", **query("q-2", **{flag: ""}))
    assert status == 200
    kind = "response" if response else "request"
    assert headers["Content-Disposition"] == f'attachment; filename="q-2-{kind}.zip"'
    assert list(_entries(body)) == [name]


async def test_refusals_answer_the_references_status_and_message(env: Env) -> None:
    await env.log([signed_entry("q-3")])
    await env.log([signed_entry("q-4")], stamped=False)
    partial = query("q-3")
    del partial["xRoadInstance"]
    cases: list[tuple[dict[str, str], int, str]] = [
        (partial, 400, 'Parameter "xRoadInstance"  must be specified.'),
        (
            query("q-3", ClientId("VN", "GOV", "stranger")),
            401,
            "Client 'MEMBER:VN/GOV/stranger' not found",
        ),
        (
            {k: v for k, v in query("q-3").items() if k != "queryId"},
            400,
            'Parameter "queryId"  must be specified.',
        ),
        (query("q-3", requestOnly="", responseOnly=""), 400, download.BOTH_TYPES),
        (query("q-3", responseOnly=""), 404, "No signed documents found"),
        (query("q-3", OTHER_CLIENT), 404, "No signed documents found"),  # not its record
        (query("q-3", unique=""), 400, download.UNIQUE_ALONE),
        (query("q-4"), 500, "Message signature has not been timestamped yet!"),
        (query("no-such"), 404, "No signed documents found"),
    ]
    for params, status, message in cases:
        got_status, content_type, body, _ = await env.get("/asic", **params)
        assert (got_status, content_type, body.decode()) == (status, "text/plain", message), params


async def test_force_time_stamps_what_is_missing_first(env: Env) -> None:
    await env.log([signed_entry("q-5"), signed_entry("q-5", response=True)], stamped=False)
    status, _, body, _ = await env.get("/asic", **query("q-5", force=""))
    assert status == 200
    for data in _entries(body).values():
        assert verify_fully(data).timestamp == "signature"  # each stamped on its own
    assert await env.store.unstamped(10) == []


async def test_force_without_a_timestamper_fails_like_the_reference(
    tmp_path: Path, aiohttp_client: ClientFactory
) -> None:
    engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    try:
        store = MessageLogStore(engine)
        await store.write([signed_entry("q-6")])
        handlers = download.AsicDownload(store, lambda _: True, lambda: None)
        app = web.Application()
        handlers.add_routes(app)
        client = await aiohttp_client(app)
        response = await client.get("/asic", params=query("q-6", force=""))
        assert (response.status, await response.text()) == (500, download.STAMPING_FAILED)
        response = await client.get("/verificationconf")
        assert response.status == 500
    finally:
        await engine.dispose()


_PARAM_NAMES = st.sampled_from(
    ["queryId", "xRoadInstance", "memberClass", "memberCode", "subsystemCode", "requestOnly",
     "responseOnly", "unique", "force", "other"]
)  # fmt: skip


@given(st.dictionaries(_PARAM_NAMES, st.text(max_size=20), max_size=10))
def test_any_query_parameters_give_a_query_or_a_400(params: dict[str, str]) -> None:
    try:
        client = download.parse_client(params)
        parsed = download.parse_query(params, client)
    except download.DownloadError as error:
        status = error.status
        parsed = None
    if parsed is None:
        assert status == 400
        return
    assert parsed.query_id == params["queryId"]
    assert parsed.client.instance == params["xRoadInstance"]
    assert not ("requestOnly" in params and "responseOnly" in params)
