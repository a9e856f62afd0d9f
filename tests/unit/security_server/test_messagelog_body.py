"""Body logging decisions: modes, per-provider overrides, the loggable size; grace period."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from lxml import etree

from security_server.messagelog.body import body_mode, loggable
from security_server.messagelog.health import TimestampingHealth
from security_server.messagelog.model import LogEntry
from security_server.messagelog.settings import BodyLogging, MessageLogSettings
from vdx.errors import Code, XRoadError
from vdx.identifiers.model import ClientId, ServiceId

T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
CLIENT = ClientId("VN", "GOV", "0101", "APP")
PROVIDER = ClientId("VN", "GOV", "0202", "TAX")
SOAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="urn:x">'
    b"<s:Header><x:id>q-1</x:id></s:Header>"
    b"<s:Body><x:getPerson><x:ssn>12345</x:ssn></x:getPerson></s:Body></s:Envelope>"
)


def _entry(
    *, rest: bool = False, body: bytes | None = None, provider: ClientId = PROVIDER
) -> LogEntry:
    return LogEntry(
        query_id="q-1",
        x_request_id="r-1",
        client=CLIENT,
        service=ServiceId(provider, "getPerson", "v1"),
        owner=CLIENT,
        response=False,
        rest=rest,
        message=b'{"method":"GET"}' if rest else SOAP,
        body=body,
        signature=b"<sig/>",
        hash_chain_result=None,
        hash_chain=None,
        created_at=T0,
    )


def test_full_keeps_everything() -> None:
    entry = _entry(rest=True, body=b"x" * 100)
    assert loggable(entry, BodyLogging.FULL, 100) is entry


def test_metadata_empties_the_soap_body_and_keeps_the_header() -> None:
    stored = loggable(_entry(), BodyLogging.METADATA, 10_000)
    assert stored is not None
    root = etree.fromstring(stored.message)
    ns = {"s": "http://schemas.xmlsoap.org/soap/envelope/", "x": "urn:x"}
    assert root.findtext("s:Header/x:id", namespaces=ns) == "q-1"
    body = root.find("s:Body", ns)
    assert body is not None
    assert len(body) == 0
    assert b"12345" not in stored.message


def test_metadata_drops_the_rest_body() -> None:
    entry = _entry(rest=True, body=b'{"secret": 1}')
    stored = loggable(entry, BodyLogging.METADATA, 10_000)
    assert stored is not None
    assert stored.body is None
    assert stored.message == entry.message


def test_disabled_logs_nothing() -> None:
    assert loggable(_entry(), BodyLogging.DISABLED, 10_000) is None


def test_a_body_over_the_limit_is_refused_not_truncated() -> None:
    with pytest.raises(XRoadError) as caught:
        loggable(_entry(rest=True, body=b"x" * 101), BodyLogging.FULL, 100)
    assert caught.value.code is Code.LOGGING_FAILED
    assert "exceeds maximum loggable size" in caught.value.message


def test_limit_zero_means_bodies_are_not_logged() -> None:
    stored = loggable(_entry(rest=True, body=b"x" * 5), BodyLogging.FULL, 0)
    assert stored is not None
    assert stored.body is None


def test_a_soap_message_without_body_is_refused_in_metadata_mode() -> None:
    broken = dataclasses.replace(_entry(), message=b"<a/>")
    with pytest.raises(XRoadError) as caught:
        loggable(broken, BodyLogging.METADATA, 100)
    assert caught.value.code is Code.LOGGING_FAILED


def test_overrides_by_provider_subsystem_then_member() -> None:
    overrides = {
        "VN:GOV:0202:TAX": BodyLogging.METADATA,
        "VN:GOV:0303": BodyLogging.DISABLED,
    }
    assert body_mode(_entry(), BodyLogging.FULL, overrides) is BodyLogging.METADATA
    member_sub = ClientId("VN", "GOV", "0303", "ANY")
    assert body_mode(_entry(provider=member_sub), BodyLogging.FULL, overrides) is (
        BodyLogging.DISABLED
    )
    other = ClientId("VN", "GOV", "0404", "X")
    assert body_mode(_entry(provider=other), BodyLogging.FULL, overrides) is BodyLogging.FULL


def test_settings_defaults_are_the_reference_defaults() -> None:
    settings = MessageLogSettings()
    assert settings.timestamping_interval_seconds == 60
    assert settings.acceptable_timestamp_failure_seconds == 14400
    assert settings.max_loggable_body_bytes == 10_485_760
    assert settings.body_logging is BodyLogging.FULL
    parsed = MessageLogSettings.model_validate(
        {"body_logging": "metadata", "body_logging_overrides": {"VN:GOV:1:A": "disabled"}}
    )
    assert parsed.body_logging_overrides == {"VN:GOV:1:A": BodyLogging.DISABLED}
    with pytest.raises(ValueError, match="body_logging"):
        MessageLogSettings.model_validate({"body_logging": "truncated"})


def test_grace_period_counts_from_the_first_failure_and_ends_with_a_success() -> None:
    health = TimestampingHealth(grace_seconds=100)
    assert not health.refuse_traffic(T0)
    health.failed(T0)
    health.failed(T0 + dt.timedelta(seconds=50))  # a later failure does not restart the clock
    assert health.failing_for(T0 + dt.timedelta(seconds=60)) == dt.timedelta(seconds=60)
    assert not health.refuse_traffic(T0 + dt.timedelta(seconds=100))
    assert health.refuse_traffic(T0 + dt.timedelta(seconds=101))
    health.succeeded(T0 + dt.timedelta(seconds=120))
    assert not health.refuse_traffic(T0 + dt.timedelta(seconds=121))
    assert health.last_success_age(T0 + dt.timedelta(seconds=130)) == 10


def test_grace_zero_disables_the_check() -> None:
    health = TimestampingHealth(grace_seconds=0)
    health.failed(T0)
    assert not health.refuse_traffic(T0 + dt.timedelta(days=30))
    assert health.last_success_age(T0) is None
