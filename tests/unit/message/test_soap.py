"""SOAP message protocol 4.0: envelopes, header rules, body wrapper, consistency, faults."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import ClientId
from vdx.message import faults, requesthash, soap_request
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import SoapFault, SoapMessage
from vdx.message.soap_rules import check_response

HEADER = """
<xroad:client id:objectType="SUBSYSTEM">
  <id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
  <id:memberCode>1234</id:memberCode><id:subsystemCode>CLIENT</id:subsystemCode>
</xroad:client>
<xroad:service id:objectType="SERVICE">
  <id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
  <id:memberCode>5678</id:memberCode><id:subsystemCode>PROV</id:subsystemCode>
  <id:serviceCode>getRandom</id:serviceCode><id:serviceVersion>v1</id:serviceVersion>
</xroad:service>
<xroad:id>msg-1</xroad:id>
<xroad:userId>EE123</xroad:userId>
<xroad:protocolVersion>4.0</xroad:protocolVersion>
"""


def envelope(header: str = HEADER, body: str = "<p:getRandom/>", prefix: str = "s") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{prefix}:Envelope xmlns:{prefix}="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"
  xmlns:p="urn:prov">
<{prefix}:Header>{header}</{prefix}:Header>
<{prefix}:Body>{body}</{prefix}:Body>
</{prefix}:Envelope>""".encode()


def parse(data: bytes) -> SoapMessage:
    result = parse_envelope(data)
    assert isinstance(result, SoapMessage)
    return result


def code_of(data: bytes) -> Code | str:
    with pytest.raises(XRoadError) as caught:
        parse_envelope(data)
    return caught.value.code


def test_parses_header_fields_with_any_prefix() -> None:
    message = parse(envelope(prefix="soapenv"))
    header = message.header
    assert header.client == ClientId("EE", "GOV", "1234", "CLIENT")
    assert header.service.full_code == "getRandom.v1"
    assert (header.id, header.user_id, header.protocol_version) == ("msg-1", "EE123", "4.0")
    assert message.body_name == "getRandom"
    assert message.xml == envelope(prefix="soapenv")


def test_header_rules() -> None:
    assert code_of(envelope(HEADER + "<xroad:id>again</xroad:id>")) is Code.DUPLICATE_HEADER_FIELD
    no_id = HEADER.replace("<xroad:id>msg-1</xroad:id>", "")
    assert code_of(envelope(no_id)) is Code.MISSING_HEADER_FIELD
    v3 = HEADER.replace(">4.0<", ">3.1<")
    assert code_of(envelope(v3)) is Code.INVALID_PROTOCOL_VERSION
    assert code_of(envelope(body="<p:getRandom/><p:getRandom/>")) is Code.INVALID_BODY
    assert code_of(envelope(body="<p:other/>")) is Code.INCONSISTENT_HEADERS


def test_unknown_headers_pass_through() -> None:
    message = parse(envelope(HEADER + '<x:custom xmlns:x="urn:x">1</x:custom>'))
    assert message.header.id == "msg-1"


def test_represented_party_and_target_server() -> None:
    extra = """<repr:representedParty xmlns:repr="http://x-road.eu/xsd/representation.xsd">
      <repr:partyClass>COM</repr:partyClass><repr:partyCode>777</repr:partyCode>
    </repr:representedParty>
    <xroad:securityServer id:objectType="SERVER"><id:xRoadInstance>EE</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass><id:memberCode>5678</id:memberCode>
      <id:serverCode>SS1</id:serverCode></xroad:securityServer>"""
    header = parse(envelope(HEADER + extra)).header
    assert header.represented_party is not None
    assert header.represented_party.party_code == "777"
    assert header.security_server is not None
    assert header.security_server.server_code == "SS1"


def test_fault_is_recognised() -> None:
    body = """<s:Fault><faultcode>Server.ServerProxy.AccessDenied</faultcode>
      <faultstring>no</faultstring><detail><faultDetail>uuid-1</faultDetail></detail></s:Fault>"""
    fault = parse_envelope(envelope(body=body))
    assert isinstance(fault, SoapFault)
    assert (fault.code, fault.string, fault.detail) == (
        "Server.ServerProxy.AccessDenied",
        "no",
        "uuid-1",
    )


def test_soap_12_and_non_envelopes_are_refused() -> None:
    soap12 = envelope().replace(
        b"http://schemas.xmlsoap.org/soap/envelope/", b"http://www.w3.org/2003/05/soap-envelope"
    )
    assert code_of(soap12) is Code.INVALID_SOAP
    assert code_of(b"<a/>") is Code.INVALID_SOAP


