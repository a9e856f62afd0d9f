"""Every exchange leaves its evidence on both security servers (ARCHITECTURE rule 8): the
request and the response in each server's message log, with the signature the peer verified,
time-stamped by the development TSA in a batch round, archived into a verifiable archive; an
operational monitoring record on each side, answered by getSecurityServerOperationalData
through the federation. Past the time-stamping grace period the client proxy refuses before
anything is sent. Real parts throughout: SQLite, the RFC 3161 TSA, mutual TLS, signatures."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from lxml import etree
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.app_messagelog import MessageLogNode
from security_server.app_opmonitor import OpMonitorNode, evidence
from security_server.messagelog.model import StoredRecord, TimestampRecord
from security_server.messagelog.settings import MessageLogSettings
from security_server.opmonitor.model import OpRecord, SearchCriteria, SecurityServerType
from security_server.opmonitor.settings import OpMonitorSettings
from security_server.storage import create_engine, migrate
from tests.integration.security_server import proxy_support as ps
from tests.integration.security_server import test_messagelog_support as ml
from tests.unit.security_server import exchange_support as es
from vdx.clock import utc_now
from vdx.crypto.archive import verify_archive
from vdx.crypto.asic_verify import verify_container
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.identifiers.xml import to_xml
from vdx.message import multipart
from vdx.message import opmonitoring as om

dev_tsa = ml.dev_tsa
XROAD = "http://x-road.eu/xsd/xroad.xsd"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class WallClock:
    """The wall clock plus an offset the test moves (the TSA signs with the real time)."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Side:
    engine: AsyncEngine
    log: MessageLogNode
    opmon: OpMonitorNode
    registry: CollectorRegistry

    async def found(self, query_id: str, client: ClientId) -> list[StoredRecord]:
        return [r for r, _ in await self.log.log.store.find(query_id, client)]

    async def stamped(
        self, query_id: str, client: ClientId
    ) -> list[tuple[StoredRecord, TimestampRecord | None]]:
        return await self.log.log.store.find(query_id, client)

    async def op_records(self) -> list[OpRecord]:
        await self.opmon.buffer.flush_all()
        criteria = SearchCriteria(0, 2**40)
        return list((await self.opmon.service.store.query(criteria, None, 1000)).records)


async def _side(
    folder: Path, tsa: ml.DevTsa, fed_conf: Callable[[], object], clock: WallClock, grace: int
) -> Side:
    url = f"sqlite+aiosqlite:///{folder}.db"
    await migrate(url)
    engine = create_engine(url)
    registry = CollectorRegistry()
    settings = MessageLogSettings(
        archive_dir=folder / "archive", acceptable_timestamp_failure_seconds=grace
    )
    node = MessageLogNode.create(
        engine,
        settings,
        current=fed_conf,  # type: ignore[arg-type] # the federation's GlobalConfiguration
        trust=tsa.trust,
        registry=registry,
        clock=clock,
    )
    opmon_settings = OpMonitorSettings(records_available_offset_seconds=0)
    opmon = OpMonitorNode.create(engine, opmon_settings, registry=registry, clock=clock)
    await node.start()
    return Side(engine, node, opmon, registry)


@dataclass
class Evidenced:
    fed: ps.Federation
    consumer: Side
    producer: Side
    clock: WallClock
    tsa: ml.DevTsa


async def _evidenced(tmp_path: Path, tsa: ml.DevTsa, grace: int) -> AsyncIterator[Evidenced]:
    clock = WallClock()
    holder: list[ps.Federation] = []

    def conf() -> object:
        return holder[0].current.conf if holder else None

    consumer = await _side(tmp_path / "ss-c", tsa, conf, clock, grace)
    producer = await _side(tmp_path / "ss-p", tsa, conf, clock, grace)
    hooks = {
        "SS-C": evidence(consumer.log, consumer.opmon),
        "SS-P": evidence(producer.log, producer.opmon),
    }
    try:
        async with ps.federation(evidence=hooks) as fed:
            holder.append(fed)
            yield Evidenced(fed, consumer, producer, clock, tsa)
    finally:
        for side in (consumer, producer):
            await side.log.stop()
            await side.engine.dispose()


