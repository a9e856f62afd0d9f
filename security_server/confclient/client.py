"""The configuration client: a named background task that keeps the global configuration fresh.

Each round downloads and verifies (:mod:`~security_server.confclient.downloader`), asks
:func:`~security_server.confclient.decisions.on_download` what to do, and applies it: the state
(the configuration in use among it) is replaced by one reference assignment, so a reader sees
the old or the new configuration whole. A configuration newly in use is persisted; at start the
persisted one is verified again and used until a download replaces it (pr-gconf §5).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import aiohttp
import structlog
from aiohttp import web

from security_server.confclient import persistence
from security_server.confclient.decisions import (
    Action,
    ClientState,
    ConfClientStatus,
    Downloaded,
    Failed,
    Outcome,
    Transition,
    next_delay,
    on_download,
    on_restore,
    require_valid,
    status,
)
from security_server.confclient.downloader import Downloader, DownloadLimits
from security_server.confclient.metrics import ConfClientMetrics
from security_server.confclient.model import GlobalConfiguration
from security_server.confclient.verify import RawDownload, verify_download
from vdx.clock import utc_now
from vdx.errors import Code, XRoadError
from vdx.globalconf import ConfigurationAnchor

TASK_NAME = "vdx-ss-conf-client"
DEFAULT_INTERVAL_SECONDS = 60.0
log = structlog.get_logger("security_server.confclient")


class ConfigurationClient:
    def __init__(
        self,
        *,
        anchor: ConfigurationAnchor,
        data_dir: Path | None = None,
        metrics: ConfClientMetrics | None = None,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        clock: Callable[[], datetime] = utc_now,
        limits: DownloadLimits | None = None,
        version: int | None = None,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self.anchor = anchor
        self._data_dir = data_dir
        self._metrics = metrics
        self._interval = interval_seconds
        self._clock = clock
        self._limits = limits or DownloadLimits()
        self._version = version
        self._state = ClientState()
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def attach_metrics(self, metrics: ConfClientMetrics) -> None:
        """Metrics read the client's state, so they are made after it (composition root)."""
        self._metrics = metrics

    # ------------------------------------------------------------ readers (any coroutine)
    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def current(self) -> GlobalConfiguration | None:
        """The configuration in use, valid or not (for display; traffic uses ``valid``)."""
        return self._state.current

    def valid(self, now: datetime | None = None) -> GlobalConfiguration:
        """The configuration traffic may use, or ``XRoadError(OutdatedGlobalConf)``."""
        return require_valid(self._state.current, self._clock() if now is None else now)

    def status(self) -> ConfClientStatus:
        return status(self._state, self._clock())

    # ------------------------------------------------------------ rounds
    async def refresh_now(self) -> Transition:
        """Download, verify and (when newer) swap now; never raises for a failed download."""
        async with self._lock:
            now = self._clock()
            raw: RawDownload | None = None
            outcome: Outcome
            try:
                configuration, raw = await self._downloader().download(now)
                outcome = Downloaded(configuration)
            except XRoadError as error:
                outcome = Failed(error)
            except Exception as error:  # a bug must not stop the client: logged, kept
                log.exception("globalconf_download_crashed")
                outcome = Failed(XRoadError(Code.INTERNAL_ERROR, type(error).__name__))
            transition = self._apply(on_download(self._state, outcome, now))
            if transition.persist and raw is not None:
                await self._persist(raw)
            return transition

    async def restore(self) -> Transition | None:
        """Use the configuration stored by the last run, verified again now (at start)."""
        if self._data_dir is None:
            return None
        now = self._clock()
        outcome: Outcome
        try:
            raw = await asyncio.to_thread(persistence.load, self._data_dir)
            if raw is None:
                return None
            configuration = await asyncio.to_thread(verify_download, self.anchor, raw, now)
            outcome = Downloaded(configuration)
        except XRoadError as error:
            outcome = Failed(error)
        except (OSError, persistence.StoredConfigurationError) as error:
            outcome = Failed(XRoadError(Code.IO_ERROR, f"Stored configuration: {error}"))
        except Exception as error:  # a bug must not stop the start: logged, nothing restored
            log.exception("globalconf_restore_crashed")
            outcome = Failed(XRoadError(Code.INTERNAL_ERROR, type(error).__name__))
        return self._apply(on_restore(self._state, outcome, now))

    def _apply(self, transition: Transition) -> Transition:
        self._state = transition.state  # the swap: one reference assignment
        current = transition.state.current
        if transition.failed:
            if self._metrics is not None and transition.action is not Action.RESTORE_FAILED:
                self._metrics.download_failures.inc()
            error = transition.state.last_error
            log.warning(
                "globalconf_refresh_failed",
                action=str(transition.action),
                code=None if error is None else error.code,
                error=None if error is None else error.message,
                kept_expires=None if current is None else current.expire_date.isoformat(),
            )
        elif transition.swapped and current is not None:
            log.info(
                "globalconf_in_use",
                action=str(transition.action),
                instance=current.instance,
                version=current.version,
                source=current.source_url,
                expires=current.expire_date.isoformat(),
            )
        return transition

    async def _persist(self, raw: RawDownload) -> None:
        if self._data_dir is None:
            return
        try:
            await asyncio.to_thread(persistence.save, self._data_dir, raw)
        except OSError:
            log.exception("globalconf_persist_failed", data_dir=str(self._data_dir))

    def _downloader(self) -> Downloader:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return Downloader(self._session, self.anchor, self._limits, self._version)

    # ------------------------------------------------------------ lifecycle
    async def _run(self) -> None:
        while True:
            await self.refresh_now()
            await asyncio.sleep(next_delay(self._state, self._clock(), self._interval))

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("The configuration client is already running")
        await self.restore()
        self._task = asyncio.create_task(self._run(), name=TASK_NAME)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if not task.cancelled():  # we were cancelled ourselves, not just the task
                    raise
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def cleanup_context(self, _app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: the task runs while the application does."""
        await self.start()
        yield
        await self.stop()
