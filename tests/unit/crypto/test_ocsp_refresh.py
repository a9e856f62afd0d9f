"""When a cached OCSP response is replaced: before staleness, at the fetch interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vdx.crypto.ocsp import OcspInfo
from vdx.crypto.ocsp_refresh import refresh_at, refresh_due

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def info(next_update: datetime | None = None) -> OcspInfo:
    return OcspInfo(
        serial_number=1,
        status="good",
        produced_at=T0,
        this_update=T0,
        next_update=next_update,
        responder="keyhash:00",
    )


def test_fetch_interval_governs_with_default_freshness() -> None:
    assert refresh_at(info(), freshness_seconds=3600) == T0 + timedelta(seconds=1200)
    assert not refresh_due(info(), T0 + timedelta(seconds=1199), freshness_seconds=3600)
    assert refresh_due(info(), T0 + timedelta(seconds=1200), freshness_seconds=3600)


def test_short_freshness_refreshes_at_half_of_it() -> None:
    assert refresh_at(info(), freshness_seconds=600) == T0 + timedelta(seconds=300)


def test_next_update_close_by_wins() -> None:
    soon = T0 + timedelta(minutes=10)
    assert refresh_at(info(soon), freshness_seconds=3600) == soon - timedelta(minutes=5)
