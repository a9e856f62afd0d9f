"""A REST r1 exchange through the pure core, and the ways it is refused."""

from __future__ import annotations

import dataclasses

import pytest

from security_server.exchange import (
    PreparedRestRequest,
    RestCall,
    RestReply,
    VerifiedRestRequest,
    build_rest_response,
    check_rest_response,
    prepare_rest_request,
    verify_rest_request,
)
from security_server.exchange import signing as exchange_signing
from security_server.exchange.rest_client import error_of, rest_data_parts
from security_server.serverconf.model import ClientState
from tests.unit.crypto import pki
from tests.unit.security_server import exchange_support as fed
from tests.unit.security_server.exchange_support import refused, wire
from vdx.crypto.xades_create import DataPart
from vdx.errors import Origin, XRoadError
from vdx.message import faults, rest_part, transport, transport_encode
from vdx.message.transport import TransportMessage

CLIENT_HEADER = ("X-Road-Client", "EE/BUSINESS/consumer/APP")
PETS = "/r1/EE/BUSINESS/producer/REST/pets"


def call(method: str = "GET", path: str = "/pets/7?full=yes", **kw: object) -> RestCall:
    headers = kw.pop("headers", (CLIENT_HEADER, ("Accept", "application/json"), ("Host", "x")))
    return RestCall(method, PETS + path, headers, kw.pop("body", None))  # type: ignore[arg-type]


def prepare(rest_call: RestCall | None = None, **overrides: object) -> PreparedRestRequest:
    options: dict[str, object] = {
        "conf": fed.configuration(),
        "serverconf": fed.consumer_serverconf(),
        "signing_material": fed.signing("consumer"),
        "auth_ocsp_responses": (fed.ocsp(fed.auth_cert("SS-C")),),
        "now": fed.NOW,
        "message_id": "id-1",
    }
    options.update(overrides)
    return prepare_rest_request(rest_call or call(), **options)  # type: ignore[arg-type]


def verify(message: TransportMessage, **overrides: object) -> VerifiedRestRequest:
    conf = fed.configuration()
    options: dict[str, object] = {
        "peer_cert": fed.auth_cert("SS-C"),
        "conf": conf,
        "serverconf": fed.producer_rest_serverconf(),
        "trust": conf.trust,
        "now": fed.NOW,
    }
    options.update(overrides)
    return verify_rest_request(wire(message), **options)  # type: ignore[arg-type]


def respond(verified: VerifiedRestRequest, reply: RestReply | None = None) -> TransportMessage:
    reply = reply or RestReply(
        200,
        "OK",
        (("Content-Type", "application/json"), ("X-Road-Request-Hash", "Zm9yZ2Vk")),
        b'{"id": 7}',
    )
    return wire(
        build_rest_response(verified, reply, signing_material=fed.signing("producer"), now=fed.NOW)
    )


def check(prepared: PreparedRestRequest, response: TransportMessage) -> RestReply:
    conf = fed.configuration()
    return check_rest_response(prepared, response, trust=conf.trust, conf=conf, now=fed.NOW)


def test_get_round_trip_through_bytes() -> None:
    prepared = prepare()
    assert prepared.message.part_kinds == ["ocsp", "rest-request", "signature"]
    assert ("X-Road-Id", "id-1") in prepared.part.headers
    assert all(name != "Host" for name, _ in prepared.part.headers)
    verified = verify(prepared.message)
    assert verified.service.service_id == fed.PETS
    assert verified.service_url() == "http://pets.producer.test/api/pets/7?full=yes"
    assert ("Accept", "application/json") in verified.service_headers()
    reply = check(prepared, respond(verified))
    assert reply.status == 200
    assert reply.body == b'{"id": 7}'
    assert reply.header("X-Road-Request-Hash") == prepared.request_hash
    assert [v for n, v in reply.headers if n == "X-Road-Request-Hash"] == [prepared.request_hash]


def test_post_with_body_round_trip_uses_hash_chains() -> None:
    prepared = prepare(call("POST", "/pets", body=b'{"name": "Rex"}'))
    assert prepared.message.hash_chain is not None
    verified = verify(prepared.message)
    assert verified.body == b'{"name": "Rex"}'
    reply = check(prepared, respond(verified, RestReply(201, "Created", (), b'{"id": 8}')))
    assert reply.status == 201
    assert reply.body == b'{"id": 8}'


# ---------------------------------------------------------------- refusals


def test_callers_mistakes_are_client_faults() -> None:
    no_client = call(headers=(("Accept", "*/*"),))
    assert refused(prepare, no_client).fault_code == "Client.MissingHeaderField"
    bad_target = RestCall("GET", "/r2/EE", (CLIENT_HEADER,))
    assert refused(prepare, bad_target).fault_code == "Client.BadRequest"
    traversal = call("GET", "/pets/../admin")
    assert refused(prepare, traversal).fault_code == "Client.BadRequest"


