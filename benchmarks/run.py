"""``python -m benchmarks.run [--quick] [--out FILE]``: the whole benchmark, one command.

Starts a fresh ``vdx sandbox`` in a temporary folder and the baseline proxy chain in front of
the sandbox's demo provider, then measures each case of the matrix in turn (direct, baseline,
VDX on SQLite); measures a security server's start-up; and, unless ``--quick``, moves the
security servers to PostgreSQL and measures VDX again. Prints a table and writes JSON
(README.md says how to read it). Every process it started is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks import loadgen, payloads, pgstore, report, startup
from benchmarks.procs import BenchError
from benchmarks.systems import Chain, Sandbox, start_chain, start_sandbox

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"
SOAP_FAULT = b"Fault>"


@dataclass(frozen=True)
class Plan:
    shapes: tuple[tuple[str, int], ...]  # (protocol, payload bytes)
    concurrency: tuple[int, ...]
    postgres: bool
    warmup_s: float
    measure_s: float


FULL = Plan(
    shapes=(("soap", 1024), ("soap", 10 * 1024), ("rest", 1024), ("rest", 64 * 1024)),
    concurrency=(1, 16, 64),
    postgres=True,
    warmup_s=3.0,
    measure_s=10.0,
)
QUICK = Plan(
    shapes=(("soap", 1024),), concurrency=(16,), postgres=False, warmup_s=2.0, measure_s=5.0
)


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - the benchmark reports on the terminal


def _ids(sandbox: Sandbox) -> payloads.Ids:
    info = sandbox.info
    return payloads.Ids(
        client=info["clients"]["consumer"],
        soap_service=info["services"]["soap"],
        soap_version=info["services"]["soap_version"],
        rest_service=info["services"]["rest"],
    )


def target(system: str, protocol: str, size: int, base: str, ids: payloads.Ids) -> loadgen.Target:
    """The request of one case; the same body bytes whatever the system."""
    if protocol == "soap":
        # Direct and baseline post the X-Road envelope straight to the provider's endpoint.
        url = base if system == "vdx" else f"{base}/soap"
        body = payloads.soap_request(ids, size)
        return loadgen.Target(url, body, {"Content-Type": "text/xml; charset=utf-8"}, SOAP_FAULT)
    body = payloads.rest_request(size)
    headers = {"Content-Type": "application/json"}
    if system == "vdx":
        headers["X-Road-Client"] = ids.client
        return loadgen.Target(f"{base}/r1/{ids.rest_service}/echo", body, headers)
    return loadgen.Target(f"{base}/rest/echo", body, headers)


async def _measure(
    plan: Plan,
    systems: list[tuple[str, str, str, dict[str, list[int]]]],
    ids: payloads.Ids,
    cases: list[dict[str, Any]],
) -> None:
    """``systems``: (system, storage, base URL, watched processes by role)."""
    for protocol, size in plan.shapes:
        for concurrency in plan.concurrency:
            for system, storage, base, watched in systems:
                window = await loadgen.run(
                    target(system, protocol, size, base, ids),
                    concurrency,
                    warmup_s=plan.warmup_s,
                    measure_s=plan.measure_s,
                    watched=watched,
                )
                case = report.case_record(
                    system, protocol, size, concurrency, storage=storage, window=window
                )
                cases.append(case)
                say(
                    f"  {system:<8} {protocol} {size:>6} B  c={concurrency:<3} {storage:<10} "
                    f"{case['exchanges_per_s']:>8.1f} ex/s  p50 {case['p50_ms']} ms  "
                    f"errors {case['errors']}"
                    + (f"  e.g. {window.error_samples[0]}" if window.error_samples else "")
                )


def _vdx_roles(sandbox: Sandbox) -> dict[str, list[int]]:
    pids = sandbox.pids()
    return {
        "client_side": [pids["consumer"]],
        "server_side": [pids["provider"]],
        "service": [pids["service"]],
    }


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


async def bench(plan: Plan, work: Path, out: Path) -> dict[str, Any]:
    logs = work / "logs"
    cases: list[dict[str, Any]] = []
    document: dict[str, Any] = {"machine": _machine(), "plan": asdict(plan)}
    began = time.monotonic()
    say(f"starting the sandbox federation in {work / 'sandbox'} ...")
    sandbox = await start_sandbox(work / "sandbox", logs)
    chain: Chain | None = None
    try:
        say(f"sandbox ready after {time.monotonic() - began:.1f} s; starting the baseline chain")
        chain = await start_chain(sandbox.demo_url, work, logs)
        roles = _vdx_roles(sandbox)
        service = {"service": roles["service"]}
        systems = [
            ("direct", "none", sandbox.demo_url, service),
            (
                "baseline",
                "none",
                chain.url,
                {
                    "client_side": [chain.client.pid],
                    "server_side": [chain.server.pid],
                    **service,
                },
            ),
            ("vdx", "sqlite", sandbox.server("consumer")["client_url"], roles),
        ]
        ids = _ids(sandbox)
        await _measure(plan, systems, ids, cases)
        say("measuring a security server's start-up on an onboarded data directory ...")
        measured = await startup.measure(sandbox, work, logs)
        document["startup"] = {
            name: None if value is None else round(value, 3)
            for name, value in asdict(measured).items()
        }
        await chain.stop()
        chain = None
    finally:
        if chain is not None:
            await chain.stop()
        await sandbox.stop()
    if plan.postgres:
        await _postgres(
            plan, sqlite_sandbox=sandbox, ids=ids, cases=cases, logs=logs, document=document
        )
    report.add_ratios(cases)
    document["cases"] = cases
    document["machine"]["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    document["elapsed_s"] = round(time.monotonic() - began, 1)
    report.write(out, document)
    return document


async def _postgres(
    plan: Plan,
    *,
    sqlite_sandbox: Sandbox,
    ids: payloads.Ids,
    cases: list[dict[str, Any]],
    logs: Path,
    document: dict[str, Any],
) -> None:
    why = await pgstore.available()
    if why is not None:
        document["postgresql_skipped"] = why
        say(f"PostgreSQL cases skipped: {why}")
        return
    say("moving the security servers to PostgreSQL and restarting the sandbox ...")
    names = await pgstore.move_to_postgres(sqlite_sandbox.data_dir)
    try:
        sandbox = await start_sandbox(sqlite_sandbox.data_dir, logs, "sandbox-postgresql")
        try:
            url = sandbox.server("consumer")["client_url"]
            await _measure(plan, [("vdx", "postgresql", url, _vdx_roles(sandbox))], ids, cases)
        finally:
            await sandbox.stop()
    finally:
        await pgstore.drop(names)


def _print(document: dict[str, Any], out: Path) -> None:
    order: Callable[[dict[str, Any]], tuple[Any, ...]] = lambda c: (  # noqa: E731
        c["protocol"],
        c["payload_bytes"],
        c["concurrency"],
        ("direct", "baseline", "vdx").index(c["system"]),
        c["storage"],
    )
    say("")
    say(report.table(sorted(document["cases"], key=order)))
    start = document.get("startup") or {}
    say("")
    running, health = _seconds(start.get("running_s")), _seconds(start.get("health_s"))
    say(
        "security server start-up (onboarded data dir, token PIN from the environment): "
        f"running {running}, /health 200 {health}, "
        f"first exchange {_seconds(start.get('first_exchange_s'))}"
    )
    machine = document["machine"]
    say(
        f"machine: {machine['cpus']} CPUs, load {machine['load_average']} at start, "
        f"{machine['load_average_end']} at end; {machine['platform']}, Python {machine['python']}"
    )
    say(f"elapsed {document['elapsed_s']} s; written to {out}")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="SOAP 1 KiB, c=16, SQLite only")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per case")
    parser.add_argument("--measure", type=float, help="seconds measured per case")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.warmup is not None or args.measure is not None:
        plan = Plan(
            plan.shapes,
            plan.concurrency,
            plan.postgres,
            plan.warmup_s if args.warmup is None else args.warmup,
            plan.measure_s if args.measure is None else args.measure,
        )
    work = Path(tempfile.mkdtemp(prefix="vdx-bench-"))
    try:
        document = asyncio.run(bench(plan, work, args.out))
    except BenchError as error:
        say(f"benchmark failed: {error}\n(work folder kept: {work})")
        return 1
    except BaseException:
        say(f"(work folder kept: {work})")
        raise
    _print(document, args.out)
    if args.keep:
        say(f"work folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
