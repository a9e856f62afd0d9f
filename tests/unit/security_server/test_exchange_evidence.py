"""Log entries and operational monitoring records built from real signed exchanges: the
sender and the receiver log the same bytes; every failure of the log refuses; monitoring
never fails an exchange."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from security_server.exchange.evidence import log_entry, rest_entry, soap_entry
from security_server.messagelog.model import LogEntry
from security_server.opmonitor.metrics import Stage
from security_server.opmonitor.model import OpRecord, SecurityServerType
from security_server.proxy.evidence import NO_EVIDENCE, Evidence, ExchangeTrace, millis
from tests.unit.security_server import exchange_support as es
from tests.unit.security_server.test_exchange_rest import call as rest_call
from tests.unit.security_server.test_exchange_rest import prepare as rest_prepare
from tests.unit.security_server.test_exchange_rest import respond as rest_respond
from tests.unit.security_server.test_exchange_rest import verify as rest_verify
from vdx.errors import Code, Origin, XRoadError
from vdx.message import rest
from vdx.message.soap_model import SoapFault
from vdx.message.transport import TransportMessage

PRODUCER = SecurityServerType.PRODUCER
CLIENT_SIDE: dict[str, Any] = {"provider_side": False, "now": es.NOW}
SERVER_SIDE: dict[str, Any] = {"provider_side": True, "now": es.NOW}


def test_soap_request_and_response_log_the_same_bytes_on_both_sides() -> None:
    prepared = es.prepare()
    verified = es.verify(prepared.message)
    sent = soap_entry(prepared.message, prepared.request, response=False, **CLIENT_SIDE)
    received = soap_entry(verified.message, verified.request, response=False, **SERVER_SIDE)
    # The same bytes, each filed under its side's client (LogManager.createMessageRecord).
    assert sent == dataclasses.replace(received, owner=es.CONSUMER)
    assert (sent.owner, received.owner) == (es.CONSUMER, es.GET_STATE.provider)
    assert sent.query_id == "411d6755661409fed365ad8135f8210be07613da"
    assert (sent.client, sent.service, sent.rest, sent.body) == (
        es.CONSUMER,
        es.GET_STATE,
        False,
        None,
    )
    assert sent.hash_chain is None  # one part: signed directly
    answer = es.respond(verified, es.answer(verified), es.TEXT)
    entry = soap_entry(answer, verified.request, response=True, **SERVER_SIDE)
    assert entry.response
    assert entry.owner == es.GET_STATE.provider
    assert entry.query_id == sent.query_id
    assert b"requestHash" in entry.message
    assert entry.signature == answer.signature


def test_one_soap_attachment_is_the_logged_body_several_are_left_to_the_hash_chain() -> None:
    one = es.prepare("attachm.query")
    entry = soap_entry(one.message, one.request, response=False, **CLIENT_SIDE)
    assert entry.body == one.attachments[0].data
    assert entry.hash_chain is not None
    assert entry.hash_chain_result is not None
    assert soap_entry(es.wire(one.message), one.request, response=False, **CLIENT_SIDE) == entry
    several = es.prepare("attachments.query")
    assert len(several.attachments) > 1
    entry = soap_entry(several.message, several.request, response=False, **CLIENT_SIDE)
    assert entry.body is None
    assert entry.hash_chain is not None


def test_rest_entries_with_a_body_and_the_request_id() -> None:
    headers = (
        ("X-Road-Client", "EE/BUSINESS/consumer/APP"),
        ("Content-Type", "application/json"),
        (rest.H_REQUEST_ID, "req-1"),
    )
    prepared = rest_prepare(rest_call("POST", "/pets", headers=headers, body=b'{"name": "x"}'))
    verified = rest_verify(prepared.message)
    args = (prepared.client, prepared.service)
    sent = rest_entry(prepared.message, prepared.part.headers, *args, response=False, **CLIENT_SIDE)
    received = rest_entry(
        verified.message, verified.part.headers, *args, response=False, **SERVER_SIDE
    )
    assert sent == dataclasses.replace(received, owner=prepared.client)
    assert (sent.owner, received.owner) == (prepared.client, prepared.service.provider)
    # The security server's own X-Road-Request-Id replaced the caller's "req-1" (pr-rest).
    (request_id,) = [v for n, v in prepared.part.headers if n == rest.H_REQUEST_ID]
    assert request_id != "req-1"
    assert (sent.query_id, sent.x_request_id, sent.rest) == ("id-1", request_id, True)
    assert sent.message == prepared.part.encode()
    assert sent.body == b'{"name": "x"}'
    assert sent.hash_chain is not None
    reply = rest_respond(verified)
    entry = rest_entry(reply, prepared.part.headers, *args, response=True, **SERVER_SIDE)
    assert entry.message.startswith(b"200\r\nOK\r\n")
    assert entry.body == b'{"id": 7}'


def test_unsigned_messages_and_requests_without_an_id_are_refused() -> None:
    prepared = es.prepare()
    unsigned = dataclasses.replace(prepared.message, signature=None)
    with pytest.raises(XRoadError) as refused:
        soap_entry(unsigned, prepared.request, response=False, **CLIENT_SIDE)
    assert refused.value.code == Code.LOGGING_FAILED
    with pytest.raises(XRoadError) as refused:
        rest_entry(prepared.message, (), es.CONSUMER, es.GET_STATE, response=False, **CLIENT_SIDE)
    assert refused.value.code == Code.LOGGING_FAILED
    with pytest.raises(XRoadError):
        log_entry(
            TransportMessage(signature=b"<x/>"),
            query_id="q",
            client=es.CONSUMER,
            service=es.GET_STATE,
            owner=es.CONSUMER,
            response=False,
            now=es.NOW,
        )


async def test_commit_returns_the_record_id_and_refuses_on_any_failure() -> None:
    prepared = es.prepare()
    entry = soap_entry(prepared.message, prepared.request, response=False, **CLIENT_SIDE)
    logged: list[LogEntry] = []

    async def log(value: LogEntry) -> int:
        logged.append(value)
        return 41

    assert await Evidence(log=log).commit(entry) == 41
    assert logged == [entry]
    assert await NO_EVIDENCE.commit(entry) is None

    async def broken(_: LogEntry) -> int:
        raise OSError("disk full")

    with pytest.raises(XRoadError) as refused:
        await Evidence(log=broken).commit(entry)
    assert refused.value.attributed_to(Origin.CLIENT_PROXY).fault_code == (
        "Server.ClientProxy.LoggingFailed"
    )

    async def late(_: LogEntry) -> int:
        raise XRoadError(Code.TIMESTAMPING_FAILED, "too late")

    with pytest.raises(XRoadError) as refused:
        await Evidence(log=late).commit(entry)
    assert refused.value.code == Code.TIMESTAMPING_FAILED

    def grace_over() -> None:
        raise XRoadError(Code.TIMESTAMPING_FAILED, "past the grace period")

    with pytest.raises(XRoadError):
        Evidence(check_can_log=grace_over).can_log()
    NO_EVIDENCE.can_log()


def test_trace_records_success_refusal_and_service_fault() -> None:
    prepared = es.prepare()
    trace = ExchangeTrace.begin(PRODUCER, es.NOW)
    trace.soap_request(prepared.request, mime_size=999, attachments=0)
    trace.request_out(es.NOW + timedelta(milliseconds=5))
    trace.response_in(es.NOW + timedelta(milliseconds=25))
    trace.soap_response(prepared.request, mime_size=None, attachments=0)
    end = es.NOW + timedelta(milliseconds=30)
    ok = trace.record(end)
    start = millis(es.NOW)
    assert (ok.request_in_ts, ok.request_out_ts, ok.response_in_ts, ok.response_out_ts) == (
        start,
        start + 5,
        start + 25,
        start + 30,
    )
    assert ok.succeeded
    assert (ok.client, ok.service, ok.message_id) == (
        es.CONSUMER,
        es.GET_STATE,
        "411d6755661409fed365ad8135f8210be07613da",
    )
    assert (ok.message_user_id, ok.message_issue, ok.message_protocol_version) == (
        "EE:PIN:abc4567",
        "",  # empty in the query, as the header says
        "4.0",
    )
    assert ok.request_mime_size is None  # only with attachments
    assert ok.request_size == len(prepared.request.xml)
    error = XRoadError(Code.ACCESS_DENIED, "no", Origin.SERVER_PROXY)
    refused = trace.record(end, error=error)
    assert (refused.succeeded, refused.fault_code, refused.fault_string) == (
        False,
        "Server.ServerProxy.AccessDenied",
        "no",
    )
    fault = SoapFault("Server.Service", "broken", None, None, b"<f/>")
    failed = trace.record(end, fault=fault)
    assert (failed.succeeded, failed.fault_code, failed.fault_string) == (
        False,
        "Server.Service",
        "broken",
    )


def test_trace_of_a_rest_transport_request_and_response() -> None:
    prepared = rest_prepare()
    trace = ExchangeTrace.begin(PRODUCER, es.NOW)
    trace.transport_request(es.wire(prepared.message), 100)
    trace.transport_response(rest_respond(rest_verify(prepared.message)))
    record = trace.record(es.NOW)
    assert (record.rest_method, record.rest_path, record.message_id) == ("GET", "/pets/7", "id-1")
    assert (record.status_code, record.response_size, record.request_size) == (200, 9, 0)
    assert record.service == prepared.service
    assert record.client == es.CONSUMER_APP
    garbled = dataclasses.replace(
        prepared.message,
        rest_request=dataclasses.replace(prepared.part, target="/nonsense"),
    )
    partial = ExchangeTrace.begin(PRODUCER, es.NOW)
    partial.transport_request(garbled, 1)  # refused later; nothing known now
    assert partial.record(es.NOW).service is None


def test_monitoring_hooks_never_fail_the_exchange() -> None:
    records: list[OpRecord] = []
    stages: list[tuple[SecurityServerType, Stage]] = []
    evidence = Evidence(
        opmonitor=records.append, stage=lambda side, stage, _s: stages.append((side, stage))
    )
    trace = ExchangeTrace.begin(PRODUCER, es.NOW)
    with pytest.raises(ValueError, match="inside"), evidence.timed(PRODUCER, Stage.SIGN):
        raise ValueError("inside")  # a failed stage is measured, and its error goes on
    evidence.finish(trace, es.NOW)
    assert stages == [(PRODUCER, Stage.SIGN), (PRODUCER, Stage.TOTAL)]
    assert [r.succeeded for r in records] == [True]

    def broken(*_: object) -> None:
        raise RuntimeError("metrics down")

    noisy = Evidence(opmonitor=broken, stage=broken)
    with noisy.timed(PRODUCER, Stage.LOG):
        pass
    noisy.finish(trace, es.NOW)
    noisy.monitor(records[0])
    NO_EVIDENCE.finish(trace, es.NOW)
