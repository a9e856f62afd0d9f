"""Start-up time of a security server on an already-onboarded data directory.

A copy of the sandbox's consumer security server (its database taken with SQLite's online
backup, its token, global configuration and internal TLS files copied) is started on fresh
ports next to the running federation, with its token PIN in the environment so that nobody
has to log in. Measured from the moment the process is spawned: when it prints that it is
running, when ``/health`` first answers 200 (global configuration valid, auth key usable,
database reachable, message log healthy), and when its client proxy first carries a SOAP
exchange to the provider and back.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks import payloads, procs
from benchmarks.systems import Sandbox, free_port

DB_FILE = "security-server.db"
POLL_S = 0.02
DEADLINE_S = 60.0
COPIED = ("tokens", "globalconf", "internal-tls")


@dataclass(frozen=True)
class Startup:
    running_s: float | None
    health_s: float | None
    first_exchange_s: float | None


def _copy_server(sandbox: Sandbox, target: Path) -> Path:
    """A copy of the consumer's data directory and a settings file with fresh ports."""
    source = sandbox.data_dir / "ss-consumer" / "data"
    data = target / "data"
    data.mkdir(parents=True)
    for name in COPIED:
        if (source / name).exists():
            shutil.copytree(source / name, data / name)
    with (
        sqlite3.connect(source / DB_FILE) as live,
        sqlite3.connect(data / DB_FILE) as copy,
    ):
        live.backup(copy)
    original = (sandbox.data_dir / "ss-consumer" / "ss.toml").read_text().splitlines()
    kept = [
        line
        for line in original
        if line.split("=")[0].strip() in ("anchor_file", "listen_host", "management_service_url")
        or line.startswith("conf_download_interval_seconds")
    ]
    server = free_port()
    config = target / "ss.toml"
    config.write_text(
        f'data_dir = "{data}"\n'
        + "\n".join(kept)
        + f"\nclient_proxy_port = {free_port()}\nclient_proxy_tls_port = {free_port()}\n"
        f"server_proxy_port = {server}\nocsp_port = {free_port()}\n"
        f"admin_api_port = {free_port()}\n"
    )
    return config


def _setting(config: Path, name: str) -> str:
    for line in config.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    raise procs.BenchError(f"{config} has no {name}")


async def measure(sandbox: Sandbox, work: Path, log_dir: Path) -> Startup:
    config = await asyncio.to_thread(_copy_server, sandbox, work / "startup-ss")
    state = json.loads((sandbox.data_dir / "state.json").read_text())
    pin = state["ss_pins"]["consumer"]
    health = f"http://127.0.0.1:{_setting(config, 'admin_api_port')}/health"
    client = f"http://127.0.0.1:{_setting(config, 'client_proxy_port')}"
    ids = payloads.Ids(
        client=sandbox.info["clients"]["consumer"],
        soap_service=sandbox.info["services"]["soap"],
        soap_version=sandbox.info["services"]["soap_version"],
        rest_service=sandbox.info["services"]["rest"],
    )
    request = payloads.with_id(payloads.soap_request(ids, 1024), 1)
    began = time.perf_counter()
    child = await procs.start_python(
        "startup-security-server",
        ["vdx.cli.main", "security-server", "run", "--config", str(config)],
        ready="security server running;",
        log_dir=log_dir,
        deadline_s=DEADLINE_S,
        env={"VDX_SS_TOKEN_PIN": pin},
    )
    running = time.perf_counter() - began
    health_s = exchange_s = None
    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while time.perf_counter() - began < DEADLINE_S and exchange_s is None:
                now = time.perf_counter() - began
                if health_s is None and await _status(session, "GET", health) == 200:
                    health_s = time.perf_counter() - began
                if (
                    await _status(session, "POST", client, request, {"Content-Type": "text/xml"})
                    == 200
                ):
                    exchange_s = time.perf_counter() - began
                    if health_s is None and await _status(session, "GET", health) == 200:
                        health_s = exchange_s
                await asyncio.sleep(max(0.0, POLL_S - (time.perf_counter() - began - now)))
    finally:
        await child.stop()
    return Startup(running, health_s, exchange_s)


async def _status(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> int | None:
    try:
        async with session.request(method, url, data=body, headers=headers) as answer:
            content = await answer.read()
            if b"Fault>" in content:
                return None
            return answer.status
    except (aiohttp.ClientError, TimeoutError):
        return None
