"""The message log store on SQLite and PostgreSQL: schema, round trips, exactly-once saves."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from security_server.messagelog.model import StaleBatchError
from security_server.messagelog.store import MessageLogStore
from security_server.storage import metadata
from tests import databases
from tests.integration.security_server import test_messagelog_support as ml
from vdx.identifiers.model import ClientId, ServiceId

pg_database = databases.postgres_module_fixture()
db_url = ml.db_url_fixture()
T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _messagelog_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata) if "messagelog" in repr(d)]


async def test_migration_creates_exactly_the_tables_of_the_metadata(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_messagelog_differences) == []
    finally:
        await engine.dispose()


async def test_entries_round_trip_with_optional_parts(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    try:
        member = ClientId("VN", "COM", "9999")
        plain = ServiceId(ClientId("VN", "GOV", "0202"), "list")
        hanoi = dt.timezone(dt.timedelta(hours=7))
        first = ml.entry(1, T0, body=b"\x00\xffbody", rest=True)
        second = dataclasses.replace(
            ml.entry(2, T0.astimezone(hanoi), response=True),
            client=member,
            service=plain,
            owner=member,
            x_request_id=None,
            hash_chain_result=b"<r/>",
            hash_chain=b"<c/>",
        )
        ids = await store.write([first, second])
        assert len(ids) == 2
        assert ids[0] < ids[1]
        [(got1, stamp1)] = await store.find("q-1", ml.CLIENT)
        [(got2, _)] = await store.find("q-2", member)
        assert got1.entry == first
        assert stamp1 is None
        assert got2.entry == dataclasses.replace(second, created_at=T0)  # stored as UTC
        assert got2.id == ids[1]
        assert await store.find("q-1", member) == []
        assert await store.backlog() == (2, T0)
    finally:
        await engine.dispose()


async def test_records_are_found_under_their_owner_only(db_url: str) -> None:
    # The reference files a record under the client on the client side and under the service
    # provider on the server side (LogManager.createMessageRecord): one message, two owners.
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    provider = ml.SERVICE.provider
    try:
        sent = ml.entry(1, T0)
        received = ml.entry(1, T0, owner=provider)
        await store.write([sent, received])
        [(as_client, _)] = await store.find("q-1", ml.CLIENT)
        [(as_provider, _)] = await store.find("q-1", provider)
        assert as_client.entry == sent
        assert as_provider.entry == received
        assert as_provider.entry.owner == provider
        assert as_provider.entry.client == ml.CLIENT  # the message's client is kept as is
        # Neither the provider's member nor another subsystem of it owns the record.
        assert await store.find("q-1", provider.member) == []
        assert await store.find("q-1", dataclasses.replace(provider, subsystem_code="X")) == []
    finally:
        await engine.dispose()


async def test_each_record_gets_exactly_one_timestamp(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine, chunk=2)  # several transactions per batch
    try:
        ids = await store.write([ml.entry(n, T0 + dt.timedelta(seconds=n)) for n in range(8)])
        page = await store.unstamped_hashes(4)
        assert [p.id for p in page] == ids[:4]
        assert [p.id for p in await store.unstamped_hashes(10, after_id=ids[3])] == ids[4:]
        first = await store.save_timestamp(b"t1", b"<r1/>", dict.fromkeys(ids[:3], b"p1"), T0)
        # Another node's token for the same batch: dropped, nothing of it stored.
        with pytest.raises(StaleBatchError):
            await store.save_timestamp(b"t2", b"<r2/>", dict.fromkeys(ids[:3], b"p2"), T0)
        with pytest.raises(StaleBatchError):
            await store.save_single_timestamp(ids[0], b"t3", b"<sig/>", T0)
        assert await ml.timestamp_rows(engine) == 1
        # A batch overlapping a stamped record: the stamped one keeps its timestamp.
        second = await store.save_timestamp(b"t4", b"<r4/>", dict.fromkeys(ids[2:6], b"p4"), T0)
        assert await ml.timestamp_rows(engine) == 2
        got = {}
        for number in range(6):
            [(record, stamp)] = await store.find(f"q-{number}", ml.CLIENT)
            assert stamp is not None
            got[number] = (record.timestamp_id, stamp.token, record.timestamp_hash_chain)
        assert got == {
            0: (first, b"t1", b"p1"),
            1: (first, b"t1", b"p1"),
            2: (first, b"t1", b"p1"),
            3: (second, b"t4", b"p4"),
            4: (second, b"t4", b"p4"),
            5: (second, b"t4", b"p4"),
        }
        assert await store.backlog() == (2, T0 + dt.timedelta(seconds=6))
        assert [r.id for r in await store.unstamped(10)] == ids[6:]
    finally:
        await engine.dispose()


async def test_a_record_stamped_alone_gets_its_new_signature(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    try:
        ids = await store.write([ml.entry(n, T0) for n in range(2)])
        assert await store.last_timestamp_at() is None
        single = await store.save_single_timestamp(ids[1], b"tok", b"<sig stamped='1'/>", T0)
        assert await store.record_signature(ids[1]) is None  # stamped: no longer pending
        assert await store.record_signature(ids[0]) == b"<sig n='0'/>"
        [(record, stamp)] = await store.find("q-1", ml.CLIENT)
        assert stamp is not None
        assert (record.timestamp_id, stamp.token, stamp.hash_chain_result) == (single, b"tok", None)
        assert record.entry.signature == b"<sig stamped='1'/>"
        assert record.timestamp_hash_chain is None
        assert await store.last_timestamp_at() == T0
        assert [p.id for p in await store.unstamped_hashes(10)] == [ids[0]]
    finally:
        await engine.dispose()


async def test_archived_records_are_deleted_with_their_unused_timestamps(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    try:
        ids = await store.write([ml.entry(n, T0) for n in range(4)])
        await store.save_timestamp(b"t1", b"<r/>", {ids[0]: b"a", ids[1]: b"b"}, T0)
        await store.save_timestamp(b"t2", b"<r/>", {ids[2]: b"c", ids[3]: b"d"}, T0)
        pairs = await store.stamped_unarchived(3)
        assert [(r.id, r.timestamp_hash_chain, s.token) for r, s in pairs] == [
            (ids[0], b"a", b"t1"),
            (ids[1], b"b", b"t1"),
            (ids[2], b"c", b"t2"),
        ]
        await store.mark_archived(ids[:3])
        assert [r.id for r, _ in await store.stamped_unarchived(10)] == [ids[3]]
        assert await store.delete_archived(T0) == 0  # nothing older than T0
        assert await store.delete_archived(T0 + dt.timedelta(seconds=1)) == 3
        assert await ml.timestamp_rows(engine) == 1  # t1 unused now; t2 still covers ids[3]
        assert [r.id for r, _ in await store.stamped_unarchived(10)] == [ids[3]]
    finally:
        await engine.dispose()
