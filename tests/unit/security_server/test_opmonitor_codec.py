"""Operational monitoring query bodies (vdx.message.opmonitoring) against pr-opmon and the
reference ``op-monitoring.xsd``: what the schema accepts we decode, what we encode it accepts."""

from __future__ import annotations

import gzip
import json

import pytest
from lxml import etree

from tests.unit.security_server import test_opmonitor_support as sup
from vdx.errors import Code, Origin, XRoadError
from vdx.message import multipart
from vdx.message import opmonitoring as om


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    return sup.op_schema(tmp_path_factory.mktemp("xsd"))


def _valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    # Validate the element as its own document, as the reference validates the body's child.
    document = etree.fromstring(sup.as_bytes(element))
    assert schema.validate(document), schema.error_log


def test_the_protocol_example_request_decodes(schema: etree.XMLSchema) -> None:
    body = sup.operational_request(1480512828, 1480512832)
    _valid(schema, body)
    request = om.decode_operational_data_request(sup.envelope(body))
    assert request.search == om.SearchCriteria(1480512828, 1480512832, None)
    assert request.output.everything


def test_client_and_output_fields_decode(schema: etree.XMLSchema) -> None:
    body = sup.operational_request(
        " 100\n", "+200", sup.PROVIDER, ["requestInTs", "xRequestId", "requestInTs"]
    )
    _valid(schema, body)
    request = om.decode_operational_data_request(sup.as_bytes(body))
    assert request.search == om.SearchCriteria(100, 200, sup.PROVIDER)
    assert request.output.fields == {"requestInTs", "xRequestId"}


def test_an_empty_output_spec_means_every_field(schema: etree.XMLSchema) -> None:
    body = sup.operational_request(1, 2, fields=[])
    _valid(schema, body)
    assert om.decode_operational_data_request(sup.as_bytes(body)).output.everything


def _reorder(body: etree._Element) -> etree._Element:
    criteria = body[0]
    body.remove(criteria)
    body.append(criteria)
    return body


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (sup.operational_request(1, 2, fields=["noSuchField"]), Code.INVALID_REQUEST),
        (sup.operational_request("1_000", 2000), Code.INVALID_REQUEST),
        (sup.operational_request("\u0661", 2), Code.INVALID_REQUEST),  # Arabic-Indic digit
        (sup.operational_request(-1, 2), Code.INVALID_REQUEST),
        (sup.operational_request(5, 4), Code.INVALID_REQUEST),
        (sup.operational_request(1, 2**63), Code.INVALID_REQUEST),
        (sup.operational_request(1, "9" * 5000), Code.INVALID_REQUEST),
        (sup.operational_request("-" + "0" * 5000 + "1", 0), Code.INVALID_REQUEST),
        (sup.operational_request("", 2), Code.INVALID_REQUEST),
        (_reorder(sup.operational_request(1, 2, fields=["succeeded"])), Code.INVALID_REQUEST),
        (sup.health_request(), Code.INVALID_BODY),
    ],
)
def test_bad_requests_are_the_clients_fault(body: etree._Element, code: Code) -> None:
    with pytest.raises(XRoadError) as caught:
        om.decode_operational_data_request(sup.envelope(body))
    assert caught.value.code == code
    assert caught.value.fault_code.startswith("Client.")


def test_unknown_and_nested_elements_are_refused(schema: etree.XMLSchema) -> None:
    extra = sup.operational_request(1, 2)
    etree.SubElement(extra[0], f"{{{om.NS_OPMON}}}recordsFrom").text = "3"
    nested = sup.operational_request(1, 2)
    etree.SubElement(nested[0][0], "x")
    missing = sup.operational_request(1, 2)
    missing[0].remove(missing[0][1])
    for body in (extra, nested, missing):
        assert not schema.validate(etree.fromstring(sup.as_bytes(body)))
        with pytest.raises(XRoadError) as caught:
            om.decode_operational_data_request(sup.as_bytes(body))
        assert caught.value.code == Code.INVALID_REQUEST


def test_a_bad_client_identifier_is_refused() -> None:
    body = sup.operational_request(1, 2, sup.PROVIDER)
    client = body[0][2]
    client.remove(client[2])  # no memberCode
    with pytest.raises(XRoadError) as caught:
        om.decode_operational_data_request(sup.as_bytes(body))
    assert caught.value.origin is Origin.CLIENT


