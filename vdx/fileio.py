"""The one atomic file replacement used wherever VDX keeps state in files.

A write goes to a temporary file in the same directory (mode 0600: tokens, keys and stored
configuration are nobody else's business), is flushed and fsynced, renamed over the old file
(rename is atomic on POSIX), and the directory is fsynced so the rename itself survives a crash.
Readers see the old file or the new one, never half of one. Blocking: callers on an event loop
run it in a thread.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: owner read/write only (0600), all or nothing."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)
