"""The operational monitoring services end to end on a real SQLite store: a SOAP request in,
the multipart answer out, its body valid against ``op-monitoring.xsd`` (pr-opmon §2, §3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.model import party_fields
from security_server.opmonitor.service import OpMonitorService
from security_server.opmonitor.settings import OpMonitorSettings
from security_server.opmonitor.store import OpRecordStore
from security_server.storage import create_engine, migrate
from tests.unit.security_server import test_opmonitor_support as sup
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message import multipart
from vdx.message import opmonitoring as om
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import SoapMessage

NOW = datetime.fromtimestamp(1_700_000_000, UTC)
SERVER = SecurityServerId(sup.OWNER, "ss1")
STRANGER = ClientId("VN", "COM", "77")


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    return sup.op_schema(tmp_path_factory.mktemp("xsd"))


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[OpMonitorService]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ss.db'}"
    await migrate(url)
    engine = create_engine(url)
    store = OpRecordStore(engine)
    # Three records an hour ago, one of a stranger's exchange, and one too recent to answer.
    await store.write_batch(
        [sup.record(), sup.record()], datetime.fromtimestamp(1_699_996_400, UTC)
    )
    other = party_fields(STRANGER, ServiceId(STRANGER, "ping"))
    await store.write_batch([sup.record(**other)], datetime.fromtimestamp(1_699_996_401, UTC))
    await store.write_batch([sup.record()], datetime.fromtimestamp(1_699_999_990, UTC))
    health = HealthStatistics(600, NOW)
    health.observe(sup.record(request_in_ts=1_699_999_900_000))
    settings = OpMonitorSettings(max_records_per_response=2)
    try:
        yield OpMonitorService(store, health, settings, lambda: NOW)
    finally:
        await engine.dispose()


def _message(data: bytes) -> SoapMessage:
    message = parse_envelope(data)
    assert isinstance(message, SoapMessage)
    return message


def _body(soap: bytes) -> etree._Element:
    body = etree.fromstring(soap).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    return body[0]


async def _operational(
    service: OpMonitorService, caller: ClientId, server: SecurityServerId | None, records_from: int
) -> tuple[etree._Element, list[dict[str, object]]]:
    request = sup.envelope(sup.operational_request(records_from, 1_700_000_000), caller, server)
    answer = await service.answer(_message(request), sup.OWNER, None)
    content_type = multipart.parse_content_type(answer.content_type)
    soap, attachment = multipart.split(answer.body, content_type.param("boundary") or "")
    assert attachment.content_id == om.RECORDS_CID
    return _body(soap.body), om.decode_records(attachment.body)


async def test_the_owner_pages_through_every_record(
    service: OpMonitorService, schema: etree.XMLSchema
) -> None:
    body, records = await _operational(service, sup.OWNER, SERVER, 1_699_990_000)
    assert schema.validate(etree.fromstring(sup.as_bytes(body))), schema.error_log
    # Two records fill the page; the next query starts after their second.
    assert [c.text for c in body] == ["2", f"cid:{om.RECORDS_CID}", "1699996401"]
    assert all(r["securityServerInternalIp"] == "10.0.0.5" for r in records)
    body, records = await _operational(service, sup.OWNER, SERVER, 1_699_996_401)
    # The stranger's record, then the end of what is available (now - 60 s).
    assert [c.text for c in body] == ["1", f"cid:{om.RECORDS_CID}", "1699999940"]
    assert records[0]["clientMemberCode"] == "77"


async def test_without_the_security_server_header_the_owner_is_any_client(
    service: OpMonitorService,
) -> None:
    body, records = await _operational(service, sup.OWNER, None, 1_699_990_000)
    assert body[0].text == "0"
    assert records == []


async def test_a_client_sees_its_own_records_without_the_internal_address(
    service: OpMonitorService,
) -> None:
    body, records = await _operational(service, sup.CONSUMER, SERVER, 1_699_990_000)
    assert body[0].text == "2"
    assert all("securityServerInternalIp" not in r for r in records)
    assert {r["clientSubsystemCode"] for r in records} == {"CONSUMER"}


async def test_health_data_answers_in_the_request_envelope(
    service: OpMonitorService, schema: etree.XMLSchema
) -> None:
    request = sup.envelope(sup.health_request(), sup.OWNER, SERVER)
    answer = await service.answer(_message(request), sup.OWNER, None)
    assert answer.content_type.startswith("text/xml")
    body = _body(answer.body)
    assert schema.validate(etree.fromstring(sup.as_bytes(body))), schema.error_log
    assert body.findtext(f"{{{om.NS_OPMON}}}statisticsPeriodSeconds") == "600"
    counts = body.findtext(f".//{{{om.NS_OPMON}}}successfulRequestCount")
    assert counts == "1"


async def test_bad_and_foreign_requests_fail_with_xroad_errors(service: OpMonitorService) -> None:
    too_late = sup.envelope(sup.operational_request(1_699_999_950, 1_700_000_000))
    with pytest.raises(XRoadError) as caught:
        await service.answer(_message(too_late), sup.OWNER, None)
    assert caught.value.fault_code == "Client.InvalidRequest"
    other = etree.Element(f"{{{om.NS_OPMON}}}getSomethingElse")
    with pytest.raises(XRoadError) as caught:
        await service.answer(_message(sup.envelope(other)), sup.OWNER, None)
    assert caught.value.code == "UnknownService"
