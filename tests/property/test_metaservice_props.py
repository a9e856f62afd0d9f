"""Metaservice bodies: what one side encodes the other decodes unchanged, and any untrusted
input (a peer's answer, a stored description) ends in a value or an XRoadError, never worse."""

from __future__ import annotations

import contextlib
import json

from hypothesis import given
from hypothesis import strategies as st

from security_server.metaservices import documents
from tests.property import strategies as s
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message import metaservices as meta
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import SoapMessage

_names = st.none() | s.no_control_text.filter(lambda t: t == t.strip() and "\r" not in t)
entries = st.builds(meta.ClientListEntry, s.clients, _names, _names)
_methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "*"])
_paths = st.text(st.sampled_from("/abc*{}.-_"), max_size=20)
details = st.builds(
    meta.RestServiceDetails,
    s.services,
    st.sampled_from(["REST", "OPENAPI"]),
    st.lists(st.tuples(_methods, _paths), max_size=4).map(tuple),
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "service",
                    "object_type",
                    "xroad_instance",
                    "member_class",
                    "member_code",
                    "subsystem_code",
                    "service_code",
                    "service_type",
                    "endpoint_list",
                    "method",
                    "path",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@given(st.lists(entries, max_size=5))
def test_client_list_round_trips(listed: list[meta.ClientListEntry]) -> None:
    assert meta.decode_client_list(meta.encode_client_list(listed)) == tuple(listed)


@given(st.lists(details, max_size=4))
def test_rest_service_list_round_trips(listed: list[meta.RestServiceDetails]) -> None:
    assert meta.decode_rest_services(meta.encode_rest_services(listed)) == tuple(listed)


@given(st.binary(max_size=1024))
def test_arbitrary_bytes_raise_only_xroad_error(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        meta.decode_client_list(data)
    with contextlib.suppress(XRoadError):
        meta.decode_rest_services(data)
    with contextlib.suppress(XRoadError):
        meta.hide_wsdl_endpoints(data)
    with contextlib.suppress(XRoadError):
        documents.hide_openapi_servers(data)


@given(_json_values)
def test_json_shaped_service_lists_raise_only_xroad_error(value: object) -> None:
    with contextlib.suppress(XRoadError):
        meta.decode_rest_services(json.dumps({"service": [value]}).encode())


_LIST_METHODS = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
<SOAP-ENV:Header>
<xroad:client id:objectType="MEMBER"><id:xRoadInstance>EE</id:xRoadInstance>
<id:memberClass>GOV</id:memberClass><id:memberCode>c</id:memberCode></xroad:client>
<xroad:service id:objectType="SERVICE"><id:xRoadInstance>EE</id:xRoadInstance>
<id:memberClass>GOV</id:memberClass><id:memberCode>p</id:memberCode>
<id:serviceCode>listMethods</id:serviceCode></xroad:service>
<xroad:id>1</xroad:id><xroad:protocolVersion>4.0</xroad:protocolVersion>
</SOAP-ENV:Header><SOAP-ENV:Body><xroad:listMethods/></SOAP-ENV:Body></SOAP-ENV:Envelope>"""


@given(st.lists(s.services, max_size=5))
def test_method_lists_round_trip(services: list[ServiceId]) -> None:
    request = parse_envelope(_LIST_METHODS)
    assert isinstance(request, SoapMessage)
    answer = parse_envelope(meta.method_list_response(request, services))
    assert isinstance(answer, SoapMessage)
    assert answer.header == request.header
    assert meta.decode_method_list(answer) == tuple(services)


@given(s.parts, st.none() | s.parts)
def test_wsdl_requests_round_trip(code: str, version: str | None) -> None:
    wanted = meta.WsdlRequest(code, version)
    request = parse_envelope(
        meta.encode_wsdl_request(
            ClientId("EE", "GOV", "c"),
            ServiceId(ClientId("EE", "GOV", "p"), meta.GET_WSDL),
            wanted,
            message_id="1",
            user_id="u",
        )
    )
    assert isinstance(request, SoapMessage)
    assert meta.decode_wsdl_request(request) == wanted


_GET_WSDL = _LIST_METHODS.replace(b">listMethods<", b">getWsdl<").replace(
    b"<xroad:listMethods/>",
    b"<xroad:getWsdl><xroad:serviceCode>getRandom</xroad:serviceCode>"
    b"<xroad:serviceVersion>v1</xroad:serviceVersion></xroad:getWsdl>",
)


@given(st.data())
def test_mutated_get_wsdl_requests_end_in_a_value_or_xroad_error(data: st.DataObject) -> None:
    mutated = bytearray(_GET_WSDL)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    with contextlib.suppress(XRoadError):
        request = parse_envelope(bytes(mutated))
        if isinstance(request, SoapMessage):
            wanted = meta.decode_wsdl_request(request)
            assert wanted.service_code.strip()
            meta.wsdl_response(request)
            meta.method_list_response(request, [])
