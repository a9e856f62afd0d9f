"""The sandbox's child processes: each server is a ``vdx ...`` process, as in production.

Output goes to ``logs/<name>.log`` under the data directory; a child is up when it prints the
line its command prints once every listener is bound. Stopping sends SIGTERM to every child
(each ``vdx`` server stops cleanly on it), waits, then kills what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

START_SECONDS = 30.0
STOP_SECONDS = 10.0


class SandboxError(Exception):
    """A step of the sandbox failed; the message says which and why."""


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    up: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Supervisor:
    """Starts children, waits for them to be up, and stops them all."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[Child] = []

    async def start(
        self,
        name: str,
        args: list[str],
        *,
        ready: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Child:
        """Run ``vdx ARGS`` and return once its output contains ``ready``."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        process = await asyncio.create_subprocess_exec(
            # The interpreter running us, so the child is the same installation of vdx.
            sys.executable,
            "-m",
            "vdx.cli.main",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            # Its own process group: a Ctrl-C in the terminal reaches only the sandbox, which
            # then stops the children in order instead of all at once.
            start_new_session=True,
        )
        child = Child(name, process, log)
        child.reader = asyncio.create_task(_drain(child, ready), name=f"sandbox-log-{name}")
        self.children.append(child)
        exited = asyncio.create_task(process.wait())
        up = asyncio.create_task(child.up.wait())
        try:
            await asyncio.wait(
                {exited, up}, timeout=START_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            exited.cancel()
            up.cancel()
        if process.returncode is not None or not child.up.is_set():
            why = f"exited with {process.returncode}" if process.returncode is not None else "hung"
            raise SandboxError(f"{name} did not start ({why}); {log}:\n{child.tail()}")
        return child

    async def first_exit(self) -> Child:
        """Wait until some child exits (a crash while the sandbox runs)."""
        waits = {asyncio.create_task(c.process.wait()): c for c in self.children}
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        return waits[next(iter(done))]

    async def stop_all(self) -> None:
        """SIGTERM every running child (newest first), wait, then SIGKILL the stragglers."""
        running = [c for c in reversed(self.children) if c.process.returncode is None]
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        for child in running:
            try:
                await asyncio.wait_for(child.process.wait(), STOP_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                await child.process.wait()
        for child in self.children:
            if child.reader is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(child.reader, 2)


async def _drain(child: Child, ready: str) -> None:
    stream = child.process.stdout
    if stream is None:  # pragma: no cover - always a pipe above
        return
    with child.log.open("ab") as out:
        while line := await stream.readline():
            out.write(line)
            out.flush()
            if ready.encode() in line:
                child.up.set()
