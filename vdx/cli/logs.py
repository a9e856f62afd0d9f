"""Structured logs for every ``vdx`` command (ARCHITECTURE rule 9).

JSON lines when the output is not a terminal (services, CI, log shippers), a readable console
rendering when it is; ``VDX_LOG_FORMAT=json|console`` overrides, ``VDX_LOG_LEVEL`` sets the level.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog


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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