def test_health_requests_decode(schema: etree.XMLSchema) -> None:
    for body, client in (
        (sup.health_request(), None),
        (sup.health_request(empty_filter=True), None),
        (sup.health_request(sup.PROVIDER), sup.PROVIDER),
    ):
        _valid(schema, body)
        assert om.decode_health_data_request(sup.envelope(body)).client == client
    with pytest.raises(XRoadError):
        om.decode_health_data_request(sup.envelope(sup.operational_request(1, 2)))


def test_operational_answer_matches_the_schema(schema: etree.XMLSchema) -> None:
    for next_from in (None, 1480512833):
        element = om.operational_data_response_element(122, next_from)
        _valid(schema, element)
        names = [etree.QName(child).localname for child in element]
        assert names[:2] == ["recordsCount", "records"]
        assert element[1].text == "cid:operational-monitoring-data.json.gz"
        assert (len(names) == 3) is (next_from is not None)


def _health(with_summaries: bool) -> om.HealthData:
    summary = om.Summary(42, 42.0, 42, 0.0) if with_summaries else None
    stats = om.PeriodStatistics(1 if with_summaries else 0, 2, summary, summary, summary)
    service = om.ServiceHealth(sup.SERVICE, stats, 1480512901824, None, "WSDL")
    bare = om.ServiceHealth(sup.SERVICE, om.PeriodStatistics(0, 0))
    return om.HealthData(1480512900441, 600, (service, bare))


def test_health_answer_matches_the_schema(schema: etree.XMLSchema) -> None:
    for with_summaries in (True, False):
        element = om.health_data_response_element(_health(with_summaries))
        _valid(schema, element)
    stats = element.find(f".//{{{om.NS_OPMON}}}lastPeriodStatistics")
    assert stats is not None
    assert [etree.QName(c).localname for c in stats] == [
        "successfulRequestCount",
        "unsuccessfulRequestCount",
    ]
    full = om.health_data_response_element(_health(True))
    names = [etree.QName(c).localname for c in full.iter()]
    assert "requestDurationStdDev" in names
    assert "responseAverageSize" in names


def test_records_payload_round_trips_and_is_deterministic() -> None:
    records: list[dict[str, object]] = [
        {"monitoringDataTs": 1, "messageId": "ü"},
        {"succeeded": False},
    ]
    payload = om.encode_records(records)
    assert payload == om.encode_records(records)
    assert json.loads(gzip.decompress(payload)) == {"records": records}
    assert om.decode_records(payload) == records


@pytest.mark.parametrize(
    "payload",
    [
        b"not gzip",
        gzip.compress(b"{}"),
        gzip.compress(b'{"records": [1]}'),
        gzip.compress(b"\xff\xfe"),
        gzip.compress(b'{"records": []}')[:-6],
        gzip.compress(b" " * 5000),
    ],
)
def test_bad_records_payloads_are_refused(payload: bytes) -> None:
    with pytest.raises(XRoadError):
        om.decode_records(payload, max_bytes=1000)


def test_the_answer_keeps_the_request_header() -> None:
    request = sup.envelope(sup.operational_request(1, 2))
    soap = om.response_envelope(request, om.operational_data_response_element(0))
    root = etree.fromstring(soap)
    message_id = root.find(".//{http://x-road.eu/xsd/xroad.xsd}id")
    assert message_id is not None
    assert message_id.text == "opmon-test-1"
    body = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    assert [etree.QName(c).localname for c in body] == ["getSecurityServerOperationalDataResponse"]


def test_the_answer_is_multipart_with_the_gzip_attachment() -> None:
    payload = om.encode_records([{"succeeded": True}])
    content_type, body = om.operational_data_multipart(b"<soap/>", payload, "xroadBOUNDARY")
    parsed = multipart.parse_content_type(content_type)
    assert parsed.media_type == "multipart/related"
    assert parsed.param("type") == "text/xml"
    parts = multipart.split(body, parsed.param("boundary") or "")
    assert [p.body for p in parts] == [b"<soap/>", payload]
    assert parts[1].content_id == om.RECORDS_CID
    assert parts[1].content_type.media_type == "application/gzip"
