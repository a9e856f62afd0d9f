"""Fixtures for the message log tests (no tests here): databases, the real development TSA
in-process (it can be stopped and started again on the same port), log entries and real
XAdES signatures.

Named test_messagelog_* to stay inside the message log's test files.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.messagelog.model import LogEntry
from security_server.signer.tsa_client import TsaClient
from security_server.storage import create_engine, migrate
from security_server.storage import tables as t
from tests import databases
from tests.unit.crypto import pki as test_pki
from trust_services.app import create_app
from trust_services.store import CaDirectory
from vdx.clock import utc_now
from vdx.crypto.trust import ApprovedTSA, TrustConfig
from vdx.crypto.xades_create import DataPart, PrivateKeySigner, create_signature
from vdx.identifiers.model import ClientId, ServiceId

CLIENT = ClientId("VN", "GOV", "0101", "APP")
SERVICE = ServiceId(ClientId("VN", "GOV", "0202", "TAX"), "getPerson", "v1")


def db_url_fixture() -> object:
    @pytest.fixture(params=databases.BACKENDS)
    def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
        return databases.fresh_url(request, tmp_path)

    return db_url


async def open_engine(url: str) -> AsyncEngine:
    await migrate(url)
    return create_engine(url)


@dataclass
class Clock:
    """An explicit clock: starts at the wall clock (the TSA signs with the real time and a
    genTime after ``now`` is refused), moved forward by the test."""

    now: dt.datetime = field(default_factory=utc_now)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class DevTsa:
    """The development CA's RFC 3161 TSA on 127.0.0.1, stoppable and restartable."""

    directory: CaDirectory
    port: int
    session: aiohttp.ClientSession
    server: TestServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    def trust(self) -> TrustConfig:
        cert = self.directory.load().tsa.cert
        return TrustConfig(tsas=(ApprovedTSA("dev-tsa", self.url, cert),))

    def client(self) -> TsaClient:
        return TsaClient(self.session, self.trust(), timeout_seconds=5)

    async def start(self) -> None:
        self.server = TestServer(create_app(self.directory), host="127.0.0.1", port=self.port)
        await self.server.start_server()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None


@pytest.fixture
async def dev_tsa(tmp_path: Path) -> AsyncIterator[DevTsa]:
    directory = CaDirectory(tmp_path / "ca")
    directory.init(utc_now() - dt.timedelta(minutes=5), intermediate=False, key_kind="ec-p256")
    async with aiohttp.ClientSession() as session:
        tsa = DevTsa(directory, _free_port(), session)
        await tsa.start()
        try:
            yield tsa
        finally:
            await tsa.stop()


def entry(
    number: int,
    now: dt.datetime,
    *,
    signature: bytes | None = None,
    body: bytes | None = None,
    rest: bool = False,
    response: bool = False,
    owner: ClientId = CLIENT,
) -> LogEntry:
    message = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<s:Header><id>q-%d</id></s:Header><s:Body><get>%d</get></s:Body></s:Envelope>"
        % (number, number)
    )
    return LogEntry(
        query_id=f"q-{number}",
        x_request_id=f"r-{number}",
        client=CLIENT,
        service=SERVICE,
        owner=owner,
        response=response,
        rest=rest,
        message=message,
        body=body,
        signature=signature if signature is not None else b"<sig n='%d'/>" % number,
        hash_chain_result=None,
        hash_chain=None,
        created_at=now,
    )


def real_signature(message: bytes) -> bytes:
    """A XAdES signature over ``/message.xml`` with the crypto tests' signing key."""
    p = test_pki.pki()
    return create_signature(
        [DataPart("/message.xml", message, "text/xml")],
        key=PrivateKeySigner(test_pki.key("sign")),
        certificate=p.sign,
        now=test_pki.NOW,
    )


def commit_counter(engine: AsyncEngine) -> Callable[[], int]:
    """Counts the transactions committed through ``engine`` (SQLAlchemy's commit event)."""
    count = [0]

    @sa.event.listens_for(engine.sync_engine, "commit")
    def _on_commit(connection: object) -> None:
        del connection
        count[0] += 1

    return lambda: count[0]


async def timestamp_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(sa.select(sa.func.count()).select_from(t.messagelog_timestamps))
            ).scalar_one()
        )


async def stamped_counts(engine: AsyncEngine) -> tuple[int, int]:
    """(records with a timestamp, records without)."""
    r = t.messagelog_records
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(r.c.timestamp_id.is_not(None), sa.func.count()).group_by(
                r.c.timestamp_id.is_not(None)
            )
        )
        counts = {bool(k): int(v) for k, v in rows}
    return counts.get(True, 0), counts.get(False, 0)
