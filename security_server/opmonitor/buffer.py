"""The operational monitoring buffer: exchanges hand records over, a task writes them in batches.

:meth:`OpMonitorBuffer.record` is called by the proxies at the end of every exchange, on the
event loop. It never blocks and never raises into the exchange: monitoring must not stop
traffic. The buffer is bounded; when it is full the oldest record is dropped and counted, as
the reference's operational monitoring buffer does (ug-opmonsyspar ``op-monitor-buffer.size``).
A flusher task writes every ``flush_interval_seconds``, or at once when
``flush_batch_records`` wait; a batch that fails to be written goes back to the front of the
buffer and is retried at the next interval. A cleaner task deletes records older than
``keep_records_days`` (``op-monitor.keep-records-for-days``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.metrics import OpMonitorMetrics
from security_server.opmonitor.model import OpRecord
from security_server.opmonitor.settings import OpMonitorSettings

log = structlog.get_logger("security_server.opmonitor")

FLUSH_TASK = "opmonitor-flush"
CLEAN_TASK = "opmonitor-clean"
CLOSE_TIMEOUT_SECONDS = 10.0


class RecordStore(Protocol):
    async def write_batch(self, records: Sequence[OpRecord], now: datetime) -> None: ...

    async def delete_older_than(self, cutoff: datetime) -> int: ...


class OpMonitorBuffer:
    """Bounded in-memory queue of records between the exchanges and the database."""

    def __init__(
        self,
        store: RecordStore,
        settings: OpMonitorSettings,
        clock: Callable[[], datetime],
        metrics: OpMonitorMetrics | None = None,
        health: HealthStatistics | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._metrics = metrics
        self.health = health
        self._queue: deque[OpRecord] = deque()
        self._wake = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self.dropped = 0
        self._stopping = False
        if metrics is not None:
            metrics.buffered.set_function(lambda: len(self._queue))

    def __len__(self) -> int:
        return len(self._queue)

    def record(self, record: OpRecord) -> None:
        """Take one record; synchronous, bounded, and silent on any failure."""
        try:
            if self._metrics is not None:
                self._metrics.observe_exchange(record)
            if self.health is not None:
                self.health.observe(record)
            if not self._settings.enabled:
                return
            self._queue.append(record)
            self._drop_overflow()
            if len(self._queue) >= self._settings.flush_batch_records:
                self._wake.set()
        except Exception:  # monitoring never fails an exchange
            log.exception("opmonitor.record_failed")

    def _drop_overflow(self) -> None:
        excess = len(self._queue) - self._settings.buffer_size
        for _ in range(max(0, excess)):
            self._queue.popleft()
        if excess > 0:
            self.dropped += excess
            if self._metrics is not None:
                self._metrics.dropped.inc(excess)

    async def flush(self) -> int:
        """Write one batch (at most ``flush_max_batch`` records); returns how many were
        written, 0 when the buffer was empty or the write failed (the batch is kept)."""
        async with self._write_lock:
            count = min(len(self._queue), self._settings.flush_max_batch)
            if count == 0:
                return 0
            batch = [self._queue.popleft() for _ in range(count)]
            try:
                await self._store.write_batch(batch, self._clock())
            except asyncio.CancelledError:
                # Stopped mid-write: the transaction did not commit, the records stay.
                self._queue.extendleft(reversed(batch))
                raise
            except Exception as error:  # noqa: BLE001 - any database failure: retry later
                self._queue.extendleft(reversed(batch))
                self._drop_overflow()
                if self._metrics is not None:
                    self._metrics.write_failures.inc()
                log.warning("opmonitor.write_failed", records=count, error=repr(error)[:300])
                return 0
            if self._metrics is not None:
                self._metrics.written.inc(count)
            return count

    async def flush_all(self) -> int:
        """Write batches until the buffer is empty or a write fails."""
        total = 0
        while written := await self.flush():
            total += written
        return total

    async def flush_forever(self) -> None:
        """The flusher task's body: every interval, or when a batch is ready, until stopped."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=self._settings.flush_interval_seconds
                )
            self._wake.clear()
            await self.flush_all()

    async def clean(self) -> int:
        """Delete records older than the retention period; returns how many went."""
        cutoff = self._clock() - timedelta(days=self._settings.keep_records_days)
        deleted = await self._store.delete_older_than(cutoff)
        if self._metrics is not None:
            self._metrics.deleted.inc(deleted)
        if deleted:
            log.info("opmonitor.cleaned", records=deleted, cutoff=cutoff.isoformat())
        return deleted

    async def clean_forever(self) -> None:
        """The cleaner task's body: clean now, then every ``clean_interval_seconds``."""
        while True:
            try:
                await self.clean()
            except Exception as error:  # noqa: BLE001 - the next round tries again
                log.warning("opmonitor.clean_failed", error=repr(error)[:300])
            await asyncio.sleep(self._settings.clean_interval_seconds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[OpMonitorBuffer]:
        """Run the flusher and the cleaner as named tasks (for the composition root's cleanup
        context). On exit the flusher is not cancelled mid-write (a write that committed but
        was cancelled before it returned would be retried and stored twice): it is told to
        stop, writes what is left and ends; only after a timeout is it cancelled."""
        self._stopping = False
        flusher = asyncio.create_task(self.flush_forever(), name=FLUSH_TASK)
        cleaner = asyncio.create_task(self.clean_forever(), name=CLEAN_TASK)
        try:
            yield self
        finally:
            self._stopping = True
            self._wake.set()
            cleaner.cancel()
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                    await asyncio.gather(flusher, cleaner, return_exceptions=True)
                    await self.flush_all()
            except TimeoutError:
                flusher.cancel()
                await asyncio.gather(flusher, return_exceptions=True)
                log.warning("opmonitor.close_timeout", records=len(self._queue))