def test_unregistered_client() -> None:
    serverconf = fed.consumer_serverconf(ClientState.SAVED)
    error = refused(prepare, serverconf=serverconf)
    assert error.fault_code == "Server.ClientProxy.UnknownMember"


@pytest.mark.parametrize(
    ("rest_call", "serverconf", "expected"),
    [
        (call("DELETE", "/pets/7"), None, "Server.ServerProxy.AccessDenied"),
        (call("GET", "/pets/7/owner"), None, "Server.ServerProxy.AccessDenied"),
        (call(), fed.producer_rest_serverconf(disabled="closed today"), "ServiceDisabled"),
        (
            RestCall("GET", "/r1/EE/BUSINESS/producer/REST/cats/1", (CLIENT_HEADER,)),
            None,
            "Server.ServerProxy.UnknownService",
        ),
    ],
)
def test_provider_service_checks(rest_call: RestCall, serverconf: object, expected: str) -> None:
    prepared = prepare(rest_call)
    overrides = {"serverconf": serverconf} if serverconf is not None else {}
    error = refused(verify, prepared.message, **overrides)
    assert error.fault_code.endswith(expected)
    assert error.origin is Origin.SERVER_PROXY


def test_peer_auth_cert_not_registered() -> None:
    error = refused(verify, prepare().message, peer_cert=pki.pki().auth)
    assert error.fault_code == "Server.ServerProxy.SslAuthenticationFailed"


def test_tampered_body_is_refused() -> None:
    prepared = prepare(call("POST", "/pets", body=b'{"name": "Rex"}'))
    encoded = transport_encode.encode(prepared.message)
    tampered = transport.decode(encoded.body.replace(b"Rex", b"Rax"), encoded.content_type)
    error = refused(
        verify_rest_request,
        tampered,
        peer_cert=fed.auth_cert("SS-C"),
        conf=fed.configuration(),
        serverconf=fed.producer_rest_serverconf(),
        trust=fed.configuration().trust,
        now=fed.NOW,
    )
    assert error.origin is Origin.SERVER_PROXY
    assert error.code in {"InvalidHashChainRef", "InvalidReference"}


def test_signer_is_not_the_client_member() -> None:
    prepared = prepare(signing_material=fed.signing("producer"))
    error = refused(verify, prepared.message)
    assert error.fault_code == "Server.ServerProxy.IncorrectCertificate"


def signed_reply(headers: tuple[tuple[str, str], ...]) -> TransportMessage:
    part = rest_part.RestResponsePart(200, "OK", headers)
    encoded = part.encode()
    parts = [DataPart("/message.xml", encoded, rest_part.REST_RESPONSE_TYPE)]
    signed = exchange_signing.sign_parts(parts, fed.signing("producer"), fed.NOW)
    return wire(TransportMessage(rest_response=part, signature=signed.signature))


@pytest.mark.parametrize("headers", [(), (("X-Road-Request-Hash", "Zm9yZ2Vk"),)])
def test_missing_or_forged_request_hash(headers: tuple[tuple[str, str], ...]) -> None:
    prepared = prepare()
    error = refused(check, prepared, signed_reply(headers))
    assert error.fault_code == "Server.ClientProxy.ServiceFailed.InconsistentResponse"


def test_provider_fault_is_raised_with_its_own_origin() -> None:
    prepared = prepare()
    fault = faults.soap_fault(XRoadError("AccessDenied", "no", Origin.SERVER_PROXY))
    error = refused(check, prepared, transport.decode(fault.body, fed.TEXT))
    assert error.fault_code == "Server.ServerProxy.AccessDenied"
    rendered = faults.rest_error(error, Origin.CLIENT_PROXY)
    assert ("X-Road-Error", "Server.ServerProxy.AccessDenied") in rendered.headers


def test_error_of_unknown_prefix() -> None:
    fault = transport.decode(faults.soap_fault(XRoadError("X", "m")).body, fed.TEXT).fault
    assert fault is not None
    assert error_of(dataclasses.replace(fault, code="Weird")).fault_code == "Server.Weird"
    assert rest_data_parts(b"h", None)[0].uri == "/message.xml"


def test_every_request_gets_the_security_servers_own_request_id() -> None:
    """pr-rest, use of HTTP headers: X-Road-Request-Id is added by the security server,
    replacing one the caller sent, inside the signed request part."""
    given = (CLIENT_HEADER, ("X-Road-Request-Id", "chosen-by-caller"), ("Host", "x"))
    prepared = prepare(call(headers=given), request_id="rid-1")
    ids = [v for n, v in prepared.part.headers if n.lower() == "x-road-request-id"]
    assert ids == ["rid-1"]
    fresh = prepare(call())
    (generated,) = [v for n, v in fresh.part.headers if n.lower() == "x-road-request-id"]
    assert len(generated) == 36  # a UUID
    assert verify(fresh.message).part.headers == fresh.part.headers
