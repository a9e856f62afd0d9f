"""Batch time-stamping with the real development TSA, on SQLite and PostgreSQL.

One token covers a whole backlog of 12,000 records and every record's proof verifies; two
timestampers racing on one database give each record exactly one timestamp; a record alone is
stamped inside its signature.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from security_server.messagelog.asic_build import record_container
from security_server.messagelog.batch import SIGNATURE_FILE, TS_HASH_CHAIN_FILE
from security_server.messagelog.service import MessageLog
from security_server.messagelog.settings import MessageLogSettings
from security_server.messagelog.store import MessageLogStore
from security_server.messagelog.timestamper import Timestamper, TimestampSource
from tests import databases
from tests.integration.security_server import test_messagelog_support as ml
from vdx.clock import utc_now
from vdx.crypto import timestamp
from vdx.crypto.asic import read_container
from vdx.crypto.asic_verify import verify_container
from vdx.crypto.evidence import check_timestamp
from vdx.crypto.hashchain_verify import DocumentResolver, verify_hash_chain
from vdx.crypto.xades_decode import decode_signature

pg_database = databases.postgres_module_fixture()
db_url = ml.db_url_fixture()
dev_tsa = ml.dev_tsa
RECORDS = 12_000  # more than the reference's default batch limit of 10,000


@pytest.mark.slow
async def test_one_token_covers_the_whole_backlog(db_url: str, dev_tsa: ml.DevTsa) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    clock = ml.Clock()
    try:
        for start in range(0, RECORDS, 3000):
            await store.write([ml.entry(n, clock()) for n in range(start, start + 3000)])
        timestamper = Timestamper(store, dev_tsa.client(), clock=clock)
        result = await timestamper.run_once()
        assert (result.stamped, result.tokens, result.error) == (RECORDS, 1, None)
        assert await ml.timestamp_rows(engine) == 1
        assert await store.backlog() == (0, None)
        pairs = await store.stamped_unarchived(RECORDS + 1)
        assert len(pairs) == RECORDS
        token = pairs[0][1]
        assert {stamp.id for _, stamp in pairs} == {token.id}
        assert token.hash_chain_result is not None
        info = timestamp.verify_timestamp(
            token.token, data=token.hash_chain_result, trust=dev_tsa.trust(), now=clock()
        )
        assert info.tsa_cert == dev_tsa.directory.load().tsa.cert
        for record, _ in pairs:
            assert record.timestamp_hash_chain is not None
            documents = {
                TS_HASH_CHAIN_FILE: record.timestamp_hash_chain,
                SIGNATURE_FILE: record.entry.signature,
            }
            verify_hash_chain(
                token.hash_chain_result, DocumentResolver(documents), {SIGNATURE_FILE: None}
            )
        assert timestamper.health.last_success == clock()
    finally:
        await engine.dispose()


class _Rendezvous:
    """Holds each node's token until both nodes have one, so both try to save the same batch
    (the race a wall clock would make rare)."""

    def __init__(self, source: TimestampSource, parties: int) -> None:
        self._source = source
        self._barrier = asyncio.Barrier(parties)

    async def timestamp(self, data: bytes, now: datetime) -> timestamp.TimestampInfo:
        info = await self._source.timestamp(data, now)
        await self._barrier.wait()
        return info


async def test_two_racing_timestampers_stamp_each_record_once(
    db_url: str, dev_tsa: ml.DevTsa
) -> None:
    nodes = [await ml.open_engine(db_url), await ml.open_engine(db_url)]
    clock = ml.Clock()
    try:
        await MessageLogStore(nodes[0]).write([ml.entry(n, clock()) for n in range(500)])
        rendezvous = _Rendezvous(dev_tsa.client(), parties=2)
        # Small chunks: each node's save is several transactions that could interleave.
        stampers = [
            Timestamper(MessageLogStore(e, chunk=50), rendezvous, clock=clock) for e in nodes
        ]
        results = await asyncio.gather(*(s.run_once() for s in stampers))
        assert sorted((r.tokens, r.lost_races) for r in results) == [(0, 1), (1, 0)]
        assert all(r.error is None for r in results)
        assert await ml.timestamp_rows(nodes[0]) == 1
        assert await ml.stamped_counts(nodes[0]) == (500, 0)
        # The loser's round counts as a success: its TSA answered.
        assert all(s.health.failing_since is None for s in stampers)
    finally:
        for engine in nodes:
            await engine.dispose()


async def test_a_single_record_is_stamped_inside_its_signature(
    db_url: str, dev_tsa: ml.DevTsa
) -> None:
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    clock = ml.Clock()
    try:
        plain = ml.entry(1, clock())
        signed = ml.entry(1, clock(), signature=ml.real_signature(plain.message))
        [record_id] = await store.write([signed])
        result = await Timestamper(store, dev_tsa.client(), clock=clock).run_once()
        assert (result.stamped, result.tokens) == (1, 1)
        [(record, stamp)] = await store.find("q-1", ml.CLIENT)
        assert record.id == record_id
        assert stamp is not None
        assert stamp.hash_chain_result is None
        assert record.timestamp_hash_chain is None
        decoded = decode_signature(record.entry.signature)
        assert decoded.timestamp_token == stamp.token
        timestamp.verify_timestamp(
            stamp.token, data=decoded.signature_value, trust=dev_tsa.trust(), now=clock()
        )
        # The signed part is unchanged: only unsigned properties were added.
        assert decoded.signature_value == decode_signature(signed.signature).signature_value
    finally:
        await engine.dispose()


async def test_stamped_records_make_containers_whose_timestamp_verifies(
    db_url: str, dev_tsa: ml.DevTsa
) -> None:
    """The archive's containers (``asic_build``) from what this timestamper stored."""
    engine = await ml.open_engine(db_url)
    store = MessageLogStore(engine)
    clock = ml.Clock()
    try:
        entries = [ml.entry(n, clock()) for n in range(3)]
        signed = [dataclasses.replace(e, signature=ml.real_signature(e.message)) for e in entries]
        await store.write(signed)
        assert (await Timestamper(store, dev_tsa.client(), clock=clock).run_once()).tokens == 1
        pairs = await store.stamped_unarchived(10)
        assert len(pairs) == 3
        for record, stamp in pairs:
            data = record_container(record, stamp)
            verify_container(data)  # digests, manifests, hash chain inputs
            facts = check_timestamp(read_container(data), clock(), dev_tsa.trust())
            assert "ts-hashchain.xml" in facts["time-stamp"]
    finally:
        await engine.dispose()


