"""The report: one record per case, the ratios against the baseline, a table and a JSON file."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import stats
from benchmarks.loadgen import Window

SIDES = ("client_side", "server_side")


def case_record(
    system: str,
    protocol: str,
    payload_bytes: int,
    concurrency: int,
    *,
    storage: str,
    window: Window,
) -> dict[str, Any]:
    summary = stats.summarise(window.latencies_s, window.errors, window.seconds)
    cpu = {
        role: stats.per_exchange_ms(seconds, summary.exchanges)
        for role, seconds in window.cpu_s.items()
    }
    return {
        "system": system,
        "protocol": protocol,
        "payload_bytes": payload_bytes,
        "concurrency": concurrency,
        "storage": storage,
        "window_s": window.seconds,
        "exchanges": summary.exchanges,
        "errors": summary.errors,
        "error_samples": window.error_samples,
        "exchanges_per_s": round(summary.exchanges_per_s, 1),
        "p50_ms": _round(summary.p50_ms),
        "p99_ms": _round(summary.p99_ms),
        "p999_ms": _round(summary.p999_ms),
        "cpu_ms_per_exchange": {role: _round(value) for role, value in cpu.items()},
        "peak_rss_mib": {role: _round(value, 1) for role, value in window.peak_rss_mib.items()},
        "ratio_to_baseline": None,
        "p50_ratio_to_baseline": None,
    }


def _round(value: float | None, digits: int = 3) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


def add_ratios(cases: Sequence[dict[str, Any]]) -> None:
    """Throughput and median-latency ratios of each case against the baseline case with the
    same protocol, payload and concurrency (1.0 for the baseline itself)."""
    baselines = {
        (c["protocol"], c["payload_bytes"], c["concurrency"]): c
        for c in cases
        if c["system"] == "baseline"
    }
    for case in cases:
        base = baselines.get((case["protocol"], case["payload_bytes"], case["concurrency"]))
        if base is None:
            continue
        throughput = stats.ratio(case["exchanges_per_s"], base["exchanges_per_s"])
        latency = stats.ratio(case["p50_ms"], base["p50_ms"])
        case["ratio_to_baseline"] = _round(throughput)
        case["p50_ratio_to_baseline"] = _round(latency)


def _cell(value: object, spec: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return format(value, spec or ".2f")
    return str(value)


def _size(payload: int) -> str:
    return f"{payload // 1024} KiB" if payload % 1024 == 0 else f"{payload} B"


HEADER = (
    f"{'system':<9}{'proto':<6}{'payload':>8}{'conc':>5} {'storage':<11}{'ex/s':>8}"
    f"{'p50 ms':>8}{'p99 ms':>8}{'p99.9':>8}  {'CPU ms/ex cli/srv/svc/gen':<26}"
    f"{'RSS MiB cli/srv':<16}{'ratio':>6}{'err':>5}"
)


def table(cases: Iterable[dict[str, Any]]) -> str:
    lines = [HEADER, "-" * len(HEADER)]
    for c in cases:
        cpu = c["cpu_ms_per_exchange"]
        rss = c["peak_rss_mib"]
        cpu_text = "/".join(_cell(cpu.get(role), ".2f") for role in (*SIDES, "service", "loadgen"))
        rss_text = "/".join(_cell(rss.get(role), ".0f") for role in SIDES)
        lines.append(
            f"{c['system']:<9}{c['protocol']:<6}{_size(c['payload_bytes']):>8}"
            f"{c['concurrency']:>5} {c['storage']:<11}{_cell(c['exchanges_per_s'], '.0f'):>8}"
            f"{_cell(c['p50_ms']):>8}{_cell(c['p99_ms']):>8}{_cell(c['p999_ms']):>8}  "
            f"{cpu_text:<26}{rss_text:<16}{_cell(c['ratio_to_baseline']):>6}{c['errors']:>5}"
        )
    return "\n".join(lines)


def write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