@pytest.fixture
async def ev(tmp_path: Path, dev_tsa: ml.DevTsa) -> AsyncIterator[Evidenced]:
    async for value in _evidenced(tmp_path, dev_tsa, grace=14400):
        yield value


@pytest.fixture
async def ev_short_grace(tmp_path: Path, dev_tsa: ml.DevTsa) -> AsyncIterator[Evidenced]:
    async for value in _evidenced(tmp_path, dev_tsa, grace=1):
        yield value


async def _soap(fed: ps.Federation, service_code: str = "getState") -> tuple[str, int, bytes]:
    query_id = str(uuid.uuid4())
    query = ps.soap_query(service_code, **{"411d6755661409fed365ad8135f8210be07613da": query_id})
    headers = {"Content-Type": query.content_type}
    status, _, body = await ps.call("POST", fed.client_proxy_url, body=query.body, headers=headers)
    return query_id, status, body


async def _rest(fed: ps.Federation) -> tuple[str, int]:
    fed.current.producer_serverconf = ps.producer_rest_serverconf(fed.rest_url)
    query_id = str(uuid.uuid4())
    url = f"{fed.client_proxy_url}/r1/EE/BUSINESS/producer/REST/pets/pets/7"
    headers = {"X-Road-Client": "EE/BUSINESS/consumer/APP", "X-Road-Id": query_id}
    status, _, _ = await ps.call("GET", url, headers=headers)
    return query_id, status


def _pairs(records: list[StoredRecord]) -> dict[bool, StoredRecord]:
    by_kind = {r.entry.response: r for r in records}
    assert len(records) == 2, records
    assert set(by_kind) == {False, True}
    return by_kind


async def test_soap_and_rest_exchanges_are_logged_twice_on_each_side(ev: Evidenced) -> None:
    soap_id, status, body = await _soap(ev.fed)
    assert status == 200, body
    rest_id, status = await _rest(ev.fed)
    assert status == 200
    for query_id, client, service, rest in (
        (soap_id, es.CONSUMER, es.GET_STATE, False),
        (rest_id, es.CONSUMER_APP, es.PETS, True),
    ):
        # Each side files its records under its own client: the consumer's under the
        # client, the producer's under the service provider (LogManager.createMessageRecord).
        consumer = _pairs(await ev.consumer.found(query_id, client))
        producer = _pairs(await ev.producer.found(query_id, service.provider))
        assert await ev.producer.found(query_id, client) == []
        assert await ev.consumer.found(query_id, service.provider) == []
        for response in (False, True):
            mine, theirs = consumer[response].entry, producer[response].entry
            # The signature the peer verified is the one logged on both sides, byte for byte.
            assert mine.signature == theirs.signature
            assert mine.message == theirs.message
            assert (mine.rest, mine.service, mine.client) == (rest, service, client)
            assert (theirs.service, theirs.client) == (service, client)
            assert (mine.owner, theirs.owner) == (client, service.provider)
            assert mine.created_at == es.NOW  # the proxies' clock
        if rest:
            assert consumer[False].entry.message.startswith(
                b"GET\r\n/r1/EE/BUSINESS/producer/REST/"
            )
            assert consumer[True].entry.message.startswith(b"200\r\n")
            assert consumer[True].entry.body == b'{"id": "7", "client": "EE/BUSINESS/consumer/APP"}'
        else:
            assert b"<xroad:getState>" in consumer[False].entry.message
            assert b"requestHash" in consumer[True].entry.message


