"""The message log as the composition root runs it: writer, time-stamping rounds, archiving,
the signed-document download, its health check and metrics.

- Time-stamping asks the approved TSAs of the global configuration in use (read per round, so
  a new configuration's TSAs apply at once) over one HTTP session owned by the cleanup context.
  Rounds follow the configuration's ``timeStampingIntervalSeconds`` (pr-gconf private
  parameters) once a configuration is there, the setting before; no round runs without a
  configuration (nothing could be verified; traffic is refused anyway).
- The writer's commit task, the time-stamping task (``vdx-ss-messagelog-timestamper``) and the
  archiver's task run while the admin app runs (ARCHITECTURE rule 5).
- ``/asic`` and ``/verificationconf`` go on the client proxy app (UG-SIGDOC §2, §3.2).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.confclient.model import GlobalConfiguration
from security_server.messagelog.archive_task import MessageLogArchiver
from security_server.messagelog.download import AsicDownload, configuration_files
from security_server.messagelog.service import MessageLog
from security_server.messagelog.settings import MessageLogSettings
from security_server.messagelog.timestamper import RoundResult
from security_server.signer.tsa_client import TsaClient
from vdx.clock import utc_now
from vdx.crypto import timestamp
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId

TIMESTAMPER_TASK = "vdx-ss-messagelog-timestamper"
TSA_TIMEOUT_SECONDS = 10.0
log = structlog.get_logger("vdx.security_server")


@dataclass
class ConfiguredTsas:
    """The time-stamp source: the approved TSAs of ``trust()`` in priority order."""

    trust: Callable[[], TrustConfig]
    timeout_seconds: float = TSA_TIMEOUT_SECONDS
    session: aiohttp.ClientSession | None = None

    async def timestamp(self, data: bytes, now: datetime) -> timestamp.TimestampInfo:
        if self.session is None:
            raise XRoadError(Code.TIMESTAMPING_FAILED, "Time-stamping is not running")
        client = TsaClient(self.session, self.trust(), timeout_seconds=self.timeout_seconds)
        return await client.timestamp(data, now)


@dataclass
class MessageLogNode:
    """One node's message log; see the module docstring."""

    log: MessageLog
    archiver: MessageLogArchiver
    tsas: ConfiguredTsas
    current: Callable[[], GlobalConfiguration | None]
    clock: Callable[[], datetime] = utc_now
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    @classmethod
    def create(
        cls,
        engine: AsyncEngine,
        settings: MessageLogSettings,
        *,
        current: Callable[[], GlobalConfiguration | None],
        trust: Callable[[], TrustConfig],
        registry: CollectorRegistry,
        clock: Callable[[], datetime] = utc_now,
    ) -> MessageLogNode:
        """``current`` is the configuration in use (None before the first one: no rounds);
        ``trust`` gives the approved TSAs (raises ``XRoadError`` without a valid
        configuration)."""
        tsas = ConfiguredTsas(trust)

        def tsas_configured() -> bool:
            try:
                return bool(trust().tsas)
            except XRoadError:  # no valid configuration: refused for that reason already
                return True

        message_log = MessageLog.create(
            engine, settings, tsas, clock=clock, registry=registry, tsas_configured=tsas_configured
        )
        archiver = MessageLogArchiver.from_settings(message_log.store, settings, clock=clock)
        archiver.register_metrics(registry)
        return cls(message_log, archiver, tsas, current, clock)

    # ------------------------------------------------------------ time-stamping rounds
    def interval_seconds(self) -> float:
        conf = self.current()
        if conf is not None and conf.private is not None:
            seconds = conf.private.time_stamping_interval_seconds
            if seconds > 0:
                return float(seconds)
        return self.log.settings.timestamping_interval_seconds

    async def round(self) -> RoundResult | None:
        """One time-stamping round (None: skipped, no configuration yet)."""
        if self.current() is None:
            return None
        result = await self.log.timestamper.run_once()  # never raises
        if result.tokens:
            log.info("timestamped", records=result.stamped, tokens=result.tokens)
        return result

    async def _rounds(self) -> None:
        with contextlib.suppress(Exception):  # unknown until the database answers
            await self.log.timestamper.load_state()
        while True:
            await self.round()
            await asyncio.sleep(self.interval_seconds())

    async def start(self) -> None:
        if self.tsas.session is None:
            self.tsas.session = aiohttp.ClientSession()
        await self.log.writer.start()
        if self._task is None:
            self._task = asyncio.create_task(self._rounds(), name=TIMESTAMPER_TASK)

    async def stop(self) -> None:
        """Stop the rounds, commit what the writer holds, close the TSA session."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.log.writer.stop()
        session, self.tsas.session = self.tsas.session, None
        if session is not None:
            await session.close()

    async def cleanup_context(self, _app: web.Application) -> AsyncIterator[None]:
        await self.start()
        yield
        await self.stop()

    def add_to(self, admin_app: web.Application) -> None:
        """The writer and time-stamping, then the archiver (stopped in reverse order)."""
        admin_app.cleanup_ctx.append(self.cleanup_context)
        admin_app.cleanup_ctx.append(self.archiver.cleanup_context)

    # ------------------------------------------------------------ health and download
    async def check(self) -> str | None:
        """``/health``: None while time-stamping works (or has not been tried)."""
        timestamper = self.log.timestamper
        now = self.clock()
        if timestamper.health.failing_since is None and not timestamper.refuse_traffic(now):
            return None
        reason = f"timestamping failing for {timestamper.failing_for(now):.0f} s"
        if timestamper.refuse_traffic(now):
            reason += " (traffic refused: TimestampingFailed)"
        return reason

    def download(self, may_download: Callable[[ClientId], bool]) -> AsicDownload:
        return AsicDownload(
            self.log.store,
            may_download,
            verification_files=configuration_files(self.current),
            force_timestamp=self.log.timestamper.force,
        )
