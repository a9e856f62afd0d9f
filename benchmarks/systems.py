"""The three systems under test, started as real processes.

- ``direct``: the sandbox's demo provider, called without anything in between.
- ``baseline``: two :mod:`benchmarks.baseline_proxy` processes in front of the same provider
  (client -> proxy -> mutual TLS -> proxy -> service).
- ``vdx``: ``vdx sandbox`` (central server, test CA with OCSP and TSA, two security servers,
  the demo provider); its security servers are the sandbox's direct children.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import pki
from benchmarks.procs import BenchError, Child, start_python
from benchmarks.procstat import children

SANDBOX_READY_S = 120.0
PROXY_READY_S = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((pki.HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Sandbox:
    """A running ``vdx sandbox`` and what its ``sandbox.json`` says."""

    child: Child
    data_dir: Path
    info: dict[str, Any]

    def server(self, name: str) -> dict[str, Any]:
        for server in self.info["security_servers"]:
            if server["name"] == name:
                return dict(server)
        raise BenchError(f"sandbox.json names no security server {name!r}")

    @property
    def demo_url(self) -> str:
        wsdl: str = self.info["demo_provider"]["wsdl_url"]
        return wsdl.split("/soap", 1)[0]

    def pids(self) -> dict[str, int]:
        """``consumer``, ``provider`` (security servers) and ``service`` (demo provider)."""
        found: dict[str, int] = {}
        for pid, cmdline in children(self.child.pid).items():
            if "security-server" in cmdline:
                for name in ("consumer", "provider"):
                    if f"ss-{name}" in cmdline:
                        found[name] = pid
            elif "demo-provider" in cmdline:
                found["service"] = pid
        missing = {"consumer", "provider", "service"} - set(found)
        if missing:
            raise BenchError(f"sandbox children not found: {sorted(missing)}")
        return found

    async def stop(self) -> None:
        # SIGINT is Ctrl-C: the sandbox stops its children in order, then itself.
        await self.child.stop(signal.SIGINT, wait_s=60)


async def start_sandbox(data_dir: Path, log_dir: Path, name: str = "sandbox") -> Sandbox:
    child = await start_python(
        name,
        ["vdx.cli.main", "sandbox", "--data-dir", str(data_dir)],
        ready="sandbox ready",
        log_dir=log_dir,
        deadline_s=SANDBOX_READY_S,
    )
    try:
        info = json.loads((data_dir / "sandbox.json").read_text())
    except (OSError, ValueError) as error:
        await child.stop(signal.SIGINT)
        raise BenchError(f"the sandbox is ready but sandbox.json is unreadable: {error}") from error
    return Sandbox(child, data_dir, info)


@dataclass
class Chain:
    """The baseline: a client-side and a server-side proxy."""

    client: Child
    server: Child
    url: str

    async def stop(self) -> None:
        await asyncio.gather(self.client.stop(), self.server.stop())


async def start_chain(service_url: str, work: Path, log_dir: Path) -> Chain:
    folder = work / "baseline-pki"
    await asyncio.to_thread(pki.create, folder, datetime.datetime.now(datetime.UTC))
    server_port, client_port = free_port(), free_port()
    args = ["benchmarks.baseline_proxy", "--pki", str(folder)]
    server = await start_python(
        "baseline-server-proxy",
        [*args, "--role", "server", "--port", str(server_port), "--upstream", service_url],
        ready="proxy ready",
        log_dir=log_dir,
        deadline_s=PROXY_READY_S,
    )
    try:
        client = await start_python(
            "baseline-client-proxy",
            [
                *args,
                "--role",
                "client",
                "--port",
                str(client_port),
                "--upstream",
                f"https://{pki.HOST}:{server_port}",
            ],
            ready="proxy ready",
            log_dir=log_dir,
            deadline_s=PROXY_READY_S,
        )
    except BaseException:
        await server.stop()
        raise
    return Chain(client, server, f"http://{pki.HOST}:{client_port}")
