"""A SOAP exchange through the pure core: client proxy -> server proxy -> back, as bytes."""

from __future__ import annotations

import pytest

from security_server.exchange import (
    PreparedRequest,
    prepare_soap_request,
)
from security_server.exchange import signing as exchange_signing
from security_server.exchange.soap_client import data_parts
from tests.unit.security_server import exchange_support as fed
from tests.unit.security_server.exchange_support import (
    answer,
    check,
    prepare,
    refused,
    respond,
    verify,
)
from vdx.errors import Origin, XRoadError
from vdx.message import faults, soap_request, transport
from vdx.message.transport import TransportMessage

pytestmark = pytest.mark.usefixtures("vectors_dir")


# ---------------------------------------------------------------- the happy paths


def test_getstate_round_trip_through_bytes() -> None:
    prepared = prepare()
    assert [t.server_id for t in prepared.targets] == [fed.SS_P]
    assert prepared.targets[0].address == "ss-p.test"
    assert prepared.message.part_kinds == ["ocsp", "soap", "signature"]
    verified = verify(prepared.message)
    assert verified.client == fed.CONSUMER
    assert verified.peer_server == fed.SS_C
    assert verified.service.service_id == fed.GET_STATE
    body, content_type = verified.service_request()
    assert body == prepared.request.xml
    response = respond(verified, answer(verified), content_type)
    result = check(prepared, response)
    assert result.status == 200
    assert result.response.body_name == "getStateResponse"
    assert b"requestHash" in result.body


def test_attachments_round_trip_with_hash_chains() -> None:
    prepared = prepare("attachm.query")
    assert prepared.message.part_kinds == [
        "ocsp",
        "soap",
        "attachment",
        "hash-chain-result",
        "hash-chain",
        "signature",
    ]
    verified = verify(prepared.message)
    assert len(verified.attachments) == 1
    body, content_type = verified.service_request()
    assert content_type.startswith("multipart/related")
    service_body = fed.service_answer(body, "test")
    response = respond(verified, service_body, content_type)
    assert response.hash_chain is not None
    result = check(prepared, response)
    assert result.status == 200
    assert result.attachments[0].data == prepared.attachments[0].data
    assert result.content_type.startswith("multipart/related")


def test_several_attachments_round_trip() -> None:
    prepared = prepare("attachments.query")
    verified = verify(prepared.message)
    assert len(verified.attachments) == len(prepared.attachments) > 1
    body, content_type = verified.service_request()
    code = verified.request.header.service.service_code
    result = check(prepared, respond(verified, fed.service_answer(body, code), content_type))
    assert result.status == 200


def test_service_fault_is_signed_and_passed_through() -> None:
    prepared = prepare()
    verified = verify(prepared.message)
    error = XRoadError("Custom", "the service says no")
    rendered = faults.soap_fault(error, Origin.SERVER)
    response = respond(verified, rendered.body, fed.TEXT)
    assert response.fault is not None
    assert response.signature is not None
    result = check(prepared, response)
    assert result.status == 500
    assert result.fault.code == "Server.Custom"


def test_unsigned_fault_of_the_provider_server_is_passed_through() -> None:
    prepared = prepare()
    error = XRoadError("AccessDenied", "no", Origin.SERVER_PROXY)
    rendered = faults.soap_fault(error)
    response = transport.decode(rendered.body, fed.TEXT)
    result = check(prepared, response)
    assert result.fault.code == "Server.ServerProxy.AccessDenied"


TARGET = (
    '<xroad:securityServer id:objectType="SERVER"><id:xRoadInstance>EE</id:xRoadInstance>'
    "<id:memberClass>BUSINESS</id:memberClass><id:memberCode>producer</id:memberCode>"
    "<id:serverCode>{code}</id:serverCode></xroad:securityServer><xroad:protocolVersion>"
)


def targeted(code: str) -> soap_request.SoapRequest:
    q = fed.query("getstate.query", {"<xroad:protocolVersion>": TARGET.format(code=code)})
    return soap_request.decode(q.body, q.content_type)


def prepare_targeted(code: str) -> PreparedRequest:
    return prepare_soap_request(
        targeted(code),
        conf=fed.configuration(),
        serverconf=fed.consumer_serverconf(),
        signing_material=fed.signing("consumer"),
        auth_ocsp_responses=(),
        now=fed.NOW,
    )


def test_targeting_the_providers_server() -> None:
    assert [t.server_id for t in prepare_targeted("SS-P").targets] == [fed.SS_P]


def test_targeting_an_unknown_server() -> None:
    error = refused(prepare_targeted, "SS-X")
    assert error.fault_code == "Server.ClientProxy.InvalidSecurityServer"


def test_batch_signature_covers_each_message() -> None:
    """Concurrent requests of one member can share one signing operation (hash chains)."""
    first, second = prepare(), prepare("attachm.query")
    batch = [
        data_parts(first.request.xml, fed.TEXT, ()),
        data_parts(second.request.xml, fed.TEXT, second.attachments),
    ]
    signed = exchange_signing.sign_batch(batch, fed.signing("consumer"), fed.NOW)
    assert signed[0].signature == signed[1].signature
    for prepared, parts in zip((first, second), signed, strict=True):
        message = TransportMessage(
            ocsp_responses=prepared.message.ocsp_responses,
            soap=prepared.request,
            attachments=prepared.attachments,
            hash_chain_result=parts.hash_chain_result,
            hash_chain=parts.hash_chain,
            signature=parts.signature,
            message_content_type=fed.TEXT,
        )
        assert verify(message).client == fed.CONSUMER
