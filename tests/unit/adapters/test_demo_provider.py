"""The demo provider answers the reference's test requests, and its descriptions are usable:
zeep loads the WSDL offline and builds the X-Road headers from it, and the security server's
own parsers read both documents."""

from __future__ import annotations

import json
from pathlib import Path

import zeep
from aiohttp.test_utils import TestClient, TestServer
from lxml import etree

from adapters.demo_provider import create_app
from adapters.demo_provider.wsdl import NAMESPACE, wsdl
from security_server.serverconf import parse_openapi, parse_wsdl
from tests.vectors import require_dir

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XROAD = "http://x-road.eu/xsd/xroad.xsd"


async def test_get_random_request_of_the_reference_is_answered_with_its_header() -> None:
    request = (require_dir() / "services" / "getRandom.xml").read_bytes()
    async with TestClient(TestServer(create_app())) as client:
        answer = await client.post("/soap", data=request, headers={"Content-Type": "text/xml"})
        assert answer.status == 200
        root = etree.fromstring(await answer.read())
    assert root.find(f"{{{SOAP_ENV}}}Header/{{{XROAD}}}id").text == "_REQUEST_ID_"
    (data,) = root.iter("{http://test.x-road.fi/producer}data")
    assert 1 <= int(data.text or "0") <= 100


async def test_hello_service_and_refusals() -> None:
    request = (
        (require_dir() / "services" / "helloService.xml").read_bytes().replace(b"_NAME_", b"Mai")
    )
    async with TestClient(TestServer(create_app())) as client:
        answer = await client.post("/soap", data=request)
        body = await answer.read()
        bad = await client.post("/soap", data=b"<not-xml")
        unknown = await client.post("/soap", data=request.replace(b"helloService>", b"other>"))
    assert f"{{{NAMESPACE}}}message".encode() not in body  # namespaced, not Clark notation
    assert b"Hello Mai! Greetings from adapter server!" in body
    assert bad.status == 400
    assert unknown.status == 400


async def test_descriptions_are_served_and_parse() -> None:
    async with TestClient(TestServer(create_app())) as client:
        wsdl_answer = await client.get("/soap?wsdl")
        document = await wsdl_answer.read()
        openapi = await (await client.get("/rest/openapi.json")).read()
        random = await (await client.get("/rest/random")).json()
        echoed = await (await client.post("/rest/echo", json={"a": [1, 2]})).json()
    operations = parse_wsdl(document)
    assert sorted((o.code, o.version) for o in operations) == [
        ("getRandom", "v1"),
        ("helloService", "v1"),
    ]
    parsed = parse_openapi(openapi)
    assert (parsed.base_url or "").endswith("/rest")
    assert all((o.url or "").endswith("/soap") for o in operations)
    assert set(parsed.endpoints) == {
        ("GET", "/random"),
        ("GET", "/hello"),
        ("POST", "/echo"),
    }
    assert 1 <= random["data"] <= 100
    assert echoed == {"a": [1, 2]}
    assert json.loads(openapi)["servers"][0]["url"].endswith("/rest")


def test_zeep_loads_the_wsdl_offline_and_knows_the_xroad_headers(tmp_path: Path) -> None:
    path = tmp_path / "demo.wsdl"
    path.write_bytes(wsdl("http://127.0.0.1:1/soap"))
    client = zeep.Client(str(path))
    operations = client.service._binding._operations  # zeep has no public list
    assert sorted(operations) == ["getRandom", "helloService"]
    header = client.get_element(f"{{{XROAD}}}client")
    built = header(xRoadInstance="VDX", memberClass="GOV", memberCode="1", objectType="MEMBER")
    assert built.memberCode == "1"
