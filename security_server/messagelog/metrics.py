"""Prometheus metrics of the message log (vdx_ss_messagelog_*).

The backlog is counted in the database, so the timestamper sets it after each round (a scrape
must not query the database); the age of the last successful time-stamp is computed when
scraped from the timestamper's state, so it is never stale.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge

from security_server.messagelog.health import TimestampingHealth


@dataclass(frozen=True, slots=True)
class MessageLogMetrics:
    unstamped: Gauge
    last_timestamp_age: Gauge

    @classmethod
    def create(
        cls,
        registry: CollectorRegistry,
        health: TimestampingHealth,
        clock: Callable[[], datetime],
    ) -> MessageLogMetrics:
        unstamped = Gauge(
            "vdx_ss_messagelog_unstamped_records",
            "Logged records waiting for a time-stamp (as of the last time-stamping round).",
            registry=registry,
        )
        age = Gauge(
            "vdx_ss_messagelog_last_timestamp_age_seconds",
            "Seconds since the last successful time-stamp (NaN: none yet).",
            registry=registry,
        )

        def _age() -> float:
            value = health.last_success_age(clock())
            return math.nan if value is None else value

        age.set_function(_age)
        return cls(unstamped, age)

    def observe_backlog(self, count: int) -> None:
        self.unstamped.set(count)
