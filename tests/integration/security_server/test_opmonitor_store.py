"""Operational monitoring store on SQLite and PostgreSQL: the migration, batches, paging as the
reference pages (UC OPMON_02 4b), the filters of pr-opmon §2, and retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.opmonitor.model import OpRecord, SearchCriteria, party_fields
from security_server.opmonitor.store import OpRecordStore
from security_server.storage import create_engine, metadata, migrate
from security_server.storage.migrate import current_revision
from tests import databases
from tests.unit.security_server import test_opmonitor_support as sup
from vdx.identifiers import ClientId, ServiceId

pg_database = databases.postgres_module_fixture()


@pytest.fixture(params=databases.BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    return databases.fresh_url(request, tmp_path)  # type: ignore[arg-type]


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def _at(second: int) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def _op_records_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata) if "op_records" in repr(d)]


async def test_the_migration_creates_the_table_of_the_metadata(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(current_revision) == "0004"
        assert await conn.run_sync(_op_records_differences) == []


async def _write(store: OpRecordStore, second: int, count: int, **values: object) -> None:
    await store.write_batch([sup.record(**values) for _ in range(count)], _at(second))


async def test_records_round_trip_and_are_stamped_when_written(engine: AsyncEngine) -> None:
    store = OpRecordStore(engine)
    record = sup.record(
        rest_method="GET", rest_path="/r1/x", status_code=200, fault_string="é" * 3000
    )
    await store.write_batch([record], _at(1000))
    result = await store.query(SearchCriteria(0, 2000), None, 10)
    (stored,) = result.records
    assert result.next_records_from is None
    assert stored.monitoring_data_ts == 1000
    assert stored.fault_string == "é" * 2048  # cut to Annex B's maxLength
    expected = {**record.to_json(), "monitoringDataTs": 1000, "faultString": "é" * 2048}
    assert stored.to_json() == expected


async def test_paging_keeps_a_second_whole_and_says_where_to_continue(engine: AsyncEngine) -> None:
    store = OpRecordStore(engine)
    await _write(store, 100, 2)
    await _write(store, 101, 3)
    await _write(store, 105, 1)
    page = await store.query(SearchCriteria(100, 200), None, 3)
    assert [r.monitoring_data_ts for r in page.records] == [100, 100, 101, 101, 101]
    assert page.next_records_from == 102
    rest = await store.query(SearchCriteria(102, 200), None, 3)
    assert [r.monitoring_data_ts for r in rest.records] == [105]
    assert rest.next_records_from is None
    # Nothing left after the last second of the period: no next query.
    until = await store.query(SearchCriteria(100, 101), None, 3)
    assert (len(until.records), until.next_records_from) == (5, None)
    exact = await store.query(SearchCriteria(100, 100), None, 2)
    assert (len(exact.records), exact.next_records_from) == (2, None)


async def test_a_regular_client_sees_the_records_it_took_part_in(engine: AsyncEngine) -> None:
    store = OpRecordStore(engine)
    stranger = ClientId("VN", "COM", "77")
    member = ClientId("VN", "GOV", "1001")  # the CONSUMER's member, not the subsystem
    await _write(store, 10, 1, message_id="consumer-calls")
    await _write(
        store,
        10,
        1,
        message_id="stranger-calls-consumer",
        **party_fields(stranger, ServiceId(sup.CONSUMER, "x")),
    )
    await _write(
        store, 10, 1, message_id="unrelated", **party_fields(stranger, ServiceId(stranger, "y"))
    )
    await _write(store, 10, 1, message_id="member-calls", **party_fields(member, sup.SERVICE))

    async def ids(criteria: SearchCriteria, caller: ClientId | None) -> set[str | None]:
        return {r.message_id for r in (await store.query(criteria, caller, 100)).records}

    everything = SearchCriteria(0, 20)
    assert await ids(everything, sup.CONSUMER) == {"consumer-calls", "stranger-calls-consumer"}
    assert await ids(everything, member) == {"member-calls"}
    assert len(await ids(everything, None)) == 4
    # searchCriteria/client selects the service provider's role.
    by_provider = SearchCriteria(0, 20, sup.CONSUMER)
    assert await ids(by_provider, None) == {"stranger-calls-consumer"}
    assert await ids(SearchCriteria(0, 20, sup.PROVIDER), stranger) == set()


async def test_old_records_are_deleted(engine: AsyncEngine) -> None:
    store = OpRecordStore(engine)
    await _write(store, 100, 2)
    await _write(store, 200, 1)
    assert await store.delete_older_than(_at(200)) == 2
    remaining = await store.query(SearchCriteria(0, 1000), None, 10)
    assert [r.monitoring_data_ts for r in remaining.records] == [200]
    assert await store.delete_older_than(_at(200)) == 0


async def test_an_empty_batch_and_naive_times() -> None:
    store = OpRecordStore(create_engine("sqlite+aiosqlite:///:memory:"))
    await store.write_batch([], _at(1))
    with pytest.raises(ValueError, match="time zone"):
        await store.write_batch([sup.record()], datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="positive"):
        await store.query(SearchCriteria(0, 1), None, 0)


def test_records_have_the_tables_columns() -> None:
    columns = set(metadata.tables["op_records"].columns.keys()) - {"id"}
    assert columns == set(OpRecord.__dataclass_fields__)
