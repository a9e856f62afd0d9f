"""Operational monitoring settings, to be embedded by the security server's settings model.

Defaults are the reference's (ug-opmonsyspar §2): records kept 7 days
(``op-monitor.keep-records-for-days``), at most 10000 records per answer
(``max-records-in-payload``), records available once 60 s old
(``records-available-timestamp-offset-seconds``), health statistics over 600 s
(``health-statistics-period-seconds``), a buffer of 20000 records (``op-monitor-buffer.size``)
flushed every 5 s (``sending-interval-seconds``) or as soon as 100 records wait
(``max-records-in-message``). The reference cleans twice a day (``clean-interval``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OpMonitorSettings(BaseModel):
    """The operational monitoring part of the security server settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(
        default=True,
        description="Record operational monitoring data (op-monitor-buffer.size < 1 disables it "
        "in the reference).",
    )
    keep_records_days: int = Field(
        default=7,
        gt=0,
        description="Days operational data records are kept (op-monitor.keep-records-for-days).",
    )
    clean_interval_seconds: float = Field(
        default=12 * 3600,
        gt=0,
        description="Seconds between removals of records older than keep_records_days.",
    )
    buffer_size: int = Field(
        default=20_000,
        gt=0,
        description="Most records waiting in memory; when full the oldest is dropped and "
        "counted (op-monitor-buffer.size).",
    )
    flush_interval_seconds: float = Field(
        default=5,
        gt=0,
        description="Seconds between writes of the buffer (op-monitor-buffer.sending-interval).",
    )
    flush_batch_records: int = Field(
        default=100,
        gt=0,
        description="A write starts as soon as this many records wait; one transaction holds "
        "at most flush_max_batch records (op-monitor-buffer.max-records-in-message).",
    )
    flush_max_batch: int = Field(
        default=5_000,
        gt=0,
        description="Most records written in one transaction.",
    )
    max_records_per_response: int = Field(
        default=10_000,
        gt=0,
        description="Most records in one getSecurityServerOperationalData answer, plus those "
        "sharing the last one's second (op-monitor.max-records-in-payload).",
    )
    records_available_offset_seconds: int = Field(
        default=60,
        ge=0,
        description="Records are answered only once this old, so a query never misses records "
        "still buffered (records-available-timestamp-offset-seconds).",
    )
    health_statistics_period_seconds: int = Field(
        default=600,
        gt=0,
        description="Period of the health data statistics (health-statistics-period-seconds).",
    )
