"""The operational monitoring buffer: bounded, never failing an exchange, written in batches,
retried after a failed write, and cleaned after the retention period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from security_server.opmonitor.buffer import CLEAN_TASK, FLUSH_TASK, OpMonitorBuffer
from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.metrics import OpMonitorMetrics
from security_server.opmonitor.model import OpRecord, SearchCriteria
from security_server.opmonitor.settings import OpMonitorSettings
from security_server.opmonitor.store import OpRecordStore
from security_server.storage import create_engine, migrate
from tests.unit.security_server import test_opmonitor_support as sup

NOW = datetime.fromtimestamp(1_700_000_000, UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[OpRecordStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ss.db'}"
    await migrate(url)
    engine = create_engine(url)
    try:
        yield OpRecordStore(engine)
    finally:
        await engine.dispose()


def _settings(**values: object) -> OpMonitorSettings:
    return OpMonitorSettings.model_validate(values)


async def _stored(store: OpRecordStore) -> list[OpRecord]:
    return list((await store.query(SearchCriteria(0, 2**40), None, 100_000)).records)


def _value(registry: CollectorRegistry, name: str) -> float:
    value = registry.get_sample_value(name)
    assert value is not None, name
    return value


async def test_a_full_buffer_drops_the_oldest_and_counts(store: OpRecordStore) -> None:
    registry = CollectorRegistry()
    buffer = OpMonitorBuffer(
        store, _settings(buffer_size=3), Clock(), OpMonitorMetrics.create(registry)
    )
    for index in range(5):
        buffer.record(sup.record(message_id=f"m{index}"))
    assert (len(buffer), buffer.dropped) == (3, 2)
    assert _value(registry, "vdx_ss_opmonitor_dropped_records_total") == 2
    assert _value(registry, "vdx_ss_opmonitor_buffered_records") == 3
    assert await buffer.flush_all() == 3
    assert [r.message_id for r in await _stored(store)] == ["m2", "m3", "m4"]
    assert _value(registry, "vdx_ss_opmonitor_written_records_total") == 3


async def test_batches_are_bounded_and_stamped_with_the_write_time(store: OpRecordStore) -> None:
    clock = Clock()
    buffer = OpMonitorBuffer(store, _settings(flush_max_batch=2), clock)
    for _ in range(5):
        buffer.record(sup.record())
    assert await buffer.flush() == 2
    clock.now += timedelta(seconds=7)
    assert await buffer.flush_all() == 3
    stamps = [r.monitoring_data_ts for r in await _stored(store)]
    assert stamps == [1_700_000_000] * 2 + [1_700_000_007] * 3


class BrokenStore:
    """A database that is down for the first ``failures`` writes."""

    def __init__(self, store: OpRecordStore, failures: int) -> None:
        self.store, self.failures = store, failures

    async def write_batch(self, records: Sequence[OpRecord], now: datetime) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("database is down")
        await self.store.write_batch(records, now)

    async def delete_older_than(self, cutoff: datetime) -> int:
        return await self.store.delete_older_than(cutoff)


async def test_a_failed_write_keeps_the_records_for_the_next_round(store: OpRecordStore) -> None:
    registry = CollectorRegistry()
    broken = BrokenStore(store, failures=1)
    buffer = OpMonitorBuffer(
        broken, _settings(buffer_size=3), Clock(), OpMonitorMetrics.create(registry)
    )
    buffer.record(sup.record(message_id="first"))
    buffer.record(sup.record(message_id="second"))
    assert await buffer.flush_all() == 0
    assert len(buffer) == 2
    assert _value(registry, "vdx_ss_opmonitor_write_failures_total") == 1
    buffer.record(sup.record(message_id="third"))
    buffer.record(sup.record(message_id="fourth"))  # full: the oldest goes
    assert await buffer.flush_all() == 3
    assert [r.message_id for r in await _stored(store)] == ["second", "third", "fourth"]


async def test_recording_never_raises_into_the_exchange(store: OpRecordStore) -> None:
    registry = CollectorRegistry()
    health = HealthStatistics(600, NOW)
    buffer = OpMonitorBuffer(store, _settings(), Clock(), OpMonitorMetrics.create(registry), health)
    weird = sup.record(client_member_code="", service_member_code="bad:code")
    buffer.record(weird)
    buffer.record(object())  # type: ignore[arg-type]  # a caller's bug is logged, not raised
    assert len(buffer) == 1
    labels = {"client": "unknown", "service": "unknown", "side": "producer", "outcome": "succeeded"}
    assert registry.get_sample_value("vdx_ss_exchanges_total", labels) == 1


async def test_disabled_monitoring_still_counts_but_keeps_nothing(store: OpRecordStore) -> None:
    registry = CollectorRegistry()
    buffer = OpMonitorBuffer(
        store, _settings(enabled=False), Clock(), OpMonitorMetrics.create(registry)
    )
    buffer.record(sup.record())
    assert len(buffer) == 0
    assert registry.get_sample_value(
        "vdx_ss_exchanges_total",
        {
            "client": sup.CONSUMER.to_colon(),
            "service": sup.SERVICE.to_colon(),
            "side": "producer",
            "outcome": "succeeded",
        },
    )


async def test_the_tasks_write_on_a_full_batch_and_on_exit(store: OpRecordStore) -> None:
    settings = _settings(flush_batch_records=3, flush_interval_seconds=3600)
    buffer = OpMonitorBuffer(store, settings, Clock())
    async with buffer.running():
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert {FLUSH_TASK, CLEAN_TASK} <= names
        for _ in range(3):
            buffer.record(sup.record())
        for _ in range(200):
            await asyncio.sleep(0.01)
            if len(await _stored(store)) == 3:
                break
        assert len(await _stored(store)) == 3  # written long before the interval
        buffer.record(sup.record())
    assert len(await _stored(store)) == 4  # the last one on the way out
    assert not {FLUSH_TASK, CLEAN_TASK} & {task.get_name() for task in asyncio.all_tasks()}


async def test_records_older_than_the_retention_are_cleaned(store: OpRecordStore) -> None:
    clock = Clock()
    registry = CollectorRegistry()
    buffer = OpMonitorBuffer(
        store, _settings(keep_records_days=7), clock, OpMonitorMetrics.create(registry)
    )
    buffer.record(sup.record(message_id="old"))
    await buffer.flush_all()
    clock.now += timedelta(days=6)
    buffer.record(sup.record(message_id="new"))
    await buffer.flush_all()
    clock.now += timedelta(days=1, seconds=1)
    assert await buffer.clean() == 1
    assert [r.message_id for r in await _stored(store)] == ["new"]
    assert _value(registry, "vdx_ss_opmonitor_deleted_records_total") == 1
