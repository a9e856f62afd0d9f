"""Metaservices end to end: an information system asks SS-C, SS-P answers from its own
configuration over real mutual TLS, signed like any exchange (pr-meta, pr-mrest).

SS-P offers two SOAP services of the demo WSDL (``getRandom``, ``helloService``) on its
owner member and two REST services (``pets`` from an OpenAPI document, ``kore`` by hand) on
its ``REST`` subsystem; the consumer may call ``getRandom`` and ``GET /pets/*`` only. No
service of SS-P's information system is ever called: the answers are local.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import yaml
import zeep
from aiohttp import web
from lxml import etree

from adapters.demo_provider.wsdl import wsdl as demo_wsdl
from security_server.metaservices import description_source
from security_server.proxy import create_client_proxy, create_server_proxy, server_ssl_context
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
from tests import databases, vectors
from tests.integration.security_server import proxy_support as ps
from tests.integration.security_server import test_serverconf_support as ss
from tests.unit.security_server import exchange_support as es
from vdx.identifiers import ServiceId
from vdx.message import metaservices as meta
from vdx.message import soap_request

pytestmark = pytest.mark.vectors

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
RANDOM = ServiceId(es.PRODUCER, "getRandom", "v1")
HELLO = ServiceId(es.PRODUCER, "helloService", "v1")
KORE = ServiceId(es.PRODUCER_REST, "kore")
PETS_CREATE = Endpoint("POST", "/pets")
SCHOOL = Endpoint("GET", "/school")
HIDDEN_HOST = "http://is.producer.internal:8080"
OPENAPI = f"""openapi: 3.0.0
info: {{title: Pets, version: '1'}}
servers:
  - url: {HIDDEN_HOST}/api/v1
paths:
  /pets/{{id}}:
    get: {{responses: {{'200': {{description: a pet}}}}}}
