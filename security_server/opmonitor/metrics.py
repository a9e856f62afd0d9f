"""Prometheus metrics of mediated exchanges and of the operational monitoring buffer.

Names follow the Prometheus conventions (base units, ``_total`` on counters, ``_seconds`` on
durations, a ``vdx_ss_`` namespace). Exchanges are counted by client, service, side and
outcome; the services of one security server are a bounded set, and identifiers that failed
to parse are counted as ``unknown`` so a caller cannot create label values at will. Stage
durations carry no identifiers at all, which keeps the histogram's series count fixed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from security_server.opmonitor.model import OpRecord, SecurityServerType
from vdx.errors import XRoadError

UNKNOWN = "unknown"
# From 1 ms (a local signature) to a minute (a slow provider).
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Stage(enum.StrEnum):
    """Parts of an exchange whose duration is measured."""

    SIGN = "sign"
    SEND = "send"
    PROVIDER = "provider"
    VERIFY = "verify"
    LOG = "log"
    TOTAL = "total"


def side_of(record: OpRecord) -> str:
    return "client" if record.security_server_type is SecurityServerType.CLIENT else "producer"


def _label(text: Callable[[], str | None]) -> str:
    try:
        return text() or UNKNOWN
    except (ValueError, XRoadError):  # parts no identifier can have
        return UNKNOWN


@dataclass(frozen=True, slots=True)
class OpMonitorMetrics:
    exchanges: Counter
    stage_duration: Histogram
    dropped: Counter
    written: Counter
    write_failures: Counter
    deleted: Counter
    buffered: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> OpMonitorMetrics:
        return cls(
            exchanges=Counter(
                "vdx_ss_exchanges",
                "Exchanges mediated by this security server, by client, service, side "
                "(client or producer) and outcome (succeeded or failed).",
                ["client", "service", "side", "outcome"],
                registry=registry,
            ),
            stage_duration=Histogram(
                "vdx_ss_exchange_duration_seconds",
                "Duration of the stages of an exchange (sign, send, provider, verify, log, "
                "total) by side.",
                ["side", "stage"],
                buckets=DURATION_BUCKETS,
                registry=registry,
            ),
            dropped=Counter(
                "vdx_ss_opmonitor_dropped_records",
                "Operational monitoring records dropped because the buffer was full.",
                registry=registry,
            ),
            written=Counter(
                "vdx_ss_opmonitor_written_records",
                "Operational monitoring records written to the database.",
                registry=registry,
            ),
            write_failures=Counter(
                "vdx_ss_opmonitor_write_failures",
                "Batches of operational monitoring records that failed to be written "
                "(kept in the buffer and retried).",
                registry=registry,
            ),
            deleted=Counter(
                "vdx_ss_opmonitor_deleted_records",
                "Operational monitoring records removed after the retention period.",
                registry=registry,
            ),
            buffered=Gauge(
                "vdx_ss_opmonitor_buffered_records",
                "Operational monitoring records waiting in memory to be written.",
                registry=registry,
            ),
        )

    def observe_exchange(self, record: OpRecord) -> None:
        """Count one exchange from its operational monitoring record."""
        client = _label(lambda: c.to_colon() if (c := record.client) else None)
        service = _label(lambda: s.to_colon() if (s := record.service) else None)
        outcome = "succeeded" if record.succeeded else "failed"
        self.exchanges.labels(client, service, side_of(record), outcome).inc()

    def observe_stage(self, side: SecurityServerType, stage: Stage, seconds: float) -> None:
        """Record how long one stage of an exchange took."""
        label = "client" if side is SecurityServerType.CLIENT else "producer"
        self.stage_duration.labels(label, str(stage)).observe(max(0.0, seconds))
