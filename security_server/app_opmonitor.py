"""Operational monitoring as the composition root runs it, and the proxies' evidence hooks.

The buffer takes one record per exchange from both proxies and its flusher and cleaner run as
named tasks while the admin app runs (ARCHITECTURE rule 5); the health statistics feed
``getSecurityServerHealthData``; the stored records answer ``getSecurityServerOperationalData``
(pr-opmon §2, §3) on the server proxy. :func:`evidence` gives the proxies their hooks into
this and the message log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.app_messagelog import MessageLogNode
from security_server.opmonitor.buffer import OpMonitorBuffer
from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.metrics import OpMonitorMetrics
from security_server.opmonitor.service import OpMonitorService
from security_server.opmonitor.settings import OpMonitorSettings
from security_server.opmonitor.store import OpRecordStore
from security_server.proxy.evidence import Evidence
from vdx.clock import utc_now


@dataclass
class OpMonitorNode:
    buffer: OpMonitorBuffer
    service: OpMonitorService
    metrics: OpMonitorMetrics

    @classmethod
    def create(
        cls,
        engine: AsyncEngine,
        settings: OpMonitorSettings,
        *,
        registry: CollectorRegistry,
        clock: Callable[[], datetime] = utc_now,
    ) -> OpMonitorNode:
        store = OpRecordStore(engine)
        metrics = OpMonitorMetrics.create(registry)
        health = HealthStatistics(settings.health_statistics_period_seconds, clock())
        buffer = OpMonitorBuffer(store, settings, clock, metrics, health)
        return cls(buffer, OpMonitorService(store, health, settings, clock), metrics)

    async def cleanup_context(self, _app: web.Application) -> AsyncIterator[None]:
        async with self.buffer.running():
            yield


def evidence(messagelog: MessageLogNode | None, opmonitor: OpMonitorNode | None) -> Evidence:
    """The proxies' hooks (``ProxyContext.evidence``) into the parts given."""
    if messagelog is None:
        log, check = None, None
    else:
        writer, clock = messagelog.log.writer, messagelog.clock
        log = writer.log

        def check() -> None:
            writer.check_can_log(clock())

    return Evidence(
        log=log,
        check_can_log=check,
        opmonitor=None if opmonitor is None else opmonitor.buffer.record,
        stage=None if opmonitor is None else opmonitor.metrics.observe_stage,
        opmonitor_query=None if opmonitor is None else opmonitor.service.answer,
    )
