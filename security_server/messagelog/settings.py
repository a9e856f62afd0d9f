"""Message log settings, embedded by the security server's settings model (composition root).

Defaults are the reference's (security server user guide, message log parameters
``xroad.proxy.message-log.*`` / ``[message-log]``): time-stamping every 60 s (the global
configuration's ``timeStampingIntervalSeconds``), traffic refused after a time-stamping outage
of 14400 s (``acceptable-timestamp-failure-period``), REST bodies up to 10485760 bytes logged
(``max-loggable-message-body-size``; ``truncated-body-allowed`` is false and not offered here:
a body over the limit is refused, never truncated), archives of at most 33554432 bytes
(``archive-max-filesize``) made every 6 hours, records kept 30 days (``keep-records-for``).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BodyLogging(StrEnum):
    """What of a message body goes into the log."""

    FULL = "full"  # the message and body as signed
    METADATA = "metadata"  # SOAP: header kept, Body emptied; REST: body dropped
    DISABLED = "disabled"  # nothing is logged for the message


class MessageLogSettings(BaseModel):
    """The message log's part of the security server settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamping_interval_seconds: float = Field(
        default=60,
        gt=0,
        description="Seconds between batch time-stamping rounds (timeStampingIntervalSeconds).",
    )
    timestamp_immediately: bool = Field(
        default=False,
        description=(
            "Time-stamp every message synchronously before it is released "
            "(timestamp-immediately); a TSA failure then fails the exchange."
        ),
    )
    acceptable_timestamp_failure_seconds: int = Field(
        default=14400,
        ge=0,
        description=(
            "How long time-stamping may fail before new exchanges are refused with "
            "TimestampingFailed (acceptable-timestamp-failure-period); 0 disables the check."
        ),
    )
    timestamp_records_max: int = Field(
        default=200_000,
        gt=1,
        description=(
            "Most records one time-stamp token covers; a larger backlog is stamped in "
            "several rounds at once. Sized so that one token covers a whole interval at "
            "1,000 exchanges/s (the reference's timestamp-records-limit is 10000)."
        ),
    )
    body_logging: BodyLogging = Field(
        default=BodyLogging.FULL,
        description="Body logging mode: full, metadata (bodies removed) or disabled.",
    )
    body_logging_overrides: dict[str, BodyLogging] = Field(
        default_factory=dict,
        description=(
            "Per service provider (subsystem or member in `:` form, e.g. "
            "`EE:GOV:1234:SUB`) body logging mode, overriding body_logging "
            "(the reference's enabled/disabled-body-logging-*-producer-subsystems)."
        ),
    )
    max_loggable_body_bytes: int = Field(
        default=10_485_760,
        ge=0,
        description=(
            "Largest REST body / attachment part logged (max-loggable-message-body-size); "
            "a larger one is refused with LoggingFailed. 0: bodies are never logged."
        ),
    )
    writer_max_batch: int = Field(
        default=1000,
        gt=0,
        description="Most records one group commit of the log writer holds.",
    )
    archive_interval_seconds: float = Field(
        default=21600, gt=0, description="Seconds between archiving rounds (archive-interval)."
    )
    archive_dir: Path = Field(
        default=Path("/var/lib/vdx/security-server/messagelog"),
        description="Folder the archive files are written to (archive-path).",
    )
    archive_max_bytes: int = Field(
        default=33_554_432,
        gt=0,
        description="Largest archive file in bytes (archive-max-filesize).",
    )
    archive_grouping: Literal["none", "member", "subsystem"] = Field(
        default="none",
        description="One archive per: nothing, member or subsystem (archive-grouping).",
    )
    keep_records_seconds: int = Field(
        default=30 * 86400,
        gt=0,
        description="Archived records are deleted from the database after (keep-records-for).",
    )
    archive_transfer_command: str | None = Field(
        default=None,
        description=(
            "Command run after archiving, e.g. to move the archives elsewhere "
            "(archive-transfer-command)."
        ),
    )
