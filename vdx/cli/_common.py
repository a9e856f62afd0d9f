"""What ``vdx cs`` and ``vdx ss`` share: the error that carries an exit code, the result of a
command, the audit-log actor, argument parsing and plain text tables.

Exit codes: 0 done, 1 refused, 2 usage (bad options, identifiers, settings, unreadable files).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from vdx.errors import XRoadError
from vdx.identifiers import ClientId, parse_client

_S = TypeVar("_S")


class CliError(Exception):
    def __init__(self, exit_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code
        self.message = message


def usage(message: str) -> CliError:
    return CliError(2, "usage", message)


def refused(message: str, code: str = "refused") -> CliError:
    return CliError(1, code, message)


@dataclass(frozen=True, slots=True)
class Result:
    """What a command prints: ``text`` for people, ``data`` for ``--json``."""

    text: str
    data: Any


def actor() -> str:
    """``cli:<os user>``, the audit-log actor of work done by the CLI itself (the uid when the
    account has no name, as in some containers)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"cli:{user}"[:255]


def load_settings(load: Callable[[Path | None], _S], config: Path | None) -> _S:
    """A server's settings by its ``load``; a usage error (exit 2) names what is wrong."""
    try:
        return load(config)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)
        )
        raise usage(f"Invalid settings: {problems}") from None
    except (OSError, ValueError) as error:
        raise usage(f"Cannot read the settings: {error}") from None


def client_id(text: str) -> ClientId:
    try:
        return parse_client(text, ":")
    except XRoadError as error:
        raise usage(f"{text!r:.80}: {error.message}") from None


def member_id(text: str) -> ClientId:
    found = client_id(text)
    if found.subsystem_code is not None:
        raise usage(f"{text!r:.80} is a subsystem; a member is INSTANCE:CLASS:CODE")
    return found


def read_file(path: Path, what: str, limit: int) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise usage(f"{path}: the {what} is larger than {limit} bytes")
        return path.read_bytes()
    except OSError as error:
        raise usage(f"Cannot read the {what} {path}: {error.strerror or error}") from None


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain text table; an empty list says so."""
    if not rows:
        return "(none)"
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines)