def test_charset_from_content_type_wins() -> None:
    latin = envelope(body="<p:getRandom>\xe4</p:getRandom>").replace(b"UTF-8", b"ISO-8859-1")
    latin = latin.decode().encode("latin-1")
    decoded = soap_request.decode(latin, "text/xml; charset=ISO-8859-1")
    assert decoded.message.charset == "iso-8859-1"


def test_utf8_bom_is_accepted() -> None:
    decoded = soap_request.decode(b"\xef\xbb\xbf" + envelope(), "text/xml; charset=utf-8")
    assert decoded.message.header.id == "msg-1"


def test_swa_and_mtom() -> None:
    soap = envelope()
    body = (
        b"--b1\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n" + soap + b"\r\n"
        b"--b1\r\nContent-Type: application/octet-stream\r\nContent-ID: <att1>\r\n\r\n\x00\x01\r\n"
        b"--b1--\r\n"
    )
    swa = soap_request.decode(body, 'multipart/related; type="text/xml"; boundary=b1')
    assert [(a.content_id, a.data) for a in swa.attachments] == [("att1", b"\x00\x01")]
    assert not swa.is_mtom
    mtom_body = body.replace(b"Content-Type: text/xml", b"Content-Type: application/xop+xml")
    mtom = soap_request.decode(
        mtom_body, 'multipart/related; type="application/xop+xml"; boundary=b1'
    )
    assert mtom.is_mtom
    with pytest.raises(XRoadError) as caught:
        soap_request.decode(envelope(), "application/json")
    assert caught.value.code is Code.INVALID_CONTENT_TYPE


def test_response_must_echo_request_and_its_hash() -> None:
    request = parse(envelope())
    digest = base64.b64encode(hashlib.sha512(request.xml).digest()).decode()
    hash_header = (
        f'<xroad:requestHash algorithmId="{requesthash.DigestAlgorithm.SHA512}">'
        f"{digest}</xroad:requestHash>"
    )
    response = parse(envelope(HEADER + hash_header, body="<p:getRandomResponse/>"))
    check_response(request, response, hash_required=True)

    forged = parse(
        envelope(HEADER + hash_header.replace(digest[:4], "AAAA"), "<p:getRandomResponse/>")
    )
    with pytest.raises(XRoadError) as caught:
        check_response(request, forged, hash_required=True)
    assert caught.value.code is Code.INCONSISTENT_RESPONSE

    other_id = parse(
        envelope(HEADER.replace("msg-1", "msg-2") + hash_header, "<p:getRandomResponse/>")
    )
    with pytest.raises(XRoadError):
        check_response(request, other_id, hash_required=True)

    without_hash = parse(envelope(HEADER, "<p:getRandomResponse/>"))
    check_response(request, without_hash, hash_required=False)
    with pytest.raises(XRoadError):
        check_response(request, without_hash, hash_required=True)


def test_unknown_hash_algorithm_is_refused() -> None:
    with pytest.raises(XRoadError) as caught:
        requesthash.check(b"x", "AAAA", "urn:md5")
    assert caught.value.code is Code.UNSUPPORTED_ALGORITHM


def test_soap_fault_rendering_carries_code_message_and_detail_only() -> None:
    error = XRoadError(Code.ACCESS_DENIED, "Request is not allowed\x00")
    rendered = faults.soap_fault(error, Origin.SERVER_PROXY)
    fault = parse_envelope(rendered.body)
    assert isinstance(fault, SoapFault)
    assert rendered.status == 500
    assert fault.code == "Server.ServerProxy.AccessDenied"
    assert fault.string == "Request is not allowed"
    assert fault.detail == error.detail


def test_rest_error_rendering() -> None:
    error = XRoadError(Code.INVALID_REQUEST, "bad", Origin.CLIENT)
    rendered = faults.rest_error(error)
    assert rendered.status == 400
    assert dict(rendered.headers)["X-Road-Error"] == "Client.InvalidRequest"
    assert json.loads(rendered.body) == {
        "type": "Client.InvalidRequest",
        "message": "bad",
        "detail": error.detail,
    }
    server_side = faults.rest_error(XRoadError(Code.SERVICE_FAILED, "down"), Origin.SERVER_PROXY)
    assert server_side.status == 500
    as_xml = faults.rest_error(error, accept="text/xml, */*;q=0.1")
    assert b"<type>Client.InvalidRequest</type>" in as_xml.body
