"""Health data statistics per service over the last period (pr-opmon §3, UC OPMON_03)."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

import pytest

from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.model import SecurityServerType, party_fields
from tests.unit.security_server import test_opmonitor_support as sup
from vdx.identifiers import ServiceId

T0 = 1_700_000_000  # seconds
STARTED = datetime.fromtimestamp(T0 - 3600, UTC)


def _at(second: float) -> datetime:
    return datetime.fromtimestamp(second, UTC)


def _exchange(second: int, duration: int, request: int, response: int, ok: bool = True):  # type: ignore[no-untyped-def]
    start = second * 1000
    return sup.record(
        request_in_ts=start,
        response_out_ts=start + duration,
        request_size=request,
        response_size=response,
        succeeded=ok,
    )


def test_summaries_are_exact_over_the_period() -> None:
    health = HealthStatistics(600, STARTED)
    durations, requests, responses = [10, 30, 35, 200], [100, 150, 90, 1000], [5, 6, 7, 8]
    for offset, (d, q, r) in enumerate(zip(durations, requests, responses, strict=True)):
        health.observe(_exchange(T0 + offset * 100, d, q, r))
    health.observe(_exchange(T0 + 5, 1, 1, 1, ok=False))
    data = health.snapshot(_at(T0 + 400))
    assert data.period_seconds == 600
    assert data.startup_ms == (T0 - 3600) * 1000
    (service,) = data.services
    assert service.service == sup.SERVICE
    assert service.service_type == "WSDL"
    assert service.last_successful_ms == (T0 + 300) * 1000
    assert service.last_unsuccessful_ms == (T0 + 5) * 1000
    stats = service.statistics
    assert (stats.successful_count, stats.unsuccessful_count) == (4, 1)
    for summary, values in (
        (stats.request_duration, durations),
        (stats.request_size, requests),
        (stats.response_size, responses),
    ):
        assert summary is not None
        assert (summary.minimum, summary.maximum) == (min(values), max(values))
        assert summary.average == pytest.approx(statistics.mean(values))
        assert summary.std_dev == pytest.approx(statistics.stdev(values))


def test_old_events_leave_the_period_but_the_last_times_stay() -> None:
    health = HealthStatistics(60, STARTED)
    health.observe(_exchange(T0, 10, 1, 1))
    health.observe(_exchange(T0 + 30, 20, 1, 1, ok=False))
    inside = health.snapshot(_at(T0 + 59)).services[0].statistics
    assert (inside.successful_count, inside.unsuccessful_count) == (1, 1)
    later = health.snapshot(_at(T0 + 60)).services[0]
    assert (later.statistics.successful_count, later.statistics.unsuccessful_count) == (0, 1)
    # UC OPMON_03: the summaries only when the period had a successful request.
    assert later.statistics.request_duration is None
    assert later.last_successful_ms == T0 * 1000


def test_a_single_value_has_no_spread() -> None:
    health = HealthStatistics(600, STARTED)
    health.observe(_exchange(T0, 42, 1629, 1519))
    summary = health.snapshot(_at(T0)).services[0].statistics.request_duration
    assert summary is not None
    assert (summary.minimum, summary.average, summary.std_dev) == (42, 42.0, 0.0)


def test_only_provider_side_records_of_known_services_count() -> None:
    health = HealthStatistics(600, STARTED)
    health.observe(sup.record(security_server_type=SecurityServerType.CLIENT))
    health.observe(sup.record(service_code=None))
    health.observe(sup.record(service_member_code=""))  # no identifier has an empty part
    assert health.snapshot(_at(T0)).services == ()


def test_the_filter_selects_one_providers_services() -> None:
    health = HealthStatistics(600, STARTED)
    other = ServiceId(sup.CONSUMER, "ping")
    health.observe(sup.record())
    health.observe(sup.record(**party_fields(sup.PROVIDER, other)))
    assert {s.service for s in health.snapshot(_at(T0)).services} == {sup.SERVICE, other}
    assert [s.service for s in health.snapshot(_at(T0), sup.PROVIDER).services] == [sup.SERVICE]
    assert health.snapshot(_at(T0), sup.OWNER).services == ()


def test_memory_is_bounded_by_services_and_seconds() -> None:
    health = HealthStatistics(10, STARTED, max_services=3)
    for index in range(5):
        service = ServiceId(sup.PROVIDER, f"s{index}")
        health.observe(sup.record(request_in_ts=(T0 + index) * 1000, **party_fields(None, service)))
    names = [s.service.service_code for s in health.snapshot(_at(T0 + 5)).services]
    assert names == ["s2", "s3", "s4"]
    for second in range(100):
        health.observe(_exchange(T0 + second, 1, 1, 1))
    state = health._services[sup.SERVICE]
    assert len(state.buckets) <= 12
    (entry,) = [s for s in health.snapshot(_at(T0 + 99)).services if s.service == sup.SERVICE]
    assert entry.statistics.successful_count == 10