async def test_a_round_stamps_every_record_and_an_archive_verifies(ev: Evidenced) -> None:
    ids = [(await _soap(ev.fed))[0] for _ in range(3)]
    for side, owner in ((ev.consumer, es.CONSUMER), (ev.producer, es.PRODUCER)):
        result = await side.log.round()
        assert result is not None
        assert result.error is None
        assert (result.stamped, result.tokens) == (6, 1)  # one token over the whole batch
        for query_id in ids:
            found = await side.stamped(query_id, owner)
            assert len(found) == 2
            assert all(stamp is not None for _, stamp in found)
        assert await side.log.check() is None
        written = await side.log.archiver.archive_once()
        assert len(written) == 1
        verdict = verify_archive(
            written[0].read_bytes(), previous_digest="-", check_container=verify_container
        )
        assert len(verdict.containers) == 6
        metrics = generate_latest(side.registry).decode()
        assert "vdx_ss_messagelog_unstamped_records 0.0" in metrics
        assert "vdx_ss_messagelog_archive_lag_seconds 0.0" in metrics


async def test_past_the_grace_period_the_client_proxy_refuses_before_sending(
    ev_short_grace: Evidenced,
) -> None:
    ev = ev_short_grace
    _, status, _ = await _soap(ev.fed)
    assert status == 200
    calls = list(ev.fed.service_calls)
    await ev.tsa.stop()
    result = await ev.consumer.log.round()
    assert result is not None
    assert result.error is not None
    assert (await ev.consumer.log.check() or "").startswith("timestamping failing for ")
    ev.clock.advance(2)  # past the grace period of 1 s
    assert "traffic refused" in (await ev.consumer.log.check() or "")
    query_id, status, body = await _soap(ev.fed)
    assert status == 500
    code, string, _ = ps.soap_fault(body)
    assert code == "Server.ClientProxy.TimestampingFailed"
    assert "time-stamping has failed for 2 s" in string
    assert ev.fed.service_calls == calls  # the provider's service was not called
    assert await ev.consumer.found(query_id, es.CONSUMER) == []
    assert await ev.producer.found(query_id, es.PRODUCER) == []
    refused = [r for r in await ev.consumer.op_records() if r.message_id == query_id]
    assert [(r.succeeded, r.fault_code) for r in refused] == [
        (False, "Server.ClientProxy.TimestampingFailed")
    ]


async def test_op_monitoring_records_on_both_sides(ev: Evidenced) -> None:
    ok_id, status, _ = await _soap(ev.fed)
    assert status == 200
    denied_id, status, body = await _soap(ev.fed, "closed")
    assert status == 500, body
    assert ps.soap_fault(body)[0] == "Server.ServerProxy.AccessDenied"
    now_ms = int(es.NOW.timestamp() * 1000)
    for side, kind in (
        (ev.consumer, SecurityServerType.CLIENT),
        (ev.producer, SecurityServerType.PRODUCER),
    ):
        records = {r.message_id: r for r in await side.op_records()}
        ok, denied = records[ok_id], records[denied_id]
        assert (ok.security_server_type, ok.succeeded, ok.fault_code) == (kind, True, None)
        assert ok.client == es.CONSUMER
        assert ok.service == es.GET_STATE
        assert ok.message_user_id == "EE:PIN:abc4567"
        assert ok.message_protocol_version == "4.0"
        assert ok.request_in_ts == ok.request_out_ts == ok.response_in_ts == now_ms
        assert ok.response_out_ts == now_ms
        assert ok.request_size is not None
        assert ok.request_size > 0
        assert ok.response_size is not None
        assert ok.response_size > ok.request_size  # requestHash was added
        assert (denied.succeeded, denied.fault_code) == (False, "Server.ServerProxy.AccessDenied")
        assert denied.service == dataclasses.replace(es.GET_STATE, service_code="closed")
    producer = {r.message_id: r for r in await ev.producer.op_records()}
    assert producer[ok_id].service_type == "WSDL"
    assert producer[ok_id].client_security_server_address == f"127.0.0.1:{ev.fed.consumer_port}"
    assert producer[denied_id].request_out_ts is None  # the service was never called
    metrics = generate_latest(ev.producer.registry).decode()
    assert 'vdx_ss_exchange_duration_seconds_count{side="producer",stage="total"} 2.0' in metrics
    assert 'side="producer",stage="provider"} 1.0' in metrics


