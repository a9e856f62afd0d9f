"""When a cached OCSP response must be fetched again (pure decision).

A security server staples its own OCSP responses to every message and its peers refuse ones
older than ``ocspFreshnessSeconds`` (default 3600, pr-gconf shared parameters). The reference
fetches every ``ocspFetchInterval`` (default 1200 s, ug-syspar); we refresh at that interval,
and in any case before half the freshness window or the responder's nextUpdate has passed, so a
response in use never goes stale while one fetch after another fails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from vdx.crypto.ocsp import OcspInfo

DEFAULT_FETCH_INTERVAL_SECONDS = 1200
NEXT_UPDATE_MARGIN = timedelta(minutes=5)


def refresh_at(
    info: OcspInfo,
    *,
    freshness_seconds: int,
    fetch_interval_seconds: int = DEFAULT_FETCH_INTERVAL_SECONDS,
) -> datetime:
    """The moment a response described by ``info`` should be replaced."""
    interval = min(fetch_interval_seconds, freshness_seconds // 2)
    due = info.this_update + timedelta(seconds=interval)
    if info.next_update is not None:
        due = min(due, info.next_update - NEXT_UPDATE_MARGIN)
    return due


def refresh_due(
    info: OcspInfo,
    now: datetime,
    *,
    freshness_seconds: int,
    fetch_interval_seconds: int = DEFAULT_FETCH_INTERVAL_SECONDS,
) -> bool:
    return now >= refresh_at(
        info, freshness_seconds=freshness_seconds, fetch_interval_seconds=fetch_interval_seconds
    )