async def test_the_message_log_service_logs_and_stamps_in_the_background(
    dev_tsa: ml.DevTsa, tmp_path: Path
) -> None:
    engine = await ml.open_engine(databases.sqlite_url(tmp_path))
    registry = CollectorRegistry()
    settings = MessageLogSettings(timestamping_interval_seconds=0.05)
    log = MessageLog.create(engine, settings, dev_tsa.client(), clock=utc_now, registry=registry)
    await log.start()
    try:
        for round_number in range(3):
            for n in range(4):
                plain = ml.entry(10 * round_number + n, utc_now())
                signature = ml.real_signature(plain.message)
                await log.writer.log(dataclasses.replace(plain, signature=signature))
            for _ in range(1000):  # up to 20 s for the task's next round
                if (await log.store.backlog())[0] == 0:
                    break
                await asyncio.sleep(0.02)
            assert await log.store.backlog() == (0, None)
        assert await ml.stamped_counts(engine) == (12, 0)
        assert 1 <= await ml.timestamp_rows(engine) <= 12
        assert log.timestamper.health.failing_since is None
        age = registry.get_sample_value("vdx_ss_messagelog_last_timestamp_age_seconds")
        assert age is not None
        assert 0 <= age < 20
    finally:
        await log.stop()
        await engine.dispose()


async def test_a_lone_record_with_an_unreadable_signature_waits_for_a_batch(
    dev_tsa: ml.DevTsa, tmp_path: Path
) -> None:
    engine = await ml.open_engine(databases.sqlite_url(tmp_path))
    store = MessageLogStore(engine)
    clock = ml.Clock()
    timestamper = Timestamper(store, dev_tsa.client(), clock=clock)
    try:
        await store.write([ml.entry(1, clock())])  # b"<sig n='1'/>": no XAdES to embed into
        alone = await timestamper.run_once()
        assert (alone.stamped, alone.error) == (0, None)
        assert timestamper.health.failing_since is None  # the TSA did not fail
        await store.write([ml.entry(2, clock())])
        assert (await timestamper.run_once()).stamped == 2
        assert await ml.stamped_counts(engine) == (2, 0)
    finally:
        await engine.dispose()
