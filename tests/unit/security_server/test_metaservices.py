"""Metaservice decisions and the provider's local answer, without sockets.

The provider side runs the whole chain in memory: SS-C prepares and signs a reference
``listMethods`` / ``allowedMethods`` query, SS-P verifies it (no access check, pr-meta §3) and
answers from its configuration, SS-C checks the signed answer as it would any other.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
import yaml

from security_server.exchange import check_soap_response, prepare_soap_request
from security_server.exchange.meta_server import verify_soap_metarequest
from security_server.metaservices import Environment, answer_soap, answers, consumer, documents
from security_server.serverconf.model import (
    BASE_ENDPOINT,
    ClientState,
    ConnectionType,
    DescriptionKind,
    Endpoint,
    ServerIdentity,
)
from security_server.serverconf.snapshot import (
    ClientEntry,
    Grant,
    ServerConfSnapshot,
    ServiceEntry,
    build_snapshot,
)
from tests.unit.security_server import exchange_support as es
from vdx.errors import Code, XRoadError
from vdx.identifiers import ServiceId
from vdx.message import metaservices as meta
from vdx.message import soap_request
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import SoapMessage
from vdx.message.soap_request import MessageLimits

pytestmark = pytest.mark.vectors

KORE = ServiceId(es.PRODUCER_REST, "kore")
PETS_CREATE = Endpoint("POST", "/pets")
SHADOW = ServiceId(es.PRODUCER, meta.LIST_METHODS)  # an operator's service of a meta name


def mixed_serverconf() -> ServerConfSnapshot:
    """SS-P with SOAP services on the member and REST services on its subsystem."""

    def entry(sid: ServiceId, kind: DescriptionKind, *endpoints: Endpoint) -> ServiceEntry:
        return ServiceEntry(sid, kind, "http://is.test/", 5, True, endpoints=endpoints)

    return build_snapshot(
        ServerIdentity(es.SS_P),
        [
            ClientEntry(es.PRODUCER, ClientState.REGISTERED, ConnectionType.HTTP),
            ClientEntry(es.PRODUCER_REST, ClientState.REGISTERED, ConnectionType.HTTP),
        ],
        [
            entry(es.GET_STATE, DescriptionKind.WSDL, BASE_ENDPOINT),
            entry(es.TEST, DescriptionKind.WSDL, BASE_ENDPOINT),
            entry(SHADOW, DescriptionKind.WSDL, BASE_ENDPOINT),
            entry(
                es.PETS,
                DescriptionKind.OPENAPI3,
                BASE_ENDPOINT,
                es.PETS_READ,
                Endpoint("POST", "/pets"),
            ),
            entry(KORE, DescriptionKind.REST, BASE_ENDPOINT, Endpoint("GET", "/school")),
        ],
        [
            Grant(es.GET_STATE, BASE_ENDPOINT, es.CONSUMER),
            Grant(es.PETS, BASE_ENDPOINT, es.CONSUMER_APP),
        ],
        {},
    )


# ---------------------------------------------------------------- answers


def test_client_list_has_members_then_their_subsystems() -> None:
    listed = answers.client_list(es.configuration())
    assert [e.client_id for e in listed] == [
        es.CONSUMER,
        es.CONSUMER_APP,
        es.PRODUCER,
        es.PRODUCER_REST,
        es.STRANGER,
    ]
    assert listed[1] == meta.ClientListEntry(es.CONSUMER_APP, "Consumer Ltd", None)
    assert answers.client_list(es.configuration(), "EE") == listed
    assert answers.client_list(es.configuration(), "FI") == ()


def test_soap_lists_hold_wsdl_services_and_never_a_metaservice_name() -> None:
    conf, sc = es.configuration(), mixed_serverconf()
    assert answers.soap_services(sc, es.PRODUCER) == (es.GET_STATE, es.TEST)
    assert answers.soap_allowed(sc, conf, es.PRODUCER, es.CONSUMER) == (es.GET_STATE,)
    assert answers.soap_allowed(sc, conf, es.PRODUCER, es.STRANGER) == ()
    assert answers.soap_services(sc, es.PRODUCER_REST) == ()


def test_rest_lists_hold_endpoints_without_the_base_endpoint() -> None:
    conf, sc = es.configuration(), mixed_serverconf()
    listed = answers.rest_services(sc, es.PRODUCER_REST)
    assert [(d.service_id, d.service_type, d.endpoints) for d in listed] == [
        (KORE, "REST", (("GET", "/school"),)),
        (es.PETS, "OPENAPI", (("GET", "/pets/*"), ("POST", "/pets"))),
    ]
    # A right on the base endpoint covers every endpoint of the service.
    (allowed,) = answers.rest_allowed(sc, conf, es.PRODUCER_REST, es.CONSUMER_APP)
    assert allowed.service_id == es.PETS
    assert allowed.endpoints == (("GET", "/pets/*"), ("POST", "/pets"))
    assert answers.rest_allowed(sc, conf, es.PRODUCER_REST, es.CONSUMER) == ()


def test_described_services_are_found_or_refused_with_the_reference_codes() -> None:
    sc = mixed_serverconf()
    wanted = meta.WsdlRequest("getState")
    assert answers.wsdl_service(sc, es.PRODUCER, wanted).service_id == es.GET_STATE
    missing = es.refused(answers.wsdl_service, sc, es.PRODUCER, meta.WsdlRequest("nosuch"))
    assert missing.code == Code.UNKNOWN_SERVICE
    versioned = es.refused(
        answers.wsdl_service, sc, es.PRODUCER, meta.WsdlRequest("getState", "v9")
    )
    assert versioned.code == Code.UNKNOWN_SERVICE
    rest = es.refused(answers.wsdl_service, sc, es.PRODUCER_REST, meta.WsdlRequest("pets"))
    assert rest.code == Code.INVALID_SERVICE_TYPE
    assert answers.openapi_service(sc, es.PRODUCER_REST, "pets").service_id == es.PETS
    plain = es.refused(answers.openapi_service, sc, es.PRODUCER_REST, "kore")
    assert plain.code == Code.INVALID_SERVICE_TYPE


def test_a_versionless_request_finds_the_one_versioned_service() -> None:
    versioned = ServiceId(es.PRODUCER, "getRandom", "v1")
    sc = build_snapshot(
        ServerIdentity(es.SS_P),
        [],
        [ServiceEntry(versioned, DescriptionKind.WSDL, "http://is.test/", 5, True)],
        [],
        {},
    )
    found = answers.wsdl_service(sc, es.PRODUCER, meta.WsdlRequest("getRandom"))
    assert found.service_id == versioned


# ---------------------------------------------------------------- documents


def test_openapi_servers_keep_only_their_path() -> None:
    document = {
        "openapi": "3.0.0",
        "servers": [{"url": "https://internal.test:8443/api/v1"}, {"url": "https://{host}/x"}],
    }
    body, media = documents.hide_openapi_servers(json.dumps(document).encode())
    assert media == documents.JSON_TYPE
    assert json.loads(body)["servers"] == [{"url": "/api/v1"}, {"url": "https://{host}/x"}]
    body, media = documents.hide_openapi_servers(yaml.safe_dump(document).encode())
    assert media == documents.YAML_TYPE
    assert yaml.safe_load(body)["servers"][0] == {"url": "/api/v1"}
    broken = es.refused(documents.hide_openapi_servers, b"{not json")
    assert broken.code == Code.INTERNAL_ERROR


# ---------------------------------------------------------------- consumer forms


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("text/xml", False),
        ("application/json", True),
        ("text/html, Application/JSON;q=0.9", True),
        ("application/jsonx", False),
    ],
)
def test_json_is_chosen_by_the_accept_header(accept: str | None, expected: bool) -> None:
    assert consumer.wants_json(accept) is expected


def test_list_clients_fails_closed_on_an_expired_configuration() -> None:
    expired = es.configuration(expire=es.NOW - timedelta(seconds=1))
    error = es.refused(consumer.list_clients, expired, {}, None, es.NOW)
    assert error.code == Code.OUTDATED_GLOBALCONF
    body, media = consumer.list_clients(es.configuration(), {}, None, es.NOW)
    assert media.startswith("text/xml")
    assert len(meta.decode_client_list(body)) == 5


def test_wsdl_query_becomes_a_get_wsdl_message_of_the_owner() -> None:
    query = {
        "xRoadInstance": "EE",
        "memberClass": "BUSINESS",
        "memberCode": "producer",
        "subsystemCode": "REST",
        "serviceCode": "pets",
        "version": "v2",
    }
    xml = consumer.wsdl_query_request(query, es.CONSUMER, "id-1")
    message = parse_envelope(xml)
    assert isinstance(message, SoapMessage)
    assert message.header.client == es.CONSUMER
    assert message.header.service == ServiceId(es.PRODUCER_REST, "getWsdl", "v2")
    assert message.header.user_id == consumer.WSDL_USER_ID
    assert meta.decode_wsdl_request(message) == meta.WsdlRequest("pets", "v2")


@pytest.mark.parametrize("missing", ["xRoadInstance", "serviceCode", "memberCode"])
def test_wsdl_query_without_a_required_parameter_is_refused(missing: str) -> None:
    query = {"xRoadInstance": "EE", "memberClass": "B", "memberCode": "p", "serviceCode": "s"}
    del query[missing]
    error = es.refused(consumer.wsdl_query_request, query, es.CONSUMER, "id-1")
    assert error.code == Code.INVALID_REQUEST


# ---------------------------------------------------------------- the provider's answer


def _environment(**overrides: object) -> Environment:
    conf = es.configuration()
    env = Environment(
        conf=conf,
        serverconf=mixed_serverconf(),
        trust=conf.trust,
        now=es.NOW,
        signing=lambda member: es.signing(member.member_code),
        descriptions=None,
        limits=MessageLimits(),
    )
    return dataclasses.replace(env, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("listMethods.query", {es.GET_STATE, es.TEST}), ("allowedMethods.query", {es.GET_STATE})],
)
async def test_provider_answers_signed_method_lists(query: str, expected: set[ServiceId]) -> None:
    prepared = es.prepare(query)
    response = es.wire(
        await answer_soap(es.wire(prepared.message), es.auth_cert("SS-C"), _environment())
    )
    answer = es.check(prepared, response)  # signature, signer and requestHash as for any answer
    assert answer.response is not None
    assert set(meta.decode_method_list(answer.response)) == expected


async def test_provider_refuses_a_peer_that_does_not_serve_the_client() -> None:
    prepared = es.prepare("listMethods.query")
    with pytest.raises(XRoadError) as caught:
        await answer_soap(es.wire(prepared.message), es.auth_cert("SS-P"), _environment())
    assert caught.value.fault_code == "Server.ServerProxy.SslAuthenticationFailed"


async def test_provider_refuses_a_request_signed_by_another_member() -> None:
    prepared = es.prepare("listMethods.query", signing_material=es.signing("stranger"))
    error = es.refused(
        verify_soap_metarequest,
        es.wire(prepared.message),
        peer_cert=es.auth_cert("SS-C"),
        conf=es.configuration(),
        serverconf=mixed_serverconf(),
        trust=es.configuration().trust,
        now=es.NOW,
    )
    assert error.fault_code == "Server.ServerProxy.IncorrectCertificate"


async def test_get_wsdl_without_a_description_source_fails_as_internal_error() -> None:
    wsdl_body = "<xroad:getWsdl><xroad:serviceCode>getState</xroad:serviceCode></xroad:getWsdl>"
    q = es.query(
        "listMethods.query", {"<xroad:listMethods />": wsdl_body, ">listMethods<": ">getWsdl<"}
    )
    prepared = prepare_soap_request(
        soap_request.decode(q.body, q.content_type),
        conf=es.configuration(),
        serverconf=es.consumer_serverconf(),
        signing_material=es.signing("consumer"),
        auth_ocsp_responses=(es.ocsp(es.auth_cert("SS-C")),),
        now=es.NOW,
    )
    with pytest.raises(XRoadError) as caught:
        await answer_soap(es.wire(prepared.message), es.auth_cert("SS-C"), _environment())
    assert caught.value.fault_code == "Server.ServerProxy.InternalError"

    async def source(service_id: ServiceId) -> bytes | None:
        assert service_id == es.GET_STATE
        return b'<?xml version="1.0"?><definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>'

    signed = es.wire(
        await answer_soap(
            es.wire(prepared.message), es.auth_cert("SS-C"), _environment(descriptions=source)
        )
    )
    answer = check_soap_response(
        prepared, signed, trust=es.configuration().trust, conf=es.configuration(), now=es.NOW
    )
    assert answer.response is not None
    assert answer.response.body_name == "getWsdlResponse"
    (wsdl,) = answer.attachments
    assert b"definitions" in wsdl.data


async def test_provider_refuses_a_provider_not_registered_here() -> None:
    prepared = es.prepare("listMethods.query")
    elsewhere = build_snapshot(ServerIdentity(es.SS_P), [], [], [], {})
    with pytest.raises(XRoadError) as caught:
        await answer_soap(
            es.wire(prepared.message), es.auth_cert("SS-C"), _environment(serverconf=elsewhere)
        )
    assert caught.value.fault_code == "Server.ServerProxy.UnknownMember"
