"""Health data: in-memory statistics per service over the last period (pr-opmon §3,
pr-opmonjmx §3, UC OPMON_01 step 2 and OPMON_03).

Only ``Producer`` records count: health data describes the services this server offers. A
successful request updates the last-success time, the success count and three summaries
(duration = ``responseOutTs - requestInTs`` in ms, request size, response size); a failed one
the last-failure time and the failure count. The reference keeps sliding-time-window
histograms; here every service keeps one bucket per second holding counts and mergeable
moments (Chan et al.'s parallel variance), so memory is bounded by the period, not by the
traffic, and the statistics are exact to the second. The standard deviation is the sample
one (n - 1), 0 for a single value, as the reference's histogram snapshot computes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from security_server.opmonitor.model import OpRecord, SecurityServerType
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message.opmonitoring import HealthData, PeriodStatistics, ServiceHealth, Summary

DEFAULT_MAX_SERVICES = 10_000


@dataclass(slots=True)
class _Moments:
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: int = 0
    maximum: int = 0

    def add(self, value: int) -> None:
        self.count += 1
        if self.count == 1:
            self.minimum = self.maximum = value
        else:
            self.minimum, self.maximum = min(self.minimum, value), max(self.maximum, value)
        delta = value - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (value - self.mean)

    def merge(self, other: _Moments) -> None:
        if other.count == 0:
            return
        if self.count == 0:
            self.count, self.mean, self.m2 = other.count, other.mean, other.m2
            self.minimum, self.maximum = other.minimum, other.maximum
            return
        total = self.count + other.count
        delta = other.mean - self.mean
        self.mean += delta * other.count / total
        self.m2 += other.m2 + delta * delta * self.count * other.count / total
        self.count = total
        self.minimum, self.maximum = (
            min(self.minimum, other.minimum),
            max(self.maximum, other.maximum),
        )

    def summary(self) -> Summary | None:
        if self.count == 0:
            return None
        std_dev = math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0
        return Summary(self.minimum, self.mean, self.maximum, std_dev)


@dataclass(slots=True)
class _Bucket:
    successes: int = 0
    failures: int = 0
    duration: _Moments = field(default_factory=_Moments)
    request_size: _Moments = field(default_factory=_Moments)
    response_size: _Moments = field(default_factory=_Moments)


@dataclass(slots=True)
class _Service:
    buckets: dict[int, _Bucket] = field(default_factory=dict)
    last_success_ms: int | None = None
    last_failure_ms: int | None = None
    service_type: str | None = None
    last_seen_ms: int = 0


class HealthStatistics:
    """Per-service health counters; :meth:`observe` is cheap and never raises."""

    def __init__(
        self, period_seconds: int, started: datetime, max_services: int = DEFAULT_MAX_SERVICES
    ) -> None:
        if period_seconds <= 0:
            raise ValueError("the statistics period must be positive")
        self.period_seconds = period_seconds
        self.startup_ms = int(started.timestamp() * 1000)
        self._max_services = max_services
        self._services: dict[ServiceId, _Service] = {}

    def observe(self, record: OpRecord) -> None:
        """Count one exchange, if it is a provider-side record of a known service."""
        if record.security_server_type is not SecurityServerType.PRODUCER:
            return
        try:
            service = record.service
        except XRoadError:  # identifier parts no identifier can have: nothing to file it under
            return
        if service is None:
            return
        at_ms = record.request_in_ts
        state = self._services.get(service)
        if state is None:
            if len(self._services) >= self._max_services:
                self._evict()
            state = self._services[service] = _Service()
        state.last_seen_ms = max(state.last_seen_ms, at_ms)
        if record.service_type is not None:
            state.service_type = record.service_type
        second = at_ms // 1000
        bucket = state.buckets.get(second)
        if bucket is None:
            bucket = state.buckets[second] = _Bucket()
            self._prune(state, second)
        if record.succeeded:
            state.last_success_ms = max(state.last_success_ms or 0, at_ms)
            bucket.successes += 1
            if record.duration_ms is not None:
                bucket.duration.add(record.duration_ms)
            if record.request_size is not None:
                bucket.request_size.add(record.request_size)
            if record.response_size is not None:
                bucket.response_size.add(record.response_size)
        else:
            state.last_failure_ms = max(state.last_failure_ms or 0, at_ms)
            bucket.failures += 1

    def _prune(self, state: _Service, newest_second: int) -> None:
        if len(state.buckets) <= self.period_seconds + 1:
            return
        horizon = newest_second - self.period_seconds
        for second in [s for s in state.buckets if s <= horizon]:
            del state.buckets[second]

    def _evict(self) -> None:
        # Unknown services can be named by any caller; the least recently seen one goes.
        oldest = min(self._services, key=lambda s: self._services[s].last_seen_ms)
        del self._services[oldest]

    def snapshot(self, now: datetime, provider: ClientId | None = None) -> HealthData:
        """Health data as of ``now``: the period is (now - period, now]; ``provider``
        restricts the answer to the services it offers (§3 ``filterCriteria``)."""
        now_second = int(now.timestamp())
        horizon = now_second - self.period_seconds
        services = []
        for service_id in sorted(self._services):
            if provider is not None and service_id.provider != provider:
                continue
            state = self._services[service_id]
            services.append(self._service_health(service_id, state, horizon, now_second))
        return HealthData(self.startup_ms, self.period_seconds, tuple(services))

    @staticmethod
    def _service_health(
        service_id: ServiceId, state: _Service, horizon: int, now_second: int
    ) -> ServiceHealth:
        total = _Bucket()
        for second, bucket in state.buckets.items():
            if horizon < second <= now_second:
                total.successes += bucket.successes
                total.failures += bucket.failures
                total.duration.merge(bucket.duration)
                total.request_size.merge(bucket.request_size)
                total.response_size.merge(bucket.response_size)
        # UC OPMON_03 step 3: the summaries only when the period had a successful request.
        with_summaries = total.successes > 0
        statistics = PeriodStatistics(
            total.successes,
            total.failures,
            total.duration.summary() if with_summaries else None,
            total.request_size.summary() if with_summaries else None,
            total.response_size.summary() if with_summaries else None,
        )
        return ServiceHealth(
            service_id,
            statistics,
            state.last_success_ms,
            state.last_failure_ms,
            state.service_type,
        )
