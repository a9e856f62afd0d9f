"""Every way a SOAP exchange is refused, with the X-Road code and the party at fault."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

import pytest
from lxml import etree

from security_server.exchange import build_soap_response, prepare_soap_request
from security_server.exchange import signing as exchange_signing
from security_server.exchange.model import PreparedRequest
from security_server.exchange.soap_client import data_parts
from security_server.serverconf.model import ClientState, ServerIdentity
from tests.unit.crypto import pki
from tests.unit.security_server import exchange_support as fed
from tests.unit.security_server.exchange_support import (
    answer,
    check,
    prepare,
    refused,
    respond,
    verify,
    wire,
)
from vdx.crypto.xades_create import CallableSigner
from vdx.identifiers import SecurityServerId
from vdx.message import soap_request, transport, transport_encode
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import SoapMessage
from vdx.message.transport import TransportMessage

pytestmark = pytest.mark.usefixtures("vectors_dir")


def renamed(service_code: str) -> fed.Query:
    return fed.query("getstate.query", {"getState": service_code})


def prepare_query(q: fed.Query, **overrides: object) -> PreparedRequest:
    request = soap_request.decode(q.body, q.content_type)
    options: dict[str, object] = {
        "conf": fed.configuration(),
        "serverconf": fed.consumer_serverconf(),
        "signing_material": fed.signing("consumer"),
        "auth_ocsp_responses": (fed.ocsp(fed.auth_cert("SS-C")),),
        "now": fed.NOW,
    }
    options.update(overrides)
    return prepare_soap_request(request, **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------- client proxy


@pytest.mark.parametrize("state", [None, ClientState.SAVED, ClientState.REGISTRATION_IN_PROGRESS])
def test_client_not_registered_here(state: ClientState | None) -> None:
    serverconf = fed.consumer_serverconf(state or ClientState.REGISTERED)
    if state is None:
        serverconf = dataclasses.replace(serverconf, clients={})
    error = refused(prepare, serverconf=serverconf)
    assert error.fault_code == "Server.ClientProxy.UnknownMember"


def test_provider_without_security_server() -> None:
    q = fed.query("getstate.query", {"producer": "stranger"})
    error = refused(prepare_query, q)
    assert error.fault_code == "Server.ClientProxy.UnknownMember"
    assert "service provider" in error.message


def test_expired_global_configuration_stops_traffic() -> None:
    conf = fed.configuration(expire=fed.NOW - timedelta(seconds=1))
    assert refused(prepare, conf=conf).fault_code == "Server.ClientProxy.OutdatedGlobalConf"
    prepared = prepare()
    error = refused(verify, prepared.message, conf=conf)
    assert error.fault_code == "Server.ServerProxy.OutdatedGlobalConf"


# ---------------------------------------------------------------- server proxy: services


@pytest.mark.parametrize(
    ("service_code", "expected"),
    [
        ("missing", "Server.ServerProxy.UnknownService"),
        ("closed", "Server.ServerProxy.AccessDenied"),
        ("hidden", "Server.ServerProxy.ServiceDisabled"),
    ],
)
def test_service_checks(service_code: str, expected: str) -> None:
    prepared = prepare_query(renamed(service_code))
    error = refused(verify, prepared.message)
    assert error.fault_code == expected


def test_disabled_service_carries_the_notice() -> None:
    prepared = prepare_query(renamed("hidden"))
    error = refused(verify, prepared.message)
    assert fed.DISABLED_NOTICE in error.message


def test_request_targeting_another_server_is_refused() -> None:
    target = (
        '<xroad:securityServer id:objectType="SERVER"><id:xRoadInstance>EE</id:xRoadInstance>'
        "<id:memberClass>BUSINESS</id:memberClass><id:memberCode>producer</id:memberCode>"
        "<id:serverCode>SS-P</id:serverCode></xroad:securityServer><xroad:protocolVersion>"
    )
    q = fed.query("getstate.query", {"<xroad:protocolVersion>": target})
    prepared = prepare_query(q)
    assert verify(prepared.message).service.service_id == fed.GET_STATE
    other = ServerIdentity(SecurityServerId(fed.PRODUCER, "SS-P2"))
    serverconf = dataclasses.replace(fed.producer_serverconf(), identity=other)
    error = refused(verify, prepared.message, serverconf=serverconf)
    assert error.fault_code == "Server.ServerProxy.InvalidSecurityServer"


# ---------------------------------------------------------------- server proxy: TLS peer


def test_peer_auth_cert_not_registered() -> None:
    prepared = prepare()
    error = refused(verify, prepared.message, peer_cert=pki.pki().auth)
    assert error.fault_code == "Server.ServerProxy.SslAuthenticationFailed"


def test_peer_server_does_not_serve_the_client() -> None:
    prepared = prepare()
    error = refused(verify, prepared.message, peer_cert=fed.auth_cert("SS-P"))
    assert error.fault_code == "Server.ServerProxy.SslAuthenticationFailed"


def test_peer_without_certificate_or_ocsp() -> None:
    prepared = prepare()
    assert refused(verify, prepared.message, peer_cert=None).code == "SslAuthenticationFailed"
    bare = prepare(auth_ocsp_responses=())
    assert refused(verify, bare.message).code == "SslAuthenticationFailed"


def test_peer_auth_cert_revoked() -> None:
    revoked = (fed.ocsp(fed.auth_cert("SS-C"), status="revoked"),)
    prepared = prepare(auth_ocsp_responses=revoked)
    error = refused(verify, prepared.message)
    assert error.origin is not None
    assert error.fault_code.startswith("Server.ServerProxy.")
    assert error.code == "SslAuthenticationFailed"


# ---------------------------------------------------------------- server proxy: signature


def flip_in_body(message: TransportMessage, old: bytes, new: bytes) -> TransportMessage:
    encoded = transport_encode.encode(message)
    assert old in encoded.body
    return transport.decode(encoded.body.replace(old, new, 1), encoded.content_type)


def test_changed_soap_part_is_refused() -> None:
    prepared = prepare()
    tampered = flip_in_body(prepared.message, b">a\xc3\xa4", b">b\xc3\xa4")
    error = refused(verify, tampered)
    assert error.fault_code == "Server.ServerProxy.InvalidReference"


def test_changed_attachment_is_refused() -> None:
    prepared = prepare("attachm.query")
    tampered = flip_in_body(prepared.message, b"blaah", b"blaaH")
    error = refused(verify, tampered)
    assert error.fault_code.startswith("Server.ServerProxy.")
    assert error.code in {"InvalidHashChain", "InvalidHashChainRef", "InvalidReference"}


def test_changed_signature_value_is_refused() -> None:
    prepared = prepare()
    assert prepared.message.signature is not None
    root = etree.fromstring(prepared.message.signature)
    value = root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
    assert value is not None
    assert value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[5] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    message = dataclasses.replace(prepared.message, signature=etree.tostring(root))
    error = refused(verify, message)
    assert error.fault_code == "Server.ServerProxy.InvalidSignatureValue"


def test_missing_signature_is_refused() -> None:
    prepared = prepare()
    message = dataclasses.replace(prepared.message, signature=None)
    assert refused(verify, message).fault_code == "Server.ServerProxy.MissingSignature"


def test_revoked_sign_cert_is_refused() -> None:
    prepared = prepare(signing_material=fed.signing("consumer", status="revoked"))
    error = refused(verify, prepared.message)
    assert error.fault_code == "Server.ServerProxy.CertValidation"


def test_stale_ocsp_of_sign_cert_is_refused() -> None:
    stale = fed.signing("consumer", age=timedelta(hours=2))
    prepared = prepare(signing_material=stale)
    error = refused(verify, prepared.message)
    assert error.fault_code.startswith("Server.ServerProxy.")
    assert error.code == "IncorrectValidationInfo"


def test_signer_is_not_the_client_member() -> None:
    prepared = prepare(signing_material=fed.signing("producer"))
    error = refused(verify, prepared.message)
    assert error.fault_code == "Server.ServerProxy.IncorrectCertificate"


# ---------------------------------------------------------------- provider's service answer


def test_malformed_service_answer_is_the_services_failure() -> None:
    verified = verify(prepare().message)
    error = refused(respond, verified, b"", fed.TEXT)
    assert error.fault_code == "Server.ServerProxy.ServiceFailed.InvalidSoap"


def test_service_written_request_hash_is_replaced() -> None:
    prepared = prepare()
    verified = verify(prepared.message)
    forged = b"<xroad:requestHash>Zm9yZ2Vk</xroad:requestHash><xroad:protocolVersion>"
    body = answer(verified).replace(b"<xroad:protocolVersion>", forged, 1)
    response = respond(verified, body, fed.TEXT)
    assert response.soap is not None
    assert response.soap.xml.count(b"requestHash>") == 1
    assert b"Zm9yZ2Vk" not in response.soap.xml
    assert check(prepared, response).status == 200


# ---------------------------------------------------------------- client proxy: the answer


def signed_response(body: bytes, member: str = "producer") -> TransportMessage:
    """A response signed as it stands, without the provider server's request hash."""
    soap = parse_envelope(body)
    assert isinstance(soap, SoapMessage)
    parts = data_parts(body, fed.TEXT, ())
    signed = exchange_signing.sign_parts(parts, fed.signing(member), fed.NOW)
    return wire(
        TransportMessage(soap=soap, signature=signed.signature, message_content_type=fed.TEXT)
    )


