"""The one place that reads the wall clock.

Everything else takes ``now`` as a parameter (ARCHITECTURE rule 4), so tests can move time.
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)
