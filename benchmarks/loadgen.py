"""The load generator: N concurrent clients on one shared keep-alive aiohttp session.

Every worker sends its next request as soon as the previous one is answered (a closed loop,
like a pool of integrators' threads). The run has a warm-up (connections opened, caches and
JIT-free Python paths warmed) and a measured window; only exchanges that complete inside the
window count, and the CPU counters of the watched processes are read at its two ends.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp

from benchmarks import payloads, procstat

MAX_SHOWN_ERRORS = 3


@dataclass(frozen=True)
class Target:
    """One kind of request: where it goes and how a good answer looks."""

    url: str
    body: bytes  # a template carrying payloads.ID_MARK
    headers: Mapping[str, str]
    # A SOAP fault comes with HTTP 500, but a 200 must not carry one either.
    reject: bytes | None = None


@dataclass
class Window:
    """What one measured window produced (raw: the statistics are in :mod:`benchmarks.stats`)."""

    seconds: float
    latencies_s: list[float]
    errors: int
    error_samples: list[str]
    cpu_s: dict[str, float]  # role -> CPU seconds used inside the window
    peak_rss_mib: dict[str, float | None] = field(default_factory=dict)


async def _exchange(
    session: aiohttp.ClientSession, target: Target, number: int
) -> tuple[bool, str]:
    body = payloads.with_id(target.body, number)
    async with session.post(target.url, data=body, headers=dict(target.headers)) as answer:
        content = await answer.read()
        if answer.status != 200:
            return False, f"HTTP {answer.status}: {content[:200]!r}"
        if target.reject is not None and target.reject in content:
            return False, f"rejected answer: {content[:200]!r}"
        return True, ""


async def run(
    target: Target,
    concurrency: int,
    *,
    warmup_s: float,
    measure_s: float,
    watched: Mapping[str, Sequence[int]],
    timeout_s: float = 30.0,
) -> Window:
    """Drive ``target`` with ``concurrency`` workers; ``watched`` maps a role (``servers``,
    ``service`` ...) to process ids whose CPU and peak RSS the window reports."""
    counter = itertools.count(1)
    latencies: list[float] = []
    errors: list[str] = []
    clock: Callable[[], float] = time.perf_counter
    start = clock()
    window_start = start + warmup_s
    window_end = window_start + measure_s

    async def worker(session: aiohttp.ClientSession) -> None:
        while (sent := clock()) < window_end:
            try:
                ok, why = await _exchange(session, target, next(counter))
            except (aiohttp.ClientError, TimeoutError) as error:
                ok, why = False, f"{type(error).__name__}: {error}"
            done = clock()
            if window_start <= done < window_end:
                if ok:
                    latencies.append(done - sent)
                else:
                    errors.append(why)
            elif not ok and done < window_start:
                await asyncio.sleep(0.05)  # a failing warm-up must not spin

    async def sample_at_window_start() -> dict[str, float]:
        await asyncio.sleep(max(0.0, window_start - clock()))
        for pids in watched.values():
            for pid in pids:
                procstat.reset_peak_rss(pid)
        return _cpu(watched)

    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        sampler = asyncio.create_task(sample_at_window_start())
        workers = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        before = await sampler
        await asyncio.sleep(max(0.0, window_end - clock()))
        after = _cpu(watched)
        await asyncio.gather(*workers)
    used = {role: after[role] - before[role] for role in after}
    peaks = {role: _peak(pids) for role, pids in watched.items()}
    return Window(measure_s, latencies, len(errors), errors[:MAX_SHOWN_ERRORS], used, peaks)


def _peak(pids: Sequence[int]) -> float | None:
    values = [v for v in (procstat.peak_rss_mib(pid) for pid in pids) if v is not None]
    return max(values) if values else None


def _cpu(watched: Mapping[str, Sequence[int]]) -> dict[str, float]:
    values = {role: procstat.total_cpu_seconds(pids) for role, pids in watched.items()}
    values["loadgen"] = procstat.cpu_seconds(os.getpid())
    return values