def _opmon_query(records_to: int) -> bytes:
    nsmap = {"SOAP-ENV": SOAP, "xroad": XROAD, "id": "http://x-road.eu/xsd/identifiers"}
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(root, f"{{{SOAP}}}Header")
    header.append(to_xml(es.CONSUMER, f"{{{XROAD}}}client"))
    service = ServiceId(es.PRODUCER, om.GET_OPERATIONAL_DATA)
    header.append(to_xml(service, f"{{{XROAD}}}service"))
    server = SecurityServerId(es.PRODUCER, "SS-P")
    header.append(to_xml(server, f"{{{XROAD}}}securityServer"))
    etree.SubElement(header, f"{{{XROAD}}}id").text = str(uuid.uuid4())
    etree.SubElement(header, f"{{{XROAD}}}protocolVersion").text = "4.0"
    body = etree.SubElement(root, f"{{{SOAP}}}Body")
    request = etree.SubElement(body, f"{{{om.NS_OPMON}}}{om.GET_OPERATIONAL_DATA}")
    criteria = etree.SubElement(request, f"{{{om.NS_OPMON}}}searchCriteria")
    etree.SubElement(criteria, f"{{{om.NS_OPMON}}}recordsFrom").text = "0"
    etree.SubElement(criteria, f"{{{om.NS_OPMON}}}recordsTo").text = str(records_to)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert isinstance(data, bytes)
    return data


async def test_get_security_server_operational_data_through_the_federation(
    ev: Evidenced,
) -> None:
    ok_id, status, _ = await _soap(ev.fed)
    assert status == 200
    await ev.producer.opmon.buffer.flush_all()
    ev.clock.advance(2)  # records are answered once their second is over (pr-opmon §2)
    records_to = int(ev.clock().timestamp()) + 1
    query = _opmon_query(records_to)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            ev.fed.client_proxy_url, data=query, headers={"Content-Type": "text/xml"}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        content_type = response.headers["Content-Type"]
        answer = await response.read()
    media = multipart.parse_content_type(content_type)
    assert media.media_type == "multipart/related"
    boundary = media.param("boundary")
    assert boundary is not None
    soap, records_part = multipart.split(answer, boundary)
    assert b"requestHash" in soap.body
    records = om.decode_records(records_part.body)
    mine = [r for r in records if r.get("messageId") == ok_id]
    assert len(mine) == 1
    assert mine[0]["securityServerType"] == "Producer"
    assert mine[0]["succeeded"] is True
    assert mine[0]["serviceCode"] == "getState"
    assert mine[0]["clientMemberCode"] == "consumer"
    # The query itself is an exchange: logged on both sides, monitored on the producer's.
    query_id = etree.fromstring(query).findtext(f".//{{{XROAD}}}id")
    assert query_id is not None
    assert len(await ev.consumer.found(query_id, es.CONSUMER)) == 2
    assert len(await ev.producer.found(query_id, es.PRODUCER)) == 2  # the provider's


async def test_a_provider_that_cannot_log_refuses_before_calling_the_service(
    ev: Evidenced,
) -> None:
    await ev.producer.log.log.writer.stop()  # its log no longer commits anything
    query_id, status, body = await _soap(ev.fed)
    assert status == 500
    code, string, _ = ps.soap_fault(body)
    assert (code, string) == (
        "Server.ServerProxy.LoggingFailed",
        "the message log writer is not running",
    )
    assert ev.fed.service_calls == []
    # The consumer logged what it signed and sent; no answer came back to log.
    assert [r.entry.response for r in await ev.consumer.found(query_id, es.CONSUMER)] == [False]
    assert await ev.producer.found(query_id, es.PRODUCER) == []