""".encode()
APP_HEADERS = {"X-Road-Client": "EE/BUSINESS/consumer/APP"}


def producer_serverconf(service_url: str) -> ServerConfSnapshot:
    def soap(service_id: ServiceId) -> ServiceEntry:
        return ServiceEntry(service_id, DescriptionKind.WSDL, service_url, 5, True)

    pets = ServiceEntry(
        es.PETS,
        DescriptionKind.OPENAPI3,
        service_url,
        5,
        True,
        endpoints=(BASE_ENDPOINT, es.PETS_READ, PETS_CREATE),
    )
    kore = ServiceEntry(
        KORE, DescriptionKind.REST, service_url, 5, True, endpoints=(BASE_ENDPOINT, SCHOOL)
    )
    return build_snapshot(
        ServerIdentity(es.SS_P),
        [
            ClientEntry(es.PRODUCER, ClientState.REGISTERED, ConnectionType.HTTP),
            ClientEntry(es.PRODUCER_REST, ClientState.REGISTERED, ConnectionType.HTTP),
        ],
        [soap(RANDOM), soap(HELLO), pets, kore],
        [Grant(RANDOM, BASE_ENDPOINT, es.CONSUMER), Grant(es.PETS, es.PETS_READ, es.CONSUMER_APP)],
        {},
    )


@dataclass
class MetaFederation:
    client_proxy_url: str
    service_calls: list[str] = field(default_factory=list)
    description_reads: list[ServiceId] = field(default_factory=list)


@asynccontextmanager
async def meta_federation() -> AsyncIterator[MetaFederation]:
    socks = {name: ps.bound_socket() for name in ("client", "consumer", "producer", "is")}
    ports = {name: ps.port_of(sock) for name, sock in socks.items()}
    service_url = f"http://{ps.HOST}:{ports['is']}/soap"
    current = ps.Current(
        ps.configuration(f"{ps.HOST}:{ports['consumer']}", f"{ps.HOST}:{ports['producer']}"),
        es.consumer_serverconf(),
        producer_serverconf(service_url),
    )
    fed = MetaFederation(f"http://{ps.HOST}:{ports['client']}")
    stored = {RANDOM: demo_wsdl(service_url), HELLO: demo_wsdl(service_url), es.PETS: OPENAPI}

    async def descriptions(service_id: ServiceId) -> bytes | None:
        fed.description_reads.append(service_id)
        return stored.get(service_id)

    consumer = ps.context(current, "SS-C", producer=False)
    producer = dataclasses.replace(
        ps.context(current, "SS-P", producer=True), descriptions=descriptions
    )
    runners: list[web.AppRunner] = []
    try:
        await ps._serve(runners, ps.services_app(fed.service_calls), socks["is"])
        await ps._serve(runners, create_client_proxy(consumer), socks["client"])
        for name, ctx in (("consumer", consumer), ("producer", producer)):
            tls = server_ssl_context(ctx.auth(), current.conf.trust)
            await ps._serve(runners, create_server_proxy(ctx), socks[name], tls)
        yield fed
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        for sock in socks.values():
            sock.close()


@pytest.fixture
async def fed() -> AsyncIterator[MetaFederation]:
    async with meta_federation() as federation:
        yield federation


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def post(url: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
    headers = {"Content-Type": content_type}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status, response.headers["Content-Type"], await response.read()


def meta_query(name: str, replacements: dict[str, str] | None = None) -> bytes:
    """A reference metaservice query, with a fresh message id."""
    path: Path = vectors.require_dir() / "metaservice-queries" / name
    body = path.read_text(encoding="utf-8")
    body = body.replace("411d6755661409fed365ad8135f8210be07613da", str(uuid.uuid4()))
    for old, new in (replacements or {}).items():
        body = body.replace(old, new)
    return body.encode()


def fault_code(body: bytes) -> str:
    code = etree.fromstring(body).findtext(f".//{{{NS_SOAP}}}Fault/faultcode")
    assert code is not None
    return code


def zeep_operations(wsdl: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "service.wsdl"
    path.write_bytes(wsdl)
    client = zeep.Client(str(path))  # type: ignore[no-untyped-call] # zeep is untyped
    return sorted(client.service._binding._operations)


# ---------------------------------------------------------------- listClients


async def test_list_clients_xml_names_every_member_and_subsystem(fed: MetaFederation) -> None:
    status, headers, body = await get(f"{fed.client_proxy_url}/listClients")
    assert status == 200
    assert headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(body)
    assert root.tag == "{http://x-road.eu/xsd/xroad.xsd}clientList"
    entries = {e.client_id: e for e in meta.decode_client_list(body)}
    assert set(entries) == {
        es.CONSUMER,
        es.CONSUMER_APP,
        es.PRODUCER,
        es.PRODUCER_REST,
        es.STRANGER,
    }
    assert entries[es.CONSUMER].name == "Consumer Ltd"
    assert entries[es.CONSUMER_APP].name == "Consumer Ltd"
    assert entries[es.CONSUMER].subsystem_name is None


async def test_list_clients_json_with_accept_header(fed: MetaFederation) -> None:
    status, headers, body = await get(
        f"{fed.client_proxy_url}/listClients?xRoadInstance=EE",
        {"Accept": "application/json"},
    )
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    members = json.loads(body)["member"]
    assert {
        "id": {
            "member_class": "BUSINESS",
            "member_code": "producer",
            "object_type": "SUBSYSTEM",
            "subsystem_code": "REST",
            "xroad_instance": "EE",
        },
        "name": "Producer Ltd",
    } in members
    assert len(members) == 5


async def test_list_clients_of_an_unknown_instance_is_empty(fed: MetaFederation) -> None:
    status, _, body = await get(f"{fed.client_proxy_url}/listClients?xRoadInstance=FI")
    assert status == 200
    assert meta.decode_client_list(body) == ()


# ---------------------------------------------------------------- SOAP listMethods / allowedMethods


def _services_of(body: bytes) -> set[ServiceId]:
    decoded = soap_request.decode(body, "text/xml; charset=UTF-8")
    assert decoded.message.header.request_hash is not None  # signed answer of SS-P
    return set(meta.decode_method_list(decoded.message))


async def test_soap_list_methods_lists_every_wsdl_service(fed: MetaFederation) -> None:
    query = meta_query("listMethods.query", {"<id:subsystemCode>SUB</id:subsystemCode>": ""})
    status, _, body = await post(fed.client_proxy_url, query, es.TEXT)
    assert status == 200, body
    assert _services_of(body) == {RANDOM, HELLO}
    assert b"listMethodsResponse" in body
    assert fed.service_calls == []  # answered by SS-P itself


async def test_soap_allowed_methods_lists_only_what_the_caller_may_call(
    fed: MetaFederation,
) -> None:
    status, _, body = await post(fed.client_proxy_url, meta_query("allowedMethods.query"), es.TEXT)
    assert status == 200, body
    assert _services_of(body) == {RANDOM}


# ---------------------------------------------------------------- getWsdl


async def test_get_wsdl_answers_the_wsdl_as_an_attachment_usable_by_zeep(
    fed: MetaFederation, tmp_path: Path
) -> None:
    query = meta_query(
        "getWsdl.query",
        {
            "<xroad:serviceCode>getRandom</xroad:serviceCode>": (
                "<xroad:serviceCode>getRandom</xroad:serviceCode>"
                "<xroad:serviceVersion>v1</xroad:serviceVersion>"
            )
        },
    )
    status, content_type, body = await post(fed.client_proxy_url, query, es.TEXT)
    assert status == 200, body
    assert content_type.startswith("multipart/related")
    decoded = soap_request.decode(body, content_type)
    assert decoded.message.body_name == "getWsdlResponse"
    assert decoded.message.header.request_hash is not None
    (attachment,) = decoded.attachments
    assert attachment.content_type.startswith("text/xml")
    locations = {
        a.get("location")
        for a in etree.fromstring(attachment.data).iter(f"{{{NS_WSDL_SOAP}}}address")
    }
    assert locations == {meta.HIDDEN_ENDPOINT}  # pr-meta §4: the real address stays hidden
    assert zeep_operations(attachment.data, tmp_path) == ["getRandom", "helloService"]
    assert fed.description_reads == [RANDOM]


async def test_get_wsdl_of_an_unknown_service_is_an_unknown_service_fault(
    fed: MetaFederation,
) -> None:
    query = meta_query(
        "getWsdl.query", {"<xroad:serviceCode>getRandom<": "<xroad:serviceCode>nosuch<"}
    )
    status, _, body = await post(fed.client_proxy_url, query, es.TEXT)
    assert status == 500
    assert fault_code(body) == "Server.ServerProxy.UnknownService"


async def test_get_wsdl_of_a_rest_service_is_a_service_type_fault(fed: MetaFederation) -> None:
    query = meta_query(
        "getWsdl.query",
        {
            "<id:memberCode>producer</id:memberCode>\n      <id:serviceCode>getWsdl": (
                "<id:memberCode>producer</id:memberCode><id:subsystemCode>REST</id:subsystemCode>"
                "<id:serviceCode>getWsdl"
            ),
            "<xroad:serviceCode>getRandom<": "<xroad:serviceCode>pets<",
        },
    )
    assert b"<id:subsystemCode>REST" in query
    status, _, body = await post(fed.client_proxy_url, query, es.TEXT)
    assert status == 500
    assert fault_code(body) == "Server.ServerProxy.ServiceType"


async def test_uxp_wsdl_form_fetches_through_a_signed_get_wsdl(
    fed: MetaFederation, tmp_path: Path
) -> None:
    url = (
        f"{fed.client_proxy_url}/wsdl?xRoadInstance=EE&memberClass=BUSINESS"
        "&memberCode=producer&serviceCode=helloService&version=v1"
    )
    status, headers, body = await get(url)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/xml")
    assert zeep_operations(body, tmp_path) == ["getRandom", "helloService"]
    assert fed.description_reads == [HELLO]


async def test_uxp_wsdl_form_without_a_service_code_is_a_client_fault(
    fed: MetaFederation,
) -> None:
    url = f"{fed.client_proxy_url}/wsdl?xRoadInstance=EE&memberClass=BUSINESS&memberCode=producer"
    status, _, body = await get(url)
    assert status == 500
    assert fault_code(body) == "Client.InvalidRequest"
    assert fed.description_reads == []


async def test_uxp_wsdl_form_passes_on_the_providers_fault(fed: MetaFederation) -> None:
    url = (
        f"{fed.client_proxy_url}/wsdl?xRoadInstance=EE&memberClass=BUSINESS"
        "&memberCode=producer&serviceCode=nosuch"
    )
    status, _, body = await get(url)
    assert status == 500
    assert fault_code(body) == "Server.ServerProxy.UnknownService"


# ---------------------------------------------------------------- REST metaservices


REST_BASE = "/r1/EE/BUSINESS/producer/REST"


async def test_rest_list_methods_lists_rest_services_with_endpoints(fed: MetaFederation) -> None:
    status, headers, body = await get(f"{fed.client_proxy_url}{REST_BASE}/listMethods", APP_HEADERS)
    assert status == 200, body
    assert headers["X-Road-Request-Hash"]
    assert headers["Content-Type"].startswith("application/json")
    listed = {d.service_id: d for d in meta.decode_rest_services(body)}
    assert set(listed) == {es.PETS, KORE}
    assert listed[es.PETS].service_type == "OPENAPI"
    assert listed[es.PETS].endpoints == (("GET", "/pets/*"), ("POST", "/pets"))
    assert listed[KORE].service_type == "REST"
    assert listed[KORE].endpoints == (("GET", "/school"),)
    assert fed.service_calls == []


async def test_rest_allowed_methods_lists_only_granted_endpoints(fed: MetaFederation) -> None:
    url = f"{fed.client_proxy_url}{REST_BASE}/allowedMethods"
    status, _, body = await get(url, APP_HEADERS)
    assert status == 200, body
    (pets,) = meta.decode_rest_services(body)
    assert pets.service_id == es.PETS
    assert pets.endpoints == (("GET", "/pets/*"),)


async def test_rest_get_openapi_answers_the_document_without_the_host(
    fed: MetaFederation,
) -> None:
    url = f"{fed.client_proxy_url}{REST_BASE}/getOpenAPI?serviceCode=pets"
    status, headers, body = await get(url, APP_HEADERS)
    assert status == 200, body
    assert headers["X-Road-Request-Hash"]
    assert headers["Content-Type"].startswith("text/yaml")
    document = yaml.safe_load(body)
    assert document["servers"] == [{"url": "/api/v1"}]
    assert "/pets/{id}" in document["paths"]
    assert HIDDEN_HOST.encode() not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("serviceCode=kore", "Server.ServerProxy.ServiceType"),
        ("serviceCode=nosuch", "Server.ServerProxy.UnknownService"),
        ("", "Server.ServerProxy.InvalidRequest"),
    ],
)
async def test_rest_get_openapi_refusals_are_rest_errors(
    fed: MetaFederation, query: str, expected: str
) -> None:
    url = f"{fed.client_proxy_url}{REST_BASE}/getOpenAPI?{query}"
    status, headers, body = await get(url, APP_HEADERS)
    assert status == 500
    assert headers["X-Road-Error"] == expected
    assert json.loads(body)["type"] == expected


async def test_list_central_services_is_an_empty_xml_list(fed: MetaFederation) -> None:
    # Central services are gone from X-Road 7; the path still answers, in XML only.
    status, headers, body = await get(
        f"{fed.client_proxy_url}/listCentralServices", {"Accept": "application/json"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(body)
    assert root.tag == "{http://x-road.eu/xsd/xroad.xsd}centralServiceList"
    assert len(root) == 0


# ---------------------------------------------------------------- the stored descriptions


async def test_description_source_reads_the_stored_documents(tmp_path: Path) -> None:
    async for service in ss.open_service(databases.sqlite_url(tmp_path)):
        await ss.populate(service)
        await service.add_wsdl(ss.TAX, ss.WSDL_URL, ss.wsdl(), actor=ss.ACTOR)
        await service.add_openapi(ss.TAX, ss.OPENAPI_URL, ss.OPENAPI, "pets", actor=ss.ACTOR)
        source = description_source(service)
        assert await source(ServiceId(ss.TAX, "bodyMassIndex", "v1")) == ss.wsdl()
        assert await source(ServiceId(ss.TAX, "pets")) == ss.OPENAPI
        assert await source(ServiceId(ss.TAX, "nosuch")) is None
        assert await source(ServiceId(ss.APP, "bodyMassIndex", "v1")) is None


async def test_only_get_reaches_a_rest_metaservice(fed: MetaFederation) -> None:
    # The reference handles GET only; another method is an ordinary call of an unknown service.
    url = f"{fed.client_proxy_url}{REST_BASE}/listMethods"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, headers=APP_HEADERS, data=b"{}") as response,
    ):
        assert response.status == 500
        assert response.headers["X-Road-Error"] == "Server.ServerProxy.UnknownService"
