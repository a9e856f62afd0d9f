"""The message log writer: group commit of signed messages, durable before release.

ARCHITECTURE rule 8 (and security server architecture §2.8): a message is released only after
its log record is committed. Committing each record alone would make the database's commit
(one fsync) the ceiling of the whole server, so callers queue their entry and one task commits
whatever arrived while the previous commit ran, in one transaction (bounded by ``max_batch``),
then wakes each caller with its record id. A caller therefore returns only after its record is
durable, and concurrent callers share one commit.

Before queueing, the writer refuses new messages when time-stamping has failed for longer than
the grace period (``TimestampingFailed``) and applies the body logging decision (``body``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import structlog

from security_server.messagelog.body import body_mode, loggable
from security_server.messagelog.model import LogEntry
from security_server.messagelog.settings import MessageLogSettings
from security_server.messagelog.store import MessageLogStore
from security_server.messagelog.timestamper import Timestamper
from vdx.errors import Code, XRoadError

log = structlog.get_logger("security_server.messagelog")

_Item = tuple[LogEntry, "asyncio.Future[int]"]


class MessageLogWriter:
    def __init__(
        self,
        store: MessageLogStore,
        settings: MessageLogSettings,
        *,
        clock: Callable[[], datetime],
        timestamper: Timestamper | None,
    ) -> None:
        if timestamper is None and settings.timestamp_immediately:
            raise ValueError("timestamp_immediately needs a timestamper")
        self._store = store
        self._settings = settings
        self._clock = clock
        self._timestamper = timestamper
        self._max_batch = settings.writer_max_batch
        # Bounded: when the database falls behind, callers wait here instead of piling up.
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue(maxsize=10 * self._max_batch)
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0  # commits made (a test and a gauge may read it)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="messagelog-writer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.put(None)
        await self._task
        self._task = None
        while not self._queue.empty():  # queued behind the stop: never committed
            item = self._queue.get_nowait()
            if item is not None and not item[1].done():
                item[1].set_exception(XRoadError(Code.LOGGING_FAILED, "message log stopped"))

    def check_can_log(self, now: datetime) -> None:
        """Refuse when time-stamping has failed beyond the grace period (reference
        ``LogManager``: checked before logging, unless every message is stamped anyway)."""
        if self._settings.timestamp_immediately or self._timestamper is None:
            return
        if self._timestamper.refuse_traffic(now):
            failing = self._timestamper.failing_for(now)
            raise XRoadError(
                Code.TIMESTAMPING_FAILED,
                f"Cannot time-stamp messages: time-stamping has failed for {failing:.0f} s",
            )

    async def log(self, entry: LogEntry) -> int | None:
        """Log ``entry``; returns its record id once committed (None: body logging
        ``disabled`` for this service). Raises ``XRoadError`` (``TimestampingFailed``,
        ``LoggingFailed``): the message must then not be released."""
        self.check_can_log(self._clock())
        if entry.created_at.tzinfo is None:  # refused here, not in the batch it would fail
            raise XRoadError(Code.LOGGING_FAILED, "log entry time without a time zone")
        settings = self._settings
        mode = body_mode(entry, settings.body_logging, settings.body_logging_overrides)
        stored = loggable(entry, mode, settings.max_loggable_body_bytes)
        if stored is None:
            return None
        if self._task is None:
            raise XRoadError(Code.LOGGING_FAILED, "the message log writer is not running")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await self._queue.put((stored, future))
        record_id = await future
        if settings.timestamp_immediately and self._timestamper is not None:
            await self._timestamper.stamp_record(record_id)
        return record_id

    async def _drain(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._commit(batch)

    async def _commit(self, batch: list[_Item]) -> None:
        try:
            ids = await self._store.write([entry for entry, _ in batch])
        except Exception as failure:  # noqa: BLE001 - any database failure fails the whole batch
            log.error("messagelog_write_failed", records=len(batch), error=str(failure))
            for _, future in batch:
                if not future.done():
                    future.set_exception(
                        XRoadError(Code.LOGGING_FAILED, "Writing the message log failed")
                    )
            return
        self.transactions += 1
        for (_, future), record_id in zip(batch, ids, strict=True):
            if not future.done():  # a caller that gave up (cancelled) is not waiting any more
                future.set_result(record_id)
