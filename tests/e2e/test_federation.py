"""The issue's user checks on a federation onboarded for real (see :mod:`tests.e2e.federation`):
a plain ``curl`` SOAP request shaped like the reference ``getRandom`` test request, a ``curl``
REST call with ``X-Road-Client``, a zeep client built from the ``getWsdl`` metaservice, and
``openssl s_client`` refused on the server proxy without a registered client certificate."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import pytest
import zeep
from lxml import etree

from tests.e2e.federation import INSTANCE, Federation
from tests.e2e.processes import http
from tests.vectors import require_dir

CURL = shutil.which("curl")
OPENSSL = shutil.which("openssl")
XROAD = "http://x-road.eu/xsd/xroad.xsd"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

pytestmark = [
    pytest.mark.skipif(
        CURL is None or OPENSSL is None, reason="curl and openssl are needed for these tests"
    ),
    # Setting up the federation runs some forty commands and waits for configuration rounds.
    pytest.mark.timeout(600),
]


def _sh(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 - fixed tools with test arguments
        list(args), input=stdin, capture_output=True, timeout=60, check=False
    )


def _reference_request(name: str, fed: Federation, **replace: str) -> bytes:
    """The reference load test's request with our client, service and a fresh id."""
    text = (require_dir() / "services" / name).read_text()
    consumer = fed.consumer.subsystem.split(":")
    provider = fed.provider.subsystem.split(":")
    client_block = (
        f"<iden:xRoadInstance>{consumer[0]}</iden:xRoadInstance>\n"
        f"            <iden:memberClass>{consumer[1]}</iden:memberClass>\n"
        f"            <iden:memberCode>{consumer[2]}</iden:memberCode>\n"
        f"            <iden:subsystemCode>{consumer[3]}</iden:subsystemCode>"
    )
    text = text.replace(
        "<iden:xRoadInstance>DEV</iden:xRoadInstance>\n"
        "            <iden:memberClass>COM</iden:memberClass>\n"
        "            <iden:memberCode>4321</iden:memberCode>\n"
        "            <iden:subsystemCode>TestClient</iden:subsystemCode>",
        client_block,
    )
    text = text.replace(
        "<iden:xRoadInstance>DEV</iden:xRoadInstance>",
        f"<iden:xRoadInstance>{provider[0]}</iden:xRoadInstance>",
    )
    text = text.replace(
        "<iden:memberClass>COM</iden:memberClass>\n"
        "            <iden:memberCode>1234</iden:memberCode>\n"
        "            <iden:subsystemCode>TestService</iden:subsystemCode>",
        f"<iden:memberClass>{provider[1]}</iden:memberClass>\n"
        f"            <iden:memberCode>{provider[2]}</iden:memberCode>\n"
        f"            <iden:subsystemCode>{provider[3]}</iden:subsystemCode>",
    )
    text = text.replace("_REQUEST_ID_", str(uuid.uuid4()))
    for old, new in replace.items():
        text = text.replace(old, new)
    assert "DEV" not in text, text
    assert "TestClient" not in text, text
    return text.encode()


def _curl_soap(fed: Federation, body: bytes) -> etree._Element:
    answer = _sh(
        CURL or "curl",
        "-sS",
        "--fail-with-body",
        "-H",
        "Content-Type: text/xml",
        "--data-binary",
        "@-",
        fed.consumer.client_url,
        stdin=body,
    )
    assert answer.returncode in (0, 22), answer.stderr
    return etree.fromstring(answer.stdout)


def test_curl_soap_get_random_through_both_security_servers(fed: Federation) -> None:
    root = _curl_soap(fed, _reference_request("getRandom.xml", fed))
    assert root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault") is None, etree.tostring(root)
    (data,) = root.iter("{http://test.x-road.fi/producer}data")
    assert 1 <= int(data.text or "0") <= 100
    # The provider's security server added the hash of the request it received (pr-mess §2.4).
    assert root.find(f"{{{SOAP_ENV}}}Header/{{{XROAD}}}requestHash") is not None


def test_curl_soap_hello_service(fed: Federation) -> None:
    root = _curl_soap(fed, _reference_request("helloService.xml", fed, _NAME_="Lan"))
    (message,) = root.iter("{http://test.x-road.global/producer}message")
    assert message.text == "Hello Lan! Greetings from adapter server!"


def test_curl_rest_with_x_road_client(fed: Federation) -> None:
    client = fed.consumer.subsystem.replace(":", "/")
    provider = fed.provider.subsystem.replace(":", "/")
    answer = _sh(
        CURL or "curl",
        "-sS",
        "-i",
        "-H",
        f"X-Road-Client: {client}",
        f"{fed.consumer.client_url}/r1/{provider}/demo/hello?name=Minh",
    )
    assert answer.returncode == 0, answer.stderr
    head, _, body = answer.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), answer.stdout
    assert json.loads(body) == {"message": "Hello Minh! Greetings from adapter server!"}
    headers = head.decode().lower()
    assert "x-road-request-hash:" in headers
    assert "x-road-id:" in headers


