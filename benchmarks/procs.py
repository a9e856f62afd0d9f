"""Child processes of the benchmark: started, awaited until they print a ready line, stopped.

Each child's output goes to a log file in the run's work folder; a child that exits or stays
silent past its deadline is an error naming the log. Stopping sends one signal (SIGINT for the
sandbox, which then stops its own children in order; SIGTERM otherwise), waits, and kills
only that process if it will not go.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path


class BenchError(Exception):
    """A part of the benchmark could not be set up; the message says which and why."""


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    reader: asyncio.Task[None]

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self, sig: signal.Signals = signal.SIGTERM, wait_s: float = 30.0) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), wait_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self.reader, 5)


async def start_python(
    name: str,
    module_args: list[str],
    *,
    ready: str,
    log_dir: Path,
    deadline_s: float,
    env: dict[str, str] | None = None,
) -> Child:
    """Run ``python -m MODULE_ARGS`` (this interpreter) and return once it prints ``ready``."""
    await asyncio.to_thread(log_dir.mkdir, parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *module_args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    up = asyncio.Event()
    child = Child(name, process, log, asyncio.create_task(_drain(process, log, ready, up)))
    exited = asyncio.create_task(process.wait())
    waiting = asyncio.create_task(up.wait())
    try:
        await asyncio.wait(
            {exited, waiting}, timeout=deadline_s, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        exited.cancel()
        waiting.cancel()
    if not up.is_set():
        why = "exited" if process.returncode is not None else f"not ready in {deadline_s:.0f} s"
        await child.stop(signal.SIGINT)
        raise BenchError(f"{name} did not start ({why}); {log}:\n{child.tail()}")
    return child


async def _drain(
    process: asyncio.subprocess.Process, log: Path, ready: str, up: asyncio.Event
) -> None:
    stream = process.stdout
    if stream is None:  # pragma: no cover - always a pipe above
        return
    with log.open("ab") as out:
        while line := await stream.readline():
            out.write(line)
            out.flush()
            if ready.encode() in line:
                up.set()
