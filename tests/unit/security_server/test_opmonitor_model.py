"""Operational monitoring records: the Annex B JSON names and their snake_case attributes."""

from __future__ import annotations

import dataclasses

import pytest

from security_server.opmonitor.model import (
    CAMEL_NAMES,
    OpRecord,
    SecurityServerType,
    party_fields,
)
from tests.unit.security_server import test_opmonitor_support as sup
from vdx.identifiers import ClientId, ServiceId
from vdx.message.opmonitoring import RECORD_FIELDS

# The keys of pr-opmon Annex C.2.1's example record (every one must be ours too).
_EXAMPLE_KEYS = {
    "clientMemberClass",
    "clientMemberCode",
    "clientSecurityServerAddress",
    "clientSubsystemCode",
    "clientXRoadInstance",
    "messageId",
    "messageIssue",
    "messageProtocolVersion",
    "messageUserId",
    "monitoringDataTs",
    "representedPartyClass",
    "representedPartyCode",
    "requestAttachmentCount",
    "requestInTs",
    "requestOutTs",
    "requestSize",
    "responseAttachmentCount",
    "responseInTs",
    "responseOutTs",
    "responseSize",
    "securityServerInternalIp",
    "securityServerType",
    "serviceCode",
    "serviceType",
    "serviceMemberClass",
    "serviceMemberCode",
    "serviceSecurityServerAddress",
    "serviceSubsystemCode",
    "serviceVersion",
    "serviceXRoadInstance",
    "succeeded",
    "xRequestId",
}


def test_every_attribute_has_its_annex_b_name() -> None:
    assert set(CAMEL_NAMES) == {f.name for f in dataclasses.fields(OpRecord)}
    assert set(CAMEL_NAMES.values()) == set(RECORD_FIELDS)
    assert set(RECORD_FIELDS) >= _EXAMPLE_KEYS
    assert CAMEL_NAMES["client_xroad_instance"] == "clientXRoadInstance"
    assert CAMEL_NAMES["xroad_version"] == "xRoadVersion"
    assert CAMEL_NAMES["security_server_internal_ip"] == "securityServerInternalIp"


def test_json_uses_camel_case_and_omits_unknown_values() -> None:
    record = sup.record(rest_method=None, monitoring_data_ts=1_700_000_001, x_request_id="r-1")
    document = record.to_json()
    assert document["securityServerType"] == "Producer"
    assert document["clientXRoadInstance"] == "VN"
    assert document["serviceVersion"] == "v1"
    assert document["xRequestId"] == "r-1"
    assert document["succeeded"] is True
    assert "restMethod" not in document
    assert None not in document.values()
    assert next(iter(document)) == "monitoringDataTs"  # Annex B order


def test_json_keeps_only_the_requested_fields() -> None:
    document = sup.record().to_json(frozenset({"requestInTs", "statusCode", "succeeded"}))
    assert document == {"requestInTs": 1_700_000_000_000, "succeeded": True}


def test_identifiers_come_back_from_their_parts() -> None:
    record = sup.record()
    assert record.client == sup.CONSUMER
    assert record.service == sup.SERVICE
    member = ClientId("VN", "COM", "42")
    bare = sup.record(**party_fields(member, ServiceId(member, "x")))
    assert bare.client == member
    assert bare.service == ServiceId(member, "x", None)
    unknown = OpRecord(SecurityServerType.CLIENT, False, 1)
    assert unknown.client is None
    assert unknown.service is None
    assert unknown.duration_ms is None
    assert sup.record().duration_ms == 50


def test_rows_map_back_to_records() -> None:
    record = sup.record(monitoring_data_ts=5)
    row = {f.name: getattr(record, f.name) for f in dataclasses.fields(OpRecord)}
    row["security_server_type"] = "Producer"
    row["id"] = 77
    assert OpRecord.from_mapping(row) == record
    with pytest.raises(ValueError, match="Nobody"):
        OpRecord.from_mapping({**row, "security_server_type": "Nobody"})
