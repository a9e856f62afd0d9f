"""The metaservice codecs against the specification's examples and the reference's files
(pr-meta Annex A and C, pr-mrest Annex B, xroad-vectors ``metaservice-queries``)."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from security_server.serverconf.wsdl import parse_wsdl
from tests import vectors
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message import metaservices as meta
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import SoapMessage

pytestmark = pytest.mark.vectors

XROAD = "http://x-road.eu/xsd/xroad.xsd"
ID = "http://x-road.eu/xsd/identifiers"
CLIENT1 = ClientId("AA", "ENT", "CLIENT1")
CLIENT1_SUB = ClientId("AA", "ENT", "CLIENT1", "sub")


def _message(folder: str, name: str) -> SoapMessage:
    parsed = parse_envelope((vectors.require_dir() / folder / name).read_bytes())
    assert isinstance(parsed, SoapMessage)
    return parsed


def test_client_list_json_is_the_shape_of_annex_c1() -> None:
    entries = [
        meta.ClientListEntry(CLIENT1, "Client One"),
        meta.ClientListEntry(CLIENT1_SUB, "Client One", "Client One Sub"),
    ]
    assert json.loads(meta.encode_client_list_json(entries)) == {
        "member": [
            {
                "id": {
                    "member_class": "ENT",
                    "member_code": "CLIENT1",
                    "object_type": "MEMBER",
                    "xroad_instance": "AA",
                },
                "name": "Client One",
            },
            {
                "id": {
                    "member_class": "ENT",
                    "member_code": "CLIENT1",
                    "subsystem_code": "sub",
                    "object_type": "SUBSYSTEM",
                    "xroad_instance": "AA",
                },
                "name": "Client One",
                "subsystem_name": "Client One Sub",
            },
        ]
    }


def test_client_list_xml_is_the_shape_of_annex_a() -> None:
    entry = meta.ClientListEntry(CLIENT1_SUB, "Client One", "Client One Sub")
    root = etree.fromstring(meta.encode_client_list([entry]))
    assert root.tag == f"{{{XROAD}}}clientList"
    (member,) = root
    assert [child.tag for child in member] == [
        f"{{{XROAD}}}id",
        f"{{{XROAD}}}name",
        f"{{{XROAD}}}subsystemName",
    ]
    assert member[0].get(f"{{{ID}}}objectType") == "SUBSYSTEM"
    assert member[0].findtext(f"{{{ID}}}subsystemCode") == "sub"


def test_client_list_refusals() -> None:
    with pytest.raises(XRoadError) as caught:
        meta.decode_client_list(b'<x:other xmlns:x="http://x-road.eu/xsd/xroad.xsd"/>')
    assert caught.value.code == Code.INVALID_XML
    no_id = b'<x:clientList xmlns:x="http://x-road.eu/xsd/xroad.xsd"><x:member/></x:clientList>'
    with pytest.raises(XRoadError):
        meta.decode_client_list(no_id)


def test_method_list_answer_keeps_the_reference_request_header() -> None:
    request = _message("metaservice-queries", "listMethods.query")
    service = ServiceId(ClientId("EE", "BUSINESS", "producer", "SUB"), "getRandom", "v1")
    answer = parse_envelope(meta.method_list_response(request, [service]))
    assert isinstance(answer, SoapMessage)
    assert answer.header == request.header
    assert answer.body_name == "listMethodsResponse"
    assert answer.body_namespace == XROAD
    assert meta.decode_method_list(answer) == (service,)
    root = etree.fromstring(answer.xml)
    listed = root.find(f".//{{{XROAD}}}listMethodsResponse/{{{XROAD}}}service")
    assert listed is not None
    assert listed.get(f"{{{ID}}}objectType") == "SERVICE"
    with pytest.raises(XRoadError):
        meta.decode_method_list(request)  # a request is no method list


def test_get_wsdl_request_and_answer_of_the_reference_query() -> None:
    request = _message("metaservice-queries", "getWsdl.query")
    assert meta.decode_wsdl_request(request) == meta.WsdlRequest("getRandom")
    answer = parse_envelope(meta.wsdl_response(request))
    assert isinstance(answer, SoapMessage)
    assert answer.body_name == "getWsdlResponse"
    assert b"<xroad:serviceCode>getRandom</xroad:serviceCode>" in answer.xml
    empty = _message("metaservice-queries", "listMethods.query")
    with pytest.raises(XRoadError) as caught:
        meta.decode_wsdl_request(empty)
    assert caught.value.code == Code.INVALID_REQUEST


def test_hidden_wsdl_keeps_its_services_and_loses_its_addresses() -> None:
    original = (vectors.require_dir() / "services" / "testservice.wsdl").read_bytes()
    hidden = meta.hide_wsdl_endpoints(original)
    assert b"xroad-lxd-web.lxd" in original
    assert b"xroad-lxd-web.lxd" not in hidden
    before = [(op.code, op.version) for op in parse_wsdl(original)]
    after = parse_wsdl(hidden)
    assert [(op.code, op.version) for op in after] == before
    assert {op.url for op in after} == {meta.HIDDEN_ENDPOINT}


def test_rest_service_list_is_the_shape_of_pr_mrest_annex_b() -> None:
    provider = ClientId("INSTANCE", "CLASS2", "MEMBER2", "SUBSYSTEM2")
    details = meta.RestServiceDetails(
        ServiceId(provider, "kore"), "REST", (("GET", "/school"), ("PUT", "/school"))
    )
    assert json.loads(meta.encode_rest_services([details])) == {
        "service": [
            {
                "member_class": "CLASS2",
                "member_code": "MEMBER2",
                "object_type": "SERVICE",
                "service_code": "kore",
                "service_type": "REST",
                "subsystem_code": "SUBSYSTEM2",
                "xroad_instance": "INSTANCE",
                "endpoint_list": [
                    {"method": "GET", "path": "/school"},
                    {"method": "PUT", "path": "/school"},
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b'{"service": {}}',
        b'{"service": [{"object_type": "MEMBER"}]}',
        b'{"service": [{"object_type": "SERVICE", "xroad_instance": 1}]}',
        b"\xff",
    ],
)
def test_malformed_rest_service_lists_are_refused(data: bytes) -> None:
    with pytest.raises(XRoadError) as caught:
        meta.decode_rest_services(data)
    assert caught.value.code == Code.INVALID_MESSAGE
