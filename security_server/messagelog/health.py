"""Whether time-stamping works, and when traffic must stop because it does not (pure).

Security server architecture §2.8 and the user guide's ``acceptable-timestamp-failure-period``
(default 14400 s): when time-stamping has been failing for longer than the period, the log
refuses new messages, so nothing goes out that cannot be time-stamped later; 0 disables the
check. As in the reference's ``LogManager``, the clock starts at the first failed attempt and
stops at the next success, so traffic resumes by itself once a TSA answers again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class TimestampingHealth:
    grace_seconds: int
    last_success: datetime | None = None
    failing_since: datetime | None = None

    def succeeded(self, now: datetime) -> None:
        self.last_success = now
        self.failing_since = None

    def failed(self, now: datetime) -> None:
        if self.failing_since is None:
            self.failing_since = now

    def failing_for(self, now: datetime) -> timedelta:
        """How long time-stamping has been failing (zero when it works)."""
        if self.failing_since is None:
            return timedelta(0)
        return max(timedelta(0), now - self.failing_since)

    def refuse_traffic(self, now: datetime) -> bool:
        """True when the outage is longer than the grace period (and the check is on)."""
        if self.grace_seconds == 0:
            return False
        return self.failing_for(now) > timedelta(seconds=self.grace_seconds)

    def last_success_age(self, now: datetime) -> float | None:
        """Seconds since the last successful time-stamp (None: none known)."""
        if self.last_success is None:
            return None
        return (now - self.last_success).total_seconds()
