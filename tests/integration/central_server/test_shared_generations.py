"""Several central server nodes on one database serve identical configuration (SQLite and
PostgreSQL): the lease holder generates and stores, the other node serves what it stored,
and a node takes over generating when the holder's lease expires or is released."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from central_server.distribution import setup_configuration_distribution
from central_server.distribution.publisher import ConfigurationPublisher
from central_server.distribution.shared import KEEP, SharedGenerations
from central_server.registry import RegistryService
from central_server.storage import create_engine, migrate
from central_server.storage import tables as t
from tests import databases
from tests.integration.central_server import registry_support as rs
from tests.integration.central_server.test_distribution import download
from tests.unit.central_server.test_confgen_support import private_parameters, rsa_signer

pg_database = databases.postgres_module_fixture()
db_url = rs.db_url_fixture()
Client = TestClient[web.Request, web.Application]
START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SOURCE = "cs.vdx.test"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@dataclasses.dataclass
class Node:
    publisher: ConfigurationPublisher
    shared: SharedGenerations
    client: Client


@pytest.fixture
async def engines(db_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one database: two nodes do not share a connection pool."""
    await migrate(db_url)
    first, second = create_engine(db_url), create_engine(db_url)
    try:
        registry = RegistryService(first)
        await registry.set_instance("VDX", actor="test")
        await registry.add_member_class("GOV", "Government", actor="test")
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def _node(engine: AsyncEngine, name: str, clock: Clock, aiohttp_client: object) -> Node:
    app = web.Application()
    shared = SharedGenerations(engine, name, lease_seconds=180, clock=clock)
    publisher = setup_configuration_distribution(
        app,
        snapshot_provider=RegistryService(engine).snapshot,
        private=dataclasses.replace(private_parameters(), instance="VDX"),
        signer=rsa_signer(),  # both nodes hold the same key (one token, or one HSM)
        registry=CollectorRegistry(),
        interval_seconds=3600.0,
        source_address=SOURCE,
        clock=clock,
        shared=shared,
    )
    app.cleanup_ctx.clear()  # rounds are run by the test, not by the background task
    client: Client = await aiohttp_client(app)  # type: ignore[operator]
    return Node(publisher, shared, client)


async def _same(a: Node, b: Node) -> None:
    for path in ("/internalconf", "/externalconf"):
        assert await download(a.client, path) == await download(b.client, path)


async def test_two_nodes_serve_identical_configuration(
    engines: tuple[AsyncEngine, AsyncEngine], aiohttp_client: object
) -> None:
    clock = Clock()
    a = await _node(engines[0], "node-a", clock, aiohttp_client)
    b = await _node(engines[1], "node-b", clock, aiohttp_client)

    assert await a.publisher.regenerate() is not None  # a takes the lease and generates
    served = await b.publisher.regenerate()  # b does not generate: it serves a's
    assert served is not None
    assert served == a.publisher.store.current
    await _same(a, b)
    first_directory = (await a.client.get("/internalconf")).headers["Content-Type"]

    # A registry change: the holder generates the next one, b follows at its next round.
    await RegistryService(engines[1]).add_member_class("COM", "Commercial", actor="test")
    clock.now += dt.timedelta(seconds=60)
    assert await a.publisher.regenerate() is not None
    await b.publisher.regenerate()
    await _same(a, b)
    assert (await b.client.get("/internalconf")).headers["Content-Type"] != first_directory

    # b cannot take the lease while a holds it; after a's lease expires, b generates.
    assert not await b.shared.acquire()
    clock.now += dt.timedelta(seconds=181)
    assert await b.shared.acquire()
    clock.now += dt.timedelta(seconds=1)
    generated = await b.publisher.regenerate()
    assert generated is not None
    assert generated.generated_at == clock.now
    await a.publisher.regenerate()  # a lost the lease: it serves b's generation
    assert a.publisher.store.current == generated
    await _same(a, b)


async def test_released_lease_and_pruning(
    engines: tuple[AsyncEngine, AsyncEngine], aiohttp_client: object
) -> None:
    clock = Clock()
    a = await _node(engines[0], "node-a", clock, aiohttp_client)
    b = await _node(engines[1], "node-b", clock, aiohttp_client)
    for _ in range(KEEP + 2):
        clock.now += dt.timedelta(seconds=1)
        assert await a.publisher.regenerate() is not None
    async with engines[0].connect() as conn:
        rows = (await conn.execute(t.configuration_generations.select())).all()
    assert len(rows) == KEEP
    assert {row.node for row in rows} == {"node-a"}
    await a.shared.release()  # a stops: b need not wait for the lease to expire
    assert await b.shared.acquire()
    assert not await a.shared.acquire()


async def test_a_restarted_node_serves_the_stored_generation_at_once(
    engines: tuple[AsyncEngine, AsyncEngine], aiohttp_client: object
) -> None:
    clock = Clock()
    a = await _node(engines[0], "node-a", clock, aiohttp_client)
    generated = await a.publisher.regenerate()
    b = await _node(engines[1], "node-b", clock, aiohttp_client)
    await b.publisher.restore()
    assert b.publisher.store.current == generated


async def test_a_node_that_cannot_generate_gives_the_lease_up(
    engines: tuple[AsyncEngine, AsyncEngine], aiohttp_client: object
) -> None:
    clock = Clock()
    a = await _node(engines[0], "node-a", clock, aiohttp_client)
    b = await _node(engines[1], "node-b", clock, aiohttp_client)

    async def broken() -> object:
        raise RuntimeError("the token lacks the active key")

    a.publisher._snapshot = broken  # type: ignore[assignment]
    assert await a.publisher.regenerate() is None
    assert await b.publisher.regenerate() is not None  # b takes over at once
