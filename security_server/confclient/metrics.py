"""Prometheus metrics of the configuration client (vdx_ss_globalconf_*)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge

from security_server.confclient.decisions import ClientState


@dataclass(frozen=True, slots=True)
class ConfClientMetrics:
    expiry: Gauge
    last_success: Gauge
    download_failures: Counter

    @classmethod
    def create(
        cls,
        registry: CollectorRegistry,
        state: Callable[[], ClientState],
        clock: Callable[[], datetime],
    ) -> ConfClientMetrics:
        """Gauges read the client's state when scraped, so they are never stale."""
        expiry = Gauge(
            "vdx_ss_globalconf_expiry_seconds",
            "Seconds until the global configuration in use expires (negative: expired, "
            "traffic refused; NaN: none).",
            registry=registry,
        )

        def _expiry() -> float:
            current = state().current
            return math.nan if current is None else current.seconds_to_expiry(clock())

        expiry.set_function(_expiry)
        last_success = Gauge(
            "vdx_ss_globalconf_last_success_timestamp_seconds",
            "Unix time of the last successful configuration download (NaN: none yet).",
            registry=registry,
        )

        def _last_success() -> float:
            moment = state().last_success
            return math.nan if moment is None else moment.timestamp()

        last_success.set_function(_last_success)
        return cls(
            expiry=expiry,
            last_success=last_success,
            download_failures=Counter(
                "vdx_ss_globalconf_download_failures",
                "Configuration downloads that failed or were refused; the last valid "
                "configuration stayed in use.",
                registry=registry,
            ),
        )
