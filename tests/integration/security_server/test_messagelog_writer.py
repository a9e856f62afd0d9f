"""The log writer on SQLite and PostgreSQL: group commit, durable before return, refusals,
the grace period with the real TSA stopped and started again, synchronous time-stamping."""

from __future__ import annotations

import asyncio
import dataclasses
import math

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry

from security_server.messagelog.health import TimestampingHealth
from security_server.messagelog.metrics import MessageLogMetrics
from security_server.messagelog.settings import BodyLogging, MessageLogSettings
from security_server.messagelog.store import MessageLogStore
from security_server.messagelog.timestamper import Timestamper
from security_server.messagelog.writer import MessageLogWriter
from security_server.storage import create_engine
from security_server.storage import tables as t
from tests import databases
from tests.integration.security_server import test_messagelog_support as ml
from vdx.crypto import timestamp
from vdx.crypto.xades_decode import decode_signature
from vdx.errors import Code, XRoadError

pg_database = databases.postgres_module_fixture()
db_url = ml.db_url_fixture()
dev_tsa = ml.dev_tsa
CALLERS = 400


async def test_concurrent_callers_share_commits_and_return_after_commit(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    observer = create_engine(db_url)  # another connection pool: sees only committed rows
    commits = ml.commit_counter(engine)
    clock = ml.Clock()
    writer = MessageLogWriter(
        MessageLogStore(engine), MessageLogSettings(), clock=clock, timestamper=None
    )
    await writer.start()
    visible_on_return: list[bool] = []

    async def caller(number: int) -> int:
        record_id = await writer.log(ml.entry(number, clock()))
        assert record_id is not None
        query = sa.select(t.messagelog_records.c.query_id).where(
            t.messagelog_records.c.id == record_id
        )
        async with observer.connect() as conn:
            found = (await conn.execute(query)).scalar_one_or_none()
        visible_on_return.append(found == f"q-{number}")
        return record_id

    try:
        ids = await asyncio.gather(*(caller(n) for n in range(CALLERS)))
        assert len(set(ids)) == CALLERS
        assert all(visible_on_return)
        assert len(visible_on_return) == CALLERS
        # Group commit: far fewer transactions than messages (one per message without it).
        assert writer.transactions == commits()
        assert 1 <= writer.transactions <= CALLERS // 10
    finally:
        await writer.stop()
        await observer.dispose()
        await engine.dispose()


async def test_a_batch_is_bounded(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    clock = ml.Clock()
    settings = MessageLogSettings(writer_max_batch=25)
    writer = MessageLogWriter(MessageLogStore(engine), settings, clock=clock, timestamper=None)
    await writer.start()
    try:
        await asyncio.gather(*(writer.log(ml.entry(n, clock())) for n in range(200)))
        assert writer.transactions >= 200 // 25
    finally:
        await writer.stop()
        await engine.dispose()


async def test_refusals_store_nothing(db_url: str) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    clock = ml.Clock()
    settings = MessageLogSettings(
        max_loggable_body_bytes=10,
        body_logging_overrides={ml.SERVICE.provider.to_colon(): BodyLogging.DISABLED},
    )
    writer = MessageLogWriter(store, settings, clock=clock, timestamper=None)
    try:
        with pytest.raises(XRoadError) as not_running:
            await MessageLogWriter(store, MessageLogSettings(), clock=clock, timestamper=None).log(
                ml.entry(1, clock())
            )
        assert not_running.value.code is Code.LOGGING_FAILED
        await writer.start()
        assert await writer.log(ml.entry(1, clock(), body=b"x" * 100, rest=True)) is None
        full = MessageLogWriter(
            store, MessageLogSettings(max_loggable_body_bytes=10), clock=clock, timestamper=None
        )
        await full.start()
        with pytest.raises(XRoadError) as too_big:
            await full.log(ml.entry(2, clock(), body=b"x" * 11, rest=True))
        assert too_big.value.code is Code.LOGGING_FAILED
        assert await full.log(ml.entry(3, clock(), body=b"x" * 10, rest=True)) is not None
        await full.stop()
        assert await store.backlog() == (1, clock())
    finally:
        await writer.stop()
        await engine.dispose()


async def test_a_database_failure_fails_every_caller_with_logging_failed(
    db_url: str,
) -> None:
    engine = create_engine(db_url)  # never migrated: the table is missing
    clock = ml.Clock()
    writer = MessageLogWriter(
        MessageLogStore(engine), MessageLogSettings(), clock=clock, timestamper=None
    )
    await writer.start()
    try:
        results = await asyncio.gather(
            *(writer.log(ml.entry(n, clock())) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, XRoadError) for r in results)
        assert {r.code for r in results if isinstance(r, XRoadError)} == {Code.LOGGING_FAILED}
    finally:
        await writer.stop()
        await engine.dispose()


async def _signed(number: int, clock: ml.Clock) -> ml.LogEntry:
    plain = ml.entry(number, clock())
    return dataclasses.replace(plain, signature=ml.real_signature(plain.message))


async def test_grace_period_refuses_traffic_and_recovery_resumes_it(
    db_url: str, dev_tsa: ml.DevTsa
) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    clock = ml.Clock()
    grace = 30
    health = TimestampingHealth(grace)
    registry = CollectorRegistry()
    metrics = MessageLogMetrics.create(registry, health, clock)
    timestamper = Timestamper(store, dev_tsa.client(), clock=clock, health=health, metrics=metrics)
    settings = MessageLogSettings(acceptable_timestamp_failure_seconds=grace)
    writer = MessageLogWriter(store, settings, clock=clock, timestamper=timestamper)
    await writer.start()

    def gauge(name: str) -> float:
        value = registry.get_sample_value(name)
        assert value is not None
        return value

    try:
        assert math.isnan(gauge("vdx_ss_messagelog_last_timestamp_age_seconds"))
        await writer.log(await _signed(1, clock))
        await writer.log(await _signed(2, clock))
        assert (await timestamper.run_once()).stamped == 2
        assert gauge("vdx_ss_messagelog_unstamped_records") == 0
        await dev_tsa.stop()
        clock.advance(10)
        await writer.log(await _signed(3, clock))
        failed = await timestamper.run_once()
        assert failed.error is not None
        assert "Time-stamping failed" in failed.error
        assert gauge("vdx_ss_messagelog_unstamped_records") == 1
        clock.advance(grace)  # exactly the grace period: still accepted
        await writer.log(await _signed(4, clock))
        assert (await timestamper.run_once()).error is not None  # still failing
        clock.advance(1)
        with pytest.raises(XRoadError) as refused:
            await writer.log(await _signed(5, clock))
        assert refused.value.code is Code.TIMESTAMPING_FAILED
        assert timestamper.failing_for(clock()) == grace + 1
        assert gauge("vdx_ss_messagelog_last_timestamp_age_seconds") == grace + 11
        await dev_tsa.start()
        clock.advance(5)
        recovered = await timestamper.run_once()
        assert (recovered.stamped, recovered.tokens, recovered.error) == (2, 1, None)
        assert not timestamper.refuse_traffic(clock())
        assert await writer.log(await _signed(6, clock)) is not None
        assert gauge("vdx_ss_messagelog_last_timestamp_age_seconds") == 0
        assert await store.find("q-5", ml.CLIENT) == []  # the refused message was not logged
    finally:
        await writer.stop()
        await engine.dispose()


async def test_timestamp_immediately_stamps_before_returning(
    db_url: str, dev_tsa: ml.DevTsa
) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    clock = ml.Clock()
    timestamper = Timestamper(store, dev_tsa.client(), clock=clock, health=TimestampingHealth(1))
    settings = MessageLogSettings(timestamp_immediately=True)
    writer = MessageLogWriter(store, settings, clock=clock, timestamper=timestamper)
    await writer.start()
    try:
        record_id = await writer.log(await _signed(1, clock))
        [(record, stamp)] = await store.find("q-1", ml.CLIENT)
        assert record.id == record_id
        assert stamp is not None
        decoded = decode_signature(record.entry.signature)
        assert decoded.timestamp_token == stamp.token
        timestamp.verify_timestamp(
            stamp.token, data=decoded.signature_value, trust=dev_tsa.trust(), now=clock()
        )
        await dev_tsa.stop()
        with pytest.raises(XRoadError) as failed:
            await writer.log(await _signed(2, clock))
        assert failed.value.code is Code.TIMESTAMPING_FAILED
        # Synchronous mode skips the grace check: each message is stamped or fails itself.
        clock.advance(3600)
        writer.check_can_log(clock())
        await dev_tsa.start()
        assert (await timestamper.run_once()).stamped == 1  # the failed one, in a later round
    finally:
        await writer.stop()
        await engine.dispose()
