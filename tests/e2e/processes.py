"""Subprocesses of the end-to-end tests: our console script started as a user would, its
``name url`` listener lines read until it says it is running, its output kept for failures."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VDX = str(Path(sys.executable).parent / "vdx")
START_SECONDS = 40


def free_port() -> int:
    """A port free right now on 127.0.0.1 (for listeners whose port must be known in advance,
    such as a server proxy whose address is registered with the central server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Service:
    """One running ``vdx ...`` process and the URLs it printed."""

    name: str
    process: subprocess.Popen[str]
    urls: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    drainer: threading.Thread | None = None

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.drainer is not None:
            self.drainer.join(timeout=5)  # it ends at EOF, once the process is gone
        if self.process.stdout is not None:
            self.process.stdout.close()


def start(
    name: str,
    args: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ready: str = " running; ",
) -> Service:
    environment = {**os.environ, **(env or {})}
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [VDX, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        cwd=cwd,
    )
    service = Service(name, process)
    started = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            service.lines.append(line)
            parts = line.split()
            if not started.is_set() and len(parts) >= 2 and parts[1].startswith("http"):
                service.urls[parts[0]] = parts[1]
            if ready in line:
                started.set()
        started.set()

    service.drainer = threading.Thread(target=drain, name=f"drain-{name}", daemon=True)
    service.drainer.start()
    if not started.wait(START_SECONDS) or process.poll() is not None:
        service.stop()
        raise AssertionError(f"{name} did not start:\n{service.output()}")
    return service


def vdx(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run one ``vdx`` command to completion."""
    result = subprocess.run(  # noqa: S603 - our own console script
        [VDX, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"vdx {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def vdx_json(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    return json.loads(vdx(*args, "--json", env=env, cwd=cwd).stdout)


def http(
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
        url, data=data, headers=headers or {}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until(what: str, condition: Any, seconds: float = 60, *, detail: Any = None) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail with ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = detail() if callable(detail) else ""
            raise AssertionError(f"timed out waiting for {what}\n{extra}")
        time.sleep(0.3)
