"""What Linux says about a process: CPU time and peak resident memory, from ``/proc``.

``/proc/<pid>/stat`` fields 14 and 15 are utime and stime in clock ticks (proc(5));
``VmHWM`` in ``/proc/<pid>/status`` is the peak resident set size, which writing ``5`` to
``/proc/<pid>/clear_refs`` resets (Linux >= 4.0), so each case can report its own peak.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used so far (all its threads)."""
    stat = (PROC / str(pid) / "stat").read_text()
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / TICKS


def total_cpu_seconds(pids: Iterable[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set size (VmHWM) in MiB; None when Linux does not say."""
    with contextlib.suppress(OSError):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def reset_peak_rss(pid: int) -> bool:
    """Start a new peak from the current RSS; False when the kernel refuses."""
    try:
        (PROC / str(pid) / "clear_refs").write_text("5")
    except OSError:
        return False
    return True


def children(parent: int) -> dict[int, str]:
    """Direct children of ``parent``: pid -> command line (arguments joined by spaces)."""
    found: dict[int, str] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid == parent:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(entry.name)] = cmdline.decode(errors="replace").strip()
    return found
