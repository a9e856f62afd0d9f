"""Structured logs for every ``vdx`` command (ARCHITECTURE rule 9).

JSON lines when the output is not a terminal (services, CI, log shippers), a readable console
rendering when it is; ``VDX_LOG_FORMAT=json|console`` overrides, ``VDX_LOG_LEVEL`` sets the level.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog


class _StderrLogger:
    """Writes each rendered line to the *current* ``sys.stderr``.

    structlog's PrintLogger binds the stream when it is created; a stream swapped later (test
    runners, daemonising) would then be written after it was closed.
    """

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_logger(*_: object) -> _StderrLogger:
    return _StderrLogger()


def configure() -> None:
    level_name = os.environ.get("VDX_LOG_LEVEL", "INFO").upper()
    level = logging.getLevelNamesMapping().get(level_name, logging.INFO)
    wanted = os.environ.get("VDX_LOG_FORMAT", "").lower()
    as_json = wanted == "json" or (wanted != "console" and not sys.stderr.isatty())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        # Not cached: tests and tools (structlog.testing.capture_logs) reconfigure at run time.
        cache_logger_on_first_use=False,
    )
