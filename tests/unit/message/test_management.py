"""Management request codec (vdx/message/management.py): bodies, multipart layout, responses."""

from __future__ import annotations

import pytest

from tests.unit.central_server.test_management_support import (
    COM,
    COM_SUB,
    GOV_SUB,
    SS1,
    auth_cert_reg,
    body_for,
    signed,
    soap_for,
)
from vdx.errors import Code, XRoadError
from vdx.message import multipart
from vdx.message.management import (
    SCHEMA,
    ManagementBody,
    ManagementLimits,
    RequestType,
    decode_request,
    decode_response,
    encode_response,
)

T = RequestType

# The authCertReg example of pr-mserv Annex A.3 (certificate shortened to a valid base64 blob).
ANNEX_A3 = b"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:id="http://x-road.eu/xsd/identifiers" xmlns:xroad="http://x-road.eu/xsd/xroad.xsd">
    <SOAP-ENV:Header>
        <xroad:client id:objectType="MEMBER">
            <id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
            <id:memberCode>TS1OWNER</id:memberCode>
        </xroad:client>
        <xroad:service id:objectType="SERVICE">
            <id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
            <id:memberCode>TS1OWNER</id:memberCode><id:serviceCode>authCertReg</id:serviceCode>
        </xroad:service>
        <xroad:id>9a82c2d1-27d6-4053-85a7-f37327c6dba7</xroad:id>
        <xroad:protocolVersion>4.0</xroad:protocolVersion>
    </SOAP-ENV:Header>
    <SOAP-ENV:Body>
        <xroad:authCertReg>
            <xroad:server id:objectType="SERVER">
                <id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
                <id:memberCode>TS1OWNER</id:memberCode><id:serverCode>TS1</id:serverCode>
            </xroad:server>
            <xroad:address>192.168.74.202</xroad:address>
            <xroad:authCert>
                MIIDtzCCAp+gAwIBAgII
                aAPFaI/REfAw
            </xroad:authCert>
        </xroad:authCertReg>
    </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"""


def _multipart(soap: bytes, n_binary: int, n_sig: int) -> tuple[bytes, str]:
    parts = [multipart.Part((("Content-Type", "text/xml; charset=UTF-8"),), soap)]
    parts += [
        multipart.Part(
            (
                ("Content-Type", "application/octet-stream"),
                ("signature-algorithm-id", "SHA512withRSA"),
            ),
            b"sig",
        )
    ] * n_sig
    parts += [multipart.Part((("Content-Type", "application/octet-stream"),), b"bin")] * n_binary
    return multipart.build(parts, "jetty113950090iemuz6a3"), (
        "multipart/related; boundary=jetty113950090iemuz6a3"
    )


def test_annex_a3_layout_decodes() -> None:
    body, ctype = _multipart(ANNEX_A3, 3, 2)
    request = decode_request(body, ctype)
    assert request.body.type is T.AUTH_CERT_REG
    assert request.body.server.to_path() == "EE/GOV/TS1OWNER/TS1"
    assert request.body.address == "192.168.74.202"
    assert request.body.auth_cert is not None
    assert request.body.auth_cert.startswith(b"0\x82")
    assert request.auth_signature is not None
    assert request.owner_signature is not None
    assert request.signed_data == ANNEX_A3
    assert request.message_id == "9a82c2d1-27d6-4053-85a7-f37327c6dba7"


def test_auth_cert_reg_needs_six_parts() -> None:
    body, ctype = _multipart(ANNEX_A3, 2, 1)
    with pytest.raises(XRoadError, match="needs 6 MIME parts"):
        decode_request(body, ctype)


def test_signature_part_needs_algorithm() -> None:
    parts = [
        multipart.Part(
            (("Content-Type", "text/xml"),),
            soap_for(body_for(T.CLIENT_REG, server=SS1, client=COM_SUB)),
        ),
        multipart.Part((("Content-Type", "application/octet-stream"),), b"sig"),
        multipart.Part((("Content-Type", "application/octet-stream"),), b"c"),
        multipart.Part((("Content-Type", "application/octet-stream"),), b"o"),
    ]
    with pytest.raises(XRoadError, match="signature-algorithm-id"):
        decode_request(multipart.build(parts, "b"), "multipart/related; boundary=b")


@pytest.mark.parametrize("kind", list(RequestType))
def test_every_type_round_trips(kind: RequestType) -> None:
    values: dict[str, object] = {
        "server": SS1,
        "client": COM_SUB if kind is not T.OWNER_CHANGE else COM,
        "address": "ss1.example.vn",
        "authCert": b"\x30\x03\x02\x01\x01",
        "subsystemName": "Shop & co",
        "message": "back at 5 <pm>",
    }
    attrs = {"authCert": "auth_cert", "subsystemName": "subsystem_name"}
    fields = {attrs.get(name, name): values[name] for name, _ in SCHEMA[kind]}
    body = ManagementBody(type=kind, **fields)  # type: ignore[arg-type]
    soap = soap_for(body)
    request = decode_request(soap, "text/xml; charset=utf-8")
    assert request.body == body
    response = encode_response(request, 394)
    assert decode_response(response).request_id == 394
    assert decode_response(response).server == body.server


def test_signed_request_round_trips() -> None:
    body = auth_cert_reg()
    data, ctype = signed(body)
    request = decode_request(data, ctype)
    assert request.body == body
    assert request.auth_cert_part == body.auth_cert


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (
            lambda s: s.replace(b"<xroad:address>", b"<xroad:bogus>x</xroad:bogus><xroad:address>"),
            Code.INVALID_BODY,
        ),
        (lambda s: s.replace(b"authCertReg>", b"fooReg>"), None),
        (lambda s: s[:-40], Code.INVALID_SOAP),
        (lambda s: s.replace(b"<xroad:authCert>", b"<xroad:authCert>!!!"), Code.INVALID_BODY),
    ],
)
def test_malformed_bodies_are_refused(mutate: object, code: Code | None) -> None:
    soap = soap_for(auth_cert_reg())
    with pytest.raises(XRoadError) as caught:
        decode_request(mutate(soap), "text/xml")  # type: ignore[operator]
    if code is not None:
        assert caught.value.code == code


def test_missing_required_field() -> None:
    soap = soap_for(body_for(T.CLIENT_REG, server=SS1, client=GOV_SUB))
    broken = (
        soap.rsplit(b"<xroad:client ", 1)[0]
        + b"</xroad:clientReg></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    with pytest.raises(XRoadError, match="requires field 'client'"):
        decode_request(broken, "text/xml")


def test_size_limit_checked_first() -> None:
    with pytest.raises(XRoadError, match="larger than 100 bytes"):
        decode_request(b"x" * 101, "text/xml", ManagementLimits(max_bytes=100))


def test_wrong_content_type() -> None:
    with pytest.raises(XRoadError) as caught:
        decode_request(b"{}", "application/json")
    assert caught.value.code == Code.INVALID_CONTENT_TYPE
