"""Prometheus metrics of configuration generation and distribution (vdx_cs_conf_*)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from central_server.distribution.store import ConfigurationStore

_FILE_PATH = re.compile(r"^/V(\d+)/[^/]+/([^/]+)$")


def path_label(path: str) -> str:
    """Bounded label values: the timestamp segment of file paths is replaced by a placeholder."""
    match = _FILE_PATH.match(path)
    if match:
        return f"/V{match.group(1)}/{{timestamp}}/{match.group(2)}"
    return path


@dataclass(frozen=True, slots=True)
class DistributionMetrics:
    generation_age: Gauge
    generation_duration: Histogram
    generation_failures: Counter
    downloads: Counter

    @classmethod
    def create(
        cls,
        registry: CollectorRegistry,
        store: ConfigurationStore,
        clock: Callable[[], datetime],
    ) -> DistributionMetrics:
        age = Gauge(
            "vdx_cs_conf_generation_age_seconds",
            "Seconds since the served global configuration was generated (NaN before the first).",
            registry=registry,
        )

        def _age() -> float:
            current = store.current
            if current is None:
                return math.nan
            return (clock() - current.generated_at).total_seconds()

        age.set_function(_age)
        return cls(
            generation_age=age,
            generation_duration=Histogram(
                "vdx_cs_conf_generation_duration_seconds",
                "Time to take a registry snapshot, generate and sign the configuration.",
                registry=registry,
            ),
            generation_failures=Counter(
                "vdx_cs_conf_generation_failures",
                "Configuration generations that failed; the previous one stayed served.",
                registry=registry,
            ),
            downloads=Counter(
                "vdx_cs_conf_downloads",
                "Configuration downloads served, by path (timestamp segment elided).",
                ["path"],
                registry=registry,
            ),
        )

    def downloaded(self, path: str) -> None:
        self.downloads.labels(path=path_label(path)).inc()