def test_unregistered_client_is_refused(fed: Federation) -> None:
    """A subsystem added on the consumer's server but never registered may not send."""
    other = f"{INSTANCE}:COM:2002:UNREGISTERED"
    fed.consumer.ss("client", "add", other)
    body = _reference_request("getRandom.xml", fed).replace(
        b"<iden:subsystemCode>CONSUMER</iden:subsystemCode>",
        b"<iden:subsystemCode>UNREGISTERED</iden:subsystemCode>",
    )
    root = _curl_soap(fed, body)
    code = root.findtext(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/faultcode")
    assert code is not None, etree.tostring(root)
    assert code.startswith("Server.ClientProxy."), code


def test_openssl_without_a_registered_client_certificate_is_refused(fed: Federation) -> None:
    answer = _sh(
        OPENSSL or "openssl",
        "s_client",
        "-connect",
        f"127.0.0.1:{fed.provider.server_port}",
        "-quiet",
        stdin=b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    assert b"HTTP/1.1" not in answer.stdout, answer.stdout
    assert answer.returncode != 0 or b"alert" in answer.stderr.lower(), answer.stderr


def test_zeep_client_built_from_get_wsdl(fed: Federation, tmp_path: Path) -> None:
    """The WSDL comes through the UXP-form download (a signed getWsdl exchange answered by the
    provider's security server); zeep then calls both operations through the client proxy."""
    provider = dict(
        zip(
            ("xRoadInstance", "memberClass", "memberCode", "subsystemCode"),
            fed.provider.subsystem.split(":"),
            strict=True,
        )
    )
    query = urllib.parse.urlencode({**provider, "serviceCode": "getRandom", "version": "v1"})
    status, _, document = http(f"{fed.consumer.client_url}/wsdl?{query}")
    assert status == 200, document
    path = tmp_path / "service.wsdl"
    path.write_bytes(document)
    client = zeep.Client(str(path))
    service = client.create_service(next(iter(client.wsdl.bindings)), fed.consumer.client_url)
    consumer = dict(
        zip(
            ("xRoadInstance", "memberClass", "memberCode", "subsystemCode"),
            fed.consumer.subsystem.split(":"),
            strict=True,
        )
    )

    def headers(code: str) -> dict[str, object]:
        return {
            "client": {**consumer, "objectType": "SUBSYSTEM"},
            "service": {
                **provider,
                "serviceCode": code,
                "serviceVersion": "v1",
                "objectType": "SERVICE",
            },
            "id": str(uuid.uuid4()),
            "protocolVersion": "4.0",
        }

    hello = service.helloService(name="Zeep", _soapheaders=headers("helloService"))
    assert hello.body.response.message == "Hello Zeep! Greetings from adapter server!"
    random = service.getRandom(_soapheaders=headers("getRandom"))
    assert 1 <= random.body.response.data <= 100


def test_metaservices_list_the_federation(fed: Federation) -> None:
    status, _, body = http(
        f"{fed.consumer.client_url}/listClients?xRoadInstance={INSTANCE}",
        headers={"Accept": "application/json"},
    )
    assert status == 200, body
    listed = {
        ":".join(
            filter(
                None,
                (
                    c["id"]["xroad_instance"],
                    c["id"]["member_class"],
                    c["id"]["member_code"],
                    c["id"].get("subsystem_code"),
                ),
            )
        )
        for c in json.loads(body)["member"]
    }
    assert {fed.consumer.subsystem, fed.provider.subsystem} <= listed
    client = fed.consumer.subsystem.replace(":", "/")
    provider = fed.provider.subsystem.replace(":", "/")
    status, _, body = http(
        f"{fed.consumer.client_url}/r1/{provider}/allowedMethods", headers={"X-Road-Client": client}
    )
    assert status == 200, body
    (service,) = json.loads(body)["service"]
    assert service["service_code"] == "demo"


def test_soap_in_proxy_form(fed: Federation) -> None:
    """An information system configured with the security server as its HTTP proxy sends the
    request line in absolute-URI form (RFC 9112 §3.2.2); the client proxy serves it the same."""
    answer = _sh(
        CURL or "curl",
        "-sS",
        "-x",
        fed.consumer.client_url,
        "-H",
        "Content-Type: text/xml",
        "--data-binary",
        "@-",
        "http://xroad.example/any/path",
        stdin=_reference_request("getRandom.xml", fed),
    )
    root = etree.fromstring(answer.stdout)
    assert root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault") is None, answer.stdout
    (data,) = root.iter("{http://test.x-road.fi/producer}data")
    assert 1 <= int(data.text or "0") <= 100
