"""The archiving background task: stamped records into archive files, old records out.

The I/O shell around :mod:`security_server.messagelog.archive`. Each round (every
``archive_interval_seconds``; the reference's ``archive-interval``):

1. reads the oldest stamped, not yet archived records (``batch_size`` at a time, as the
   reference's ``archive-transaction-batch-size``), plans the archives and, for each archive:
   writes the file atomically into the archive folder (temporary file, fsync, rename:
   :func:`vdx.fileio.write_atomic`), saves the group's new chain link in the state file next
   to the archives (also atomically), runs the transfer command, then marks the records
   archived. A crash between the steps leaves either no archive (the records are archived
   again next round, from the same link) or an archive whose records are archived again into
   a later archive of the same chain: never a broken chain;
2. deletes archived records older than ``keep_records_seconds`` (the reference's
   ``LogCleaner`` and ``keep-records-for``).

The transfer command (``archive-transfer-command``) runs with ``/bin/bash -c`` in the archive
folder, as the reference runs it; its failure is logged, not fatal: the archive stays where it
is and the next round runs the command again.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge

from security_server.messagelog.archive import (
    DEFAULT_MAX_BYTES,
    BuiltArchive,
    ChainState,
    Grouping,
    build_archive_file,
    iter_archives,
)
from security_server.messagelog.settings import MessageLogSettings
from security_server.messagelog.store import MessageLogStore
from vdx.clock import utc_now
from vdx.fileio import write_atomic

TASK_NAME = "vdx-ss-messagelog-archiver"
STATE_FILE = ".vdx-archive-state.json"  # a dot file: transfer commands moving mlog-* skip it
# Records read per query; the reference reads 10000 (archive-transaction-batch-size) but
# streams them, while a page here is held whole (REST bodies may be up to 10 MB each).
DEFAULT_BATCH_SIZE = 1_000
DEFAULT_KEEP_RECORDS_SECONDS = 30 * 86_400  # keep-records-for: 30 days
DEFAULT_INTERVAL_SECONDS = 6 * 3600.0  # archive-interval: every 6 hours
TRANSFER_TIMEOUT_SECONDS = 3600.0
LAG_REFRESH_SECONDS = 60.0
log = structlog.get_logger("security_server.messagelog.archive")


class MessageLogArchiver:
    """Archives stamped records of one store into one folder; see the module docstring."""

    def __init__(
        self,
        store: MessageLogStore,
        *,
        archive_dir: Path,
        grouping: Grouping = Grouping.NONE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keep_records_seconds: float = DEFAULT_KEEP_RECORDS_SECONDS,
        transfer_command: str | None = None,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if interval_seconds <= 0 or batch_size <= 0 or max_bytes <= 0:
            raise ValueError("interval, batch size and maximum archive size must be positive")
        self._store = store
        self._dir = archive_dir
        self._grouping = grouping
        self._max_bytes = max_bytes
        self._keep = timedelta(seconds=keep_records_seconds)
        self._transfer = transfer_command.strip() if transfer_command else None
        self._interval = interval_seconds
        self._batch = batch_size
        self._clock = clock
        self._oldest_pending: datetime | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls,
        store: MessageLogStore,
        settings: MessageLogSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> MessageLogArchiver:
        """The archiver the composition root starts, configured by the message log settings."""
        return cls(
            store,
            archive_dir=settings.archive_dir,
            grouping=Grouping(settings.archive_grouping),
            max_bytes=settings.archive_max_bytes,
            keep_records_seconds=settings.keep_records_seconds,
            transfer_command=settings.archive_transfer_command,
            interval_seconds=settings.archive_interval_seconds,
            clock=clock,
        )

    # ------------------------------------------------------------ state file
    @property
    def state_path(self) -> Path:
        return self._dir / STATE_FILE

    def _load_state(self) -> ChainState:
        if not self.state_path.is_file():
            return ChainState()
        return ChainState.decode(self.state_path.read_bytes())

    # ------------------------------------------------------------ one round
    async def archive_once(self) -> list[Path]:
        """Archive every stamped, unarchived record; the paths of the archives written."""
        async with self._lock:
            written: list[Path] = []
            await asyncio.to_thread(self._dir.mkdir, parents=True, exist_ok=True)
            state = await asyncio.to_thread(self._load_state)
            while True:
                items = await self._store.stamped_unarchived(self._batch)
                if not items:
                    break
                plans = iter_archives(items, grouping=self._grouping, max_bytes=self._max_bytes)
                # One archive's containers at a time, built off the event loop.
                while (plan := await asyncio.to_thread(next, plans, None)) is not None:
                    built = await asyncio.to_thread(
                        build_archive_file, plan, state.link(plan.group)
                    )
                    state = state.advanced(plan.group, built.link)
                    written.append(await self._save(built, state))
                    await self._run_transfer()
                    await self._store.mark_archived(built.record_ids)
                    log.info(
                        "messagelog_archive_written",
                        file=built.name,
                        records=len(built.record_ids),
                        group=plan.group,
                    )
                if len(items) < self._batch:
                    break
            await self.refresh_lag()
            return written

    async def _save(self, built: BuiltArchive, state: ChainState) -> Path:
        path = self._dir / built.name
        await asyncio.to_thread(write_atomic, path, built.data)
        await asyncio.to_thread(write_atomic, self.state_path, state.encode())
        return path

    async def refresh_lag(self) -> None:
        """Read the oldest stamped, unarchived record's time again (for the lag gauge)."""
        oldest = await self._store.stamped_unarchived(1)
        self._oldest_pending = oldest[0][0].entry.created_at if oldest else None

    async def clean_once(self, now: datetime | None = None) -> int:
        """Delete archived records older than the retention period; how many went."""
        moment = self._clock() if now is None else now
        deleted = await self._store.delete_archived(moment - self._keep)
        if deleted:
            log.info("messagelog_records_removed", records=deleted)
        return deleted

    async def _run_transfer(self) -> None:
        if not self._transfer:
            return
        try:
            process = await asyncio.create_subprocess_exec(
                "/bin/bash",
                "-c",
                self._transfer,
                cwd=self._dir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as error:
            log.error("messagelog_transfer_failed", command=self._transfer, error=str(error))
            return
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), TRANSFER_TIMEOUT_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            log.error("messagelog_transfer_timed_out", command=self._transfer)
            return
        if process.returncode != 0:
            log.error(
                "messagelog_transfer_failed",
                command=self._transfer,
                status=process.returncode,
                stderr=stderr.decode("utf-8", "replace")[-2000:],
            )

    # ------------------------------------------------------------ metric
    def lag_seconds(self, now: datetime | None = None) -> float:
        """Age of the oldest stamped record not yet archived (0 when none), as last seen."""
        if self._oldest_pending is None:
            return 0.0
        moment = self._clock() if now is None else now
        return max(0.0, (moment - self._oldest_pending).total_seconds())

    def register_metrics(self, registry: CollectorRegistry) -> Gauge:
        gauge = Gauge(
            "vdx_ss_messagelog_archive_lag_seconds",
            "Age in seconds of the oldest time-stamped message log record not yet archived "
            "(0: none), as of the last archiving round.",
            registry=registry,
        )
        gauge.set_function(lambda: _finite(self.lag_seconds()))
        return gauge

    # ------------------------------------------------------------ task
    async def _run(self) -> None:
        while True:
            try:
                await self.archive_once()
                await self.clean_once()
            except Exception:  # a failed round must not end archiving: logged, retried
                log.exception("messagelog_archive_round_failed")
            await self._wait_for_next_round()

    async def _wait_for_next_round(self) -> None:
        # Rounds may be hours apart; the lag gauge is refreshed every minute meanwhile.
        remaining = self._interval
        while remaining > 0:
            step = min(remaining, LAG_REFRESH_SECONDS)
            await asyncio.sleep(step)
            remaining -= step
            try:
                await self.refresh_lag()
            except Exception:  # only the gauge is stale then; the next refresh retries
                log.exception("messagelog_archive_lag_refresh_failed")

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=TASK_NAME)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def cleanup_context(self, _app: web.Application) -> AsyncIterator[None]:
        await self.start()
        yield
        await self.stop()


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0
