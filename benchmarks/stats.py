"""Pure statistics of one measured case: percentiles, rates, CPU per exchange and ratios.

No clock, no I/O: the load generator hands over latencies and counters, these functions turn
them into the numbers the report prints.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between the closest ranks
    (the same rule as numpy's default); ``values`` need not be sorted. NaN when empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    weight = position - low
    value = ordered[low] + (ordered[high] - ordered[low]) * weight
    # Rounding must not leave the interval the two ranks span (hypothesis found 1 ulp).
    return min(max(value, ordered[low]), ordered[high])


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference``, or None when either is missing or the reference is not positive
    (a ratio against a failed or absent baseline would mean nothing)."""
    if value is None or reference is None or reference <= 0 or math.isnan(reference):
        return None
    if math.isnan(value):
        return None
    return value / reference


def per_exchange_ms(cpu_seconds: float, exchanges: int) -> float | None:
    """CPU milliseconds per exchange, None without exchanges."""
    if exchanges <= 0:
        return None
    return cpu_seconds * 1000 / exchanges


@dataclass(frozen=True)
class Summary:
    """Throughput and latency of one measured window."""

    exchanges: int
    errors: int
    exchanges_per_s: float
    p50_ms: float
    p99_ms: float
    p999_ms: float


def summarise(latencies_s: Sequence[float], errors: int, window_s: float) -> Summary:
    """Latencies (seconds) of the successful exchanges completed in a window of ``window_s``."""
    if window_s <= 0:
        raise ValueError("the measured window must be positive")
    as_ms = [value * 1000 for value in latencies_s]
    return Summary(
        exchanges=len(as_ms),
        errors=errors,
        exchanges_per_s=len(as_ms) / window_s,
        p50_ms=percentile(as_ms, 50),
        p99_ms=percentile(as_ms, 99),
        p999_ms=percentile(as_ms, 99.9),
    )
