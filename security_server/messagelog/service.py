"""The message log as the composition root starts it: store, writer, timestamper, metrics.

ARCHITECTURE rule 5: the time-stamping round is a named background task owned by the server
(start it from the aiohttp app's cleanup context, stop it on shutdown); the writer's commit
task likewise. The exchange calls :meth:`MessageLogWriter.log` for every signed message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.messagelog.health import TimestampingHealth
from security_server.messagelog.metrics import MessageLogMetrics
from security_server.messagelog.settings import MessageLogSettings
from security_server.messagelog.store import MessageLogStore
from security_server.messagelog.timestamper import Timestamper, TimestampSource
from security_server.messagelog.writer import MessageLogWriter


@dataclass
class MessageLog:
    settings: MessageLogSettings
    store: MessageLogStore
    writer: MessageLogWriter
    timestamper: Timestamper
    metrics: MessageLogMetrics
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    @classmethod
    def create(
        cls,
        engine: AsyncEngine,
        settings: MessageLogSettings,
        source: TimestampSource,
        *,
        clock: Callable[[], datetime],
        registry: CollectorRegistry,
        tsas_configured: Callable[[], bool] = lambda: True,
    ) -> MessageLog:
        """``source`` is the TSA client (approved TSAs of the global configuration, in
        priority order); ``tsas_configured`` says whether the configuration lists any."""
        store = MessageLogStore(engine)
        health = TimestampingHealth(settings.acceptable_timestamp_failure_seconds)
        metrics = MessageLogMetrics.create(registry, health, clock)
        timestamper = Timestamper(
            store,
            source,
            clock=clock,
            health=health,
            max_records=settings.timestamp_records_max,
            tsas_configured=tsas_configured,
            metrics=metrics,
        )
        writer = MessageLogWriter(store, settings, clock=clock, timestamper=timestamper)
        return cls(settings, store, writer, timestamper, metrics)

    async def start(self) -> None:
        await self.writer.start()
        if self._task is None:
            interval = self.settings.timestamping_interval_seconds
            self._task = asyncio.create_task(
                self.timestamper.run(interval), name="messagelog-timestamper"
            )

    async def stop(self) -> None:
        """Stop the rounds, then commit what the writer still holds."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.writer.stop()
