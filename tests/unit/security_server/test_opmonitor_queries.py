"""Who may query operational monitoring data, and the answers they get (pr-opmon §2, §3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from security_server.opmonitor import queries
from security_server.opmonitor.health import HealthStatistics
from security_server.opmonitor.store import QueryResult
from tests.unit.security_server import test_opmonitor_support as sup
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId
from vdx.message import opmonitoring as om

NOW = datetime.fromtimestamp(1_700_000_000, UTC)
AVAILABLE_BEFORE = 1_700_000_000 - 60


def _request(
    records_from: int, records_to: int, fields: frozenset[str] = frozenset()
) -> om.OperationalDataRequest:
    return om.OperationalDataRequest(
        om.SearchCriteria(records_from, records_to, sup.PROVIDER), om.OutputSpec(fields)
    )


def test_the_owner_and_the_monitoring_client_see_everything() -> None:
    assert queries.access_for(sup.OWNER, sup.OWNER, sup.MONITORING).privileged
    assert queries.access_for(sup.MONITORING, sup.OWNER, sup.MONITORING).privileged
    # A subsystem of the owner member is not the owner (the reference compares exactly).
    owner_subsystem = ClientId("VN", "GOV", "2002", "SUB")
    assert queries.access_for(owner_subsystem, sup.OWNER, None).own == owner_subsystem
    assert queries.access_for(sup.CONSUMER, sup.OWNER, None).own == sup.CONSUMER


def test_a_regular_client_gets_its_own_records_without_the_internal_address() -> None:
    access = queries.access_for(sup.CONSUMER, sup.OWNER, sup.MONITORING)
    plan = queries.plan_operational_data(_request(10, 20), access, NOW, 60, 10_000)
    assert plan.client_filter == sup.CONSUMER
    assert plan.criteria == om.SearchCriteria(10, 20, sup.PROVIDER)
    assert plan.fields == om.OUTPUT_FIELDS - {om.INTERNAL_IP}
    asked = frozenset({om.INTERNAL_IP, "requestInTs"})
    narrowed = queries.plan_operational_data(_request(10, 20, asked), access, NOW, 60, 5)
    assert narrowed.fields == {"requestInTs"}
    assert narrowed.limit == 5
    owner = queries.access_for(sup.OWNER, sup.OWNER, None)
    full = queries.plan_operational_data(_request(10, 20, asked), owner, NOW, 60, 5)
    assert (full.client_filter, full.fields) == (None, asked)


def test_records_not_yet_available_are_refused_or_cut_off() -> None:
    access = queries.Access(None)
    with pytest.raises(XRoadError) as caught:
        queries.plan_operational_data(
            _request(AVAILABLE_BEFORE, AVAILABLE_BEFORE), access, NOW, 60, 1
        )
    assert caught.value.fault_code == "Client.InvalidRequest"
    plan = queries.plan_operational_data(_request(5, AVAILABLE_BEFORE + 500), access, NOW, 60, 1)
    assert plan.criteria.records_to == AVAILABLE_BEFORE - 1
    assert plan.shifted_next == AVAILABLE_BEFORE
    inside = queries.plan_operational_data(_request(5, AVAILABLE_BEFORE - 1), access, NOW, 60, 1)
    assert inside.shifted_next is None


def test_the_answer_carries_the_records_and_where_to_continue() -> None:
    access = queries.access_for(sup.CONSUMER, sup.OWNER, None)
    plan = queries.plan_operational_data(_request(5, AVAILABLE_BEFORE + 5), access, NOW, 60, 2)
    records = (sup.record(monitoring_data_ts=7), sup.record(monitoring_data_ts=8))
    answer = queries.operational_data_answer(plan, QueryResult(records, 9))
    assert answer.records_count == 2
    assert answer.next_records_from == 9  # the paging wins over the shift
    body = answer.body
    assert [c.text for c in body] == ["2", f"cid:{om.RECORDS_CID}", "9"]
    documents = om.decode_records(answer.payload)
    assert [d["monitoringDataTs"] for d in documents] == [7, 8]
    assert all(om.INTERNAL_IP not in d for d in documents)
    shifted = queries.operational_data_answer(plan, QueryResult(()))
    assert (shifted.records_count, shifted.next_records_from) == (0, AVAILABLE_BEFORE)
    assert om.decode_records(shifted.payload) == []


def _services(element: etree._Element) -> list[str]:
    codes = element.iterfind(
        f".//{{{om.NS_OPMON}}}service/{{http://x-road.eu/xsd/identifiers}}serviceCode"
    )
    return [c.text or "" for c in codes]


def test_health_data_for_privileged_callers_and_for_a_provider_itself() -> None:
    health = HealthStatistics(600, NOW)
    health.observe(sup.record(request_in_ts=1_699_999_990_000))
    owner = queries.access_for(sup.OWNER, sup.OWNER, None)
    assert _services(queries.health_data_answer(om.HealthDataRequest(), owner, health, NOW)) == [
        "getPerson"
    ]
    provider = queries.access_for(sup.PROVIDER, sup.OWNER, None)
    own = queries.health_data_answer(om.HealthDataRequest(sup.PROVIDER), provider, health, NOW)
    assert _services(own) == ["getPerson"]
    consumer = queries.access_for(sup.CONSUMER, sup.OWNER, None)
    assert (
        _services(queries.health_data_answer(om.HealthDataRequest(), consumer, health, NOW)) == []
    )
    with pytest.raises(XRoadError) as caught:
        queries.health_data_answer(om.HealthDataRequest(sup.PROVIDER), consumer, health, NOW)
    assert caught.value.code == Code.ACCESS_DENIED
