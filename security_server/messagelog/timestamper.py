"""Batch time-stamping of the message log (security server architecture §2.8, "Timestamper").

Every interval (the global configuration's ``timeStampingIntervalSeconds``, default 60 s) one
round takes *all* unstamped records (up to ``max_records``, far beyond the reference's 10,000,
so one token covers a whole interval at 1,000 exchanges/s; a larger backlog takes several
tokens at once), builds one hash chain over their signature digests (``batch.plan_batch``),
asks the approved TSAs in priority order for one RFC 3161 token over the hash chain result,
checks that the token imprints that result, and saves the token with every record's proof
(``MessageLogStore.save_timestamp``: in transactions of a few thousand records, so SQLite's
write lock is never held for long). A single record is stamped on its own, its token embedded
in its signature (``xades:SignatureTimeStamp``), as the reference's ``SingleTimestampRequest``
does.

Exactly one timestamp per record: the save sets the timestamp only where none is set yet and
gives up when the batch is stamped already (``StaleBatchError``: another node won; this node's
token is dropped). Crash safety comes from the transactions: records a dead round did not
commit stay unstamped for the next round. Failures feed :class:`TimestampingHealth`, which the
writer asks before logging (grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from security_server.messagelog.batch import LazyProofs, plan_batch
from security_server.messagelog.health import TimestampingHealth
from security_server.messagelog.metrics import MessageLogMetrics
from security_server.messagelog.model import PendingRecord, StaleBatchError, StoredRecord
from security_server.messagelog.store import MessageLogStore
from vdx.crypto import digests, timestamp
from vdx.crypto.xades_create import add_unsigned_properties
from vdx.crypto.xades_decode import decode_signature
from vdx.errors import Code, XRoadError

log = structlog.get_logger("security_server.messagelog")

PAGE = 10_000  # records read per query while collecting a batch


class TimestampSource(Protocol):
    """A verified RFC 3161 token over ``data`` (``security_server.signer.tsa_client.TsaClient``:
    the approved TSAs in priority order)."""

    async def timestamp(self, data: bytes, now: datetime) -> timestamp.TimestampInfo: ...


@dataclass(frozen=True, slots=True)
class RoundResult:
    stamped: int = 0  # records that got a timestamp in this round
    tokens: int = 0  # tokens saved
    lost_races: int = 0  # tokens dropped because another node stamped the records first
    error: str | None = None  # why the round failed (time-stamping is then "failing")


class _UnreadableSignatureError(Exception):
    """A record alone whose signature cannot carry a time-stamp (not XAdES as VDX makes it)."""

    def __init__(self, record_id: int, reason: str) -> None:
        super().__init__(f"record {record_id}: {reason}")


def _check_imprint(info: timestamp.TimestampInfo, data: bytes) -> None:
    # The source verified the token (approved TSA, nonce); this ties it to *this* data.
    expected = digests.digest(digests.digest_uri_for(info.hash_name), data)
    if not hmac.compare_digest(expected, info.imprint):
        raise XRoadError(Code.TIMESTAMP_VALIDATION, "time-stamp does not imprint the batch")


class Timestamper:
    def __init__(
        self,
        store: MessageLogStore,
        source: TimestampSource,
        *,
        clock: Callable[[], datetime],
        health: TimestampingHealth | None = None,
        max_records: int = 200_000,
        method_uri: str = digests.SHA512,
        tsas_configured: Callable[[], bool] = lambda: True,
        metrics: MessageLogMetrics | None = None,
    ) -> None:
        if max_records < 2:
            raise ValueError("max_records must be at least 2")
        self._store = store
        self._source = source
        self._clock = clock
        self._max = max_records
        self._method = method_uri
        self._tsas_configured = tsas_configured
        self._metrics = metrics
        # Shared with the metrics; the grace period is acceptable_timestamp_failure_seconds.
        self.health = health if health is not None else TimestampingHealth(14400)

    # -- the writer's questions -------------------------------------------------------------
    def failing_for(self, now: datetime) -> float:
        return self.health.failing_for(now).total_seconds()

    def refuse_traffic(self, now: datetime) -> bool:
        """True when new exchanges must be refused (``TimestampingFailed``)."""
        if not self._tsas_configured():
            return True  # as the reference: no approved TSA, nothing can be stamped
        return self.health.refuse_traffic(now)

    async def load_state(self) -> None:
        """After a restart: the last success is the newest saved timestamp."""
        self.health.last_success = await self._store.last_timestamp_at()

    # -- rounds -----------------------------------------------------------------------------
    async def _collect(self) -> list[PendingRecord]:
        pending: list[PendingRecord] = []
        after = 0
        while len(pending) < self._max:
            page = await self._store.unstamped_hashes(min(PAGE, self._max - len(pending)), after)
            if not page:
                break
            pending.extend(page)
            after = page[-1].id
        return pending

    async def _stamp_batch(self, pending: list[PendingRecord]) -> int:
        leaves = [p.signature_hash for p in pending]
        plan = await asyncio.to_thread(plan_batch, leaves, self._method)
        info = await self._source.timestamp(plan.result_xml, self._clock())
        _check_imprint(info, plan.result_xml)
        proofs = LazyProofs(plan, [p.id for p in pending])
        return await self._store.save_timestamp(
            info.token_der, plan.result_xml, proofs, self._clock()
        )

    async def _stamp_single(self, record_id: int) -> int:
        signature = await self._store.record_signature(record_id)
        if signature is None:
            raise StaleBatchError(f"record {record_id} was stamped meanwhile")
        try:
            value = decode_signature(signature).signature_value
        except XRoadError as malformed:
            raise _UnreadableSignatureError(record_id, malformed.message) from malformed
        info = await self._source.timestamp(value, self._clock())
        _check_imprint(info, value)
        stamped = add_unsigned_properties(signature, timestamp_token=info.token_der)
        return await self._store.save_single_timestamp(
            record_id, info.token_der, stamped, self._clock()
        )

    async def run_once(self) -> RoundResult:
        """One time-stamping round over the whole backlog."""
        stamped = tokens = lost = 0
        error: str | None = None
        try:
            if not self._tsas_configured():
                raise XRoadError(Code.TIMESTAMPING_FAILED, "no approved TSA is configured")
            while pending := await self._collect():
                try:
                    if len(pending) == 1:
                        await self._stamp_single(pending[0].id)
                    else:
                        await self._stamp_batch(pending)
                except _UnreadableSignatureError as unreadable:
                    # Not a time-stamping failure: the record waits to join a batch, where
                    # only its signature's digest is needed.
                    log.warning("single_record_not_stamped", reason=str(unreadable))
                    break
                except StaleBatchError:
                    lost += 1  # the TSA answered; the records are stamped (by the winner)
                    self.health.succeeded(self._clock())
                    break
                stamped += len(pending)
                tokens += 1
                self.health.succeeded(self._clock())
                if len(pending) < self._max:
                    break
        except Exception as failure:  # any failure leaves the records unstamped: it counts
            error = str(failure)
            self.health.failed(self._clock())
            log.warning(
                "timestamping_failed",
                error=error,
                failing_for=self.failing_for(self._clock()),
                exc_info=not isinstance(failure, XRoadError),
            )
        if self._metrics is not None:
            with contextlib.suppress(Exception):  # a database outage was reported above
                self._metrics.observe_backlog((await self._store.backlog())[0])
        return RoundResult(stamped, tokens, lost, error)

    async def stamp_record(self, record_id: int) -> int | None:
        """Time-stamp one record now (``timestamp_immediately``); its timestamp id, or None
        when a batch round stamped it first. Raises ``XRoadError(TimestampingFailed)``."""
        try:
            timestamp_id = await self._stamp_single(record_id)
        except StaleBatchError:
            return None
        except _UnreadableSignatureError as failure:
            raise XRoadError(Code.TIMESTAMPING_FAILED, str(failure)) from failure
        except Exception as failure:
            self.health.failed(self._clock())
            reason = failure.message if isinstance(failure, XRoadError) else str(failure)
            log.warning("timestamping_failed", record=record_id, error=reason)
            raise XRoadError(
                Code.TIMESTAMPING_FAILED, f"Time-stamping failed: {reason}"
            ) from failure
        self.health.succeeded(self._clock())
        return timestamp_id

    async def force(self, records: Sequence[StoredRecord]) -> None:
        """Stamp ``records`` now, each on its own (``download.ForceTimestamp``: an ASiC-E
        container asked for before the next round)."""
        for record in records:
            if record.timestamp_id is None:
                await self.stamp_record(record.id)

    async def run(self, interval_seconds: float) -> None:
        """The background task: a round every ``interval_seconds`` until cancelled."""
        with contextlib.suppress(Exception):  # unknown until the database answers
            await self.load_state()
        while True:
            result = await self.run_once()  # never raises: failures are in the result
            if result.tokens:
                log.info("timestamped", records=result.stamped, tokens=result.tokens)
            await asyncio.sleep(interval_seconds)