def test_response_without_request_hash_is_refused() -> None:
    prepared = prepare()
    response = signed_response(fed.service_answer(prepared.request.xml, "getState"))
    error = refused(check, prepared, response)
    assert error.fault_code == "Server.ClientProxy.ServiceFailed.InconsistentResponse"


def test_forged_request_hash_is_refused() -> None:
    prepared = prepare()
    forged = b"<xroad:requestHash>Zm9yZ2Vk</xroad:requestHash><xroad:protocolVersion>"
    body = fed.service_answer(prepared.request.xml, "getState")
    response = signed_response(body.replace(b"<xroad:protocolVersion>", forged, 1))
    error = refused(check, prepared, response)
    assert error.fault_code == "Server.ClientProxy.ServiceFailed.InconsistentResponse"


def test_inconsistent_response_is_refused() -> None:
    prepared = prepare()
    verified = verify(prepared.message)
    body = answer(verified).replace(b"411d6755661409fed365ad8135f8210be07613da", b"other-id")
    response = respond(verified, body, fed.TEXT)
    error = refused(check, prepared, response)
    assert error.fault_code == "Server.ClientProxy.ServiceFailed.InconsistentResponse"


def test_response_signed_by_another_member_is_refused() -> None:
    prepared = prepare()
    verified = verify(prepared.message)
    response = wire(
        build_soap_response(
            verified,
            answer(verified),
            fed.TEXT,
            signing_material=fed.signing("consumer"),
            now=fed.NOW,
        )
    )
    error = refused(check, prepared, response)
    assert error.fault_code == "Server.ClientProxy.IncorrectCertificate"


def test_tampered_response_is_refused() -> None:
    prepared = prepare()
    verified = verify(prepared.message)
    response = respond(verified, answer(verified), fed.TEXT)
    tampered = flip_in_body(response, b">a\xc3\xa4", b">b\xc3\xa4")
    error = refused(check, prepared, tampered)
    assert error.fault_code == "Server.ClientProxy.InvalidReference"


def test_response_sign_cert_with_stale_ocsp_is_refused() -> None:
    prepared = prepare()
    verified = verify(prepared.message)
    stale = fed.signing("producer", age=timedelta(hours=2))
    response = wire(
        build_soap_response(
            verified, answer(verified), fed.TEXT, signing_material=stale, now=fed.NOW
        )
    )
    error = refused(check, prepared, response)
    assert error.fault_code == "Server.ClientProxy.IncorrectValidationInfo"


def test_failing_key_is_cannot_create_signature() -> None:
    def broken(_data: bytes) -> bytes:
        raise RuntimeError("token removed")

    material = dataclasses.replace(
        fed.signing("consumer"),
        key=CallableSigner(broken, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"),
    )
    error = refused(prepare, signing_material=material)
    assert error.fault_code == "Server.ClientProxy.CannotCreateSignature"
