"""The benchmark's statistics helpers (benchmarks/stats.py, report ratios): no timing here."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import payloads, report, stats
from benchmarks.loadgen import Window


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert stats.percentile(values, 0) == 1.0
    assert stats.percentile(values, 100) == 4.0
    assert stats.percentile(values, 50) == pytest.approx(2.5)
    assert stats.percentile(values, 99) == pytest.approx(3.97)


def test_percentile_of_one_value_and_of_none() -> None:
    assert stats.percentile([7.0], 99.9) == 7.0
    assert math.isnan(stats.percentile([], 50))
    with pytest.raises(ValueError, match="outside"):
        stats.percentile([1.0], 101)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.floats(0, 100))
def test_percentile_stays_within_the_values_and_grows_with_q(values: list[float], q: float) -> None:
    p = stats.percentile(values, q)
    assert min(values) <= p <= max(values)
    assert stats.percentile(values, min(100.0, q + 1)) >= p - 1e-9


def test_ratio_refuses_a_missing_or_empty_reference() -> None:
    assert stats.ratio(50.0, 200.0) == 0.25
    assert stats.ratio(50.0, 0.0) is None
    assert stats.ratio(None, 10.0) is None
    assert stats.ratio(5.0, None) is None
    assert stats.ratio(math.nan, 10.0) is None
    assert stats.ratio(5.0, math.nan) is None


def test_summarise_counts_rate_and_latencies_in_milliseconds() -> None:
    summary = stats.summarise([0.001, 0.002, 0.003, 0.004], errors=2, window_s=2.0)
    assert summary.exchanges == 4
    assert summary.errors == 2
    assert summary.exchanges_per_s == 2.0
    assert summary.p50_ms == pytest.approx(2.5)
    assert stats.per_exchange_ms(0.5, 4) == 125.0
    assert stats.per_exchange_ms(0.5, 0) is None
    with pytest.raises(ValueError, match="positive"):
        stats.summarise([], errors=0, window_s=0)


def _case(system: str, rate: float, p50: float, concurrency: int = 16) -> dict[str, Any]:
    latencies = [p50 / 1000] * int(rate)
    window = Window(1.0, latencies, 0, [], {"loadgen": 0.1})
    return report.case_record(system, "soap", 1024, concurrency, storage="none", window=window)


def test_ratios_compare_with_the_baseline_of_the_same_shape() -> None:
    cases = [
        _case("baseline", 400, 10.0),
        _case("vdx", 100, 40.0),
        _case("direct", 800, 5.0),
        _case("vdx", 30, 50.0, concurrency=1),  # no baseline at c=1: no ratio
    ]
    report.add_ratios(cases)
    assert [c["ratio_to_baseline"] for c in cases] == [1.0, 0.25, 2.0, None]
    assert cases[1]["p50_ratio_to_baseline"] == 4.0


@pytest.mark.parametrize("size", [1024, 10 * 1024])
def test_soap_payloads_have_the_exact_size_with_any_message_id(size: int) -> None:
    ids = payloads.Ids("VN/COM/2002/CONSUMER", "VN/GOV/1001/PROVIDER/helloService", "v1", "x")
    template = payloads.soap_request(ids, size)
    assert len(template) == size
    assert len(payloads.with_id(template, 12345)) == size
    assert b"0000000000012345" in payloads.with_id(template, 12345)


@pytest.mark.parametrize("size", [1024, 64 * 1024])
def test_rest_payloads_have_the_exact_size(size: int) -> None:
    assert len(payloads.with_id(payloads.rest_request(size), 1)) == size
