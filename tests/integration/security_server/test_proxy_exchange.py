"""The client proxy and the server proxies on 127.0.0.1: real sockets, real mutual TLS.

SOAP and REST exchanges from an information system through SS-C to SS-P's services, and the
rejection paths: an unregistered auth certificate, a client without a certificate, access
denied, the service down, malformed SOAP.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import structlog.testing
from cryptography.hazmat.primitives import serialization
from lxml import etree

from tests.integration.security_server import proxy_support as ps
from tests.unit.security_server import exchange_support as es
from vdx.message import transport_encode

pytestmark = pytest.mark.vectors

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        yield federation


def state_query(service_code: str = "getState") -> tuple[bytes, str, str]:
    message_id = str(uuid.uuid4())
    # The service code is in the header and names the body's element: rewrite both.
    query = es.query(
        "getstate.query",
        {"411d6755661409fed365ad8135f8210be07613da": message_id, "getState": service_code},
    )
    return query.body, query.content_type, message_id


async def post_soap(url: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers={"Content-Type": content_type}) as response,
    ):
        return response.status, await response.read()


def fault_of(body: bytes) -> tuple[str, str]:
    root = etree.fromstring(body)
    code = root.findtext(f".//{{{NS_SOAP}}}Fault/faultcode")
    detail = root.findtext(f".//{{{NS_SOAP}}}Fault/detail/faultDetail")
    assert code is not None
    assert detail is not None
    uuid.UUID(detail)  # the detail is the log line's UUID, nothing else
    return code, detail


async def test_soap_getstate_reaches_the_provider_and_returns_its_signed_answer(
    fed: ps.Federation,
) -> None:
    body, content_type, message_id = state_query()
    status, answer = await post_soap(f"{fed.client_proxy_url}/any/path", body, content_type)
    assert status == 200, answer
    root = etree.fromstring(answer)
    assert root.findtext(".//{http://x-road.eu/xsd/xroad.xsd}id") == message_id
    assert root.findtext(".//{http://x-road.eu/xsd/xroad.xsd}requestHash")
    assert root.findtext(".//{http://x-road.eu/xsd/xroad.xsd}getStateResponse/response") == "aäõ"
    assert fed.service_calls == ["/soap"]


async def test_rest_get_returns_the_service_json(fed: ps.Federation) -> None:
    fed.current.producer_serverconf = ps.producer_rest_serverconf(fed.rest_url)
    url = f"{fed.client_proxy_url}/r1/EE/BUSINESS/producer/REST/pets/pets/7"
    headers = {"X-Road-Client": "EE/BUSINESS/consumer/APP"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        assert response.headers["X-Road-Request-Hash"]
        data = json.loads(await response.read())
    assert data == {"id": "7", "client": "EE/BUSINESS/consumer/APP"}


async def test_peer_with_an_unregistered_auth_certificate_is_refused(
    fed: ps.Federation,
) -> None:
    # SS-P's address now leads to a server proxy presenting SS-X's certificate (same CA).
    fed.swap_producer_address(fed.rogue_port)
    body, content_type, _ = state_query()
    with structlog.testing.capture_logs() as logs:
        status, answer = await post_soap(fed.client_proxy_url, body, content_type)
    assert status == 500
    code, _ = fault_of(answer)
    assert code == "Server.ClientProxy.SslAuthenticationFailed"
    # Refused inside the handshake: the rogue server proxy never saw a request.
    assert any(e["event"] == "peer_tls_refused" for e in logs)
    assert fed.service_calls == []


async def test_server_proxy_refuses_a_client_with_an_unregistered_auth_certificate(
    fed: ps.Federation,
) -> None:
    # A correctly signed request from SS-C's client, over TLS with SS-X's certificate.
    encoded = transport_encode.encode(es.prepare().message)
    ctx = _client_context(fed, ssl.TLSVersion.TLSv1_3)
    _load_identity(ctx, ps.ROGUE)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"https://{ps.HOST}:{fed.producer_port}/",
            data=encoded.body,
            headers={"Content-Type": encoded.content_type},
            ssl=ctx,
        ) as response,
    ):
        assert response.status == 500
        assert response.content_type == "text/xml"
        code, _ = fault_of(await response.read())
    assert code == "Server.ServerProxy.SslAuthenticationFailed"


def _talk(port: int, ctx: ssl.SSLContext) -> bytes:
    """Handshake, send a request and read, with blocking ssl (run in a thread)."""
    with (
        socket.create_connection((ps.HOST, port), timeout=5) as raw,
        # A close without close_notify must raise, not read as an empty answer.
        ctx.wrap_socket(raw, suppress_ragged_eofs=False) as tls,
    ):
        tls.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        return tls.recv(1024)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
async def test_server_proxy_without_a_client_certificate_fails_the_handshake(
    fed: ps.Federation, version: ssl.TLSVersion
) -> None:
    # The server aborts the handshake: TLS 1.2 clients see it fail, TLS 1.3 clients (whose
    # side of the handshake ends first) see the connection cut before any answer.
    with pytest.raises(ssl.SSLError, match=r"(?i)EOF|handshake failure|certificate required"):
        await asyncio.to_thread(_talk, fed.producer_port, _client_context(fed, version))
    # Control: the same client with SS-C's registered certificate gets an HTTP answer.
    ctx = _client_context(fed, version)
    _load_identity(ctx, "SS-C")
    answer = await asyncio.to_thread(_talk, fed.producer_port, ctx)
    assert answer.startswith(b"HTTP/1.1 ")


def _load_identity(ctx: ssl.SSLContext, server_code: str) -> None:
    auth = ps.auth_material(server_code)
    with tempfile.TemporaryDirectory() as directory:
        identity = Path(directory) / "identity.pem"
        identity.write_bytes(
            auth.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            + auth.certificate.public_bytes(serialization.Encoding.PEM)
        )
        ctx.load_cert_chain(identity)


def _client_context(fed: ps.Federation, version: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # the peer is 127.0.0.1; its chain is still verified
    ctx.minimum_version = ctx.maximum_version = version
    for _, cert in fed.current.conf.trust.ca_certificates():
        ctx.load_verify_locations(cadata=cert.public_bytes(serialization.Encoding.DER))
    return ctx


async def test_access_denied_reaches_the_information_system(fed: ps.Federation) -> None:
    body, content_type, _ = state_query("closed")
    with structlog.testing.capture_logs() as logs:
        status, answer = await post_soap(fed.client_proxy_url, body, content_type)
    assert status == 500
    code, detail = fault_of(answer)
    assert code == "Server.ServerProxy.AccessDenied"
    # The provider's server proxy logged the detail the information system received.
    assert any(e.get("fault_detail") == detail for e in logs)


async def test_provider_service_down_is_service_failed(fed: ps.Federation) -> None:
    url = f"http://{ps.HOST}:{ps.closed_port()}/soap"
    fed.current.producer_serverconf = ps.producer_soap_serverconf(url)
    body, content_type, _ = state_query()
    status, answer = await post_soap(fed.client_proxy_url, body, content_type)
    assert status == 500
    code, _ = fault_of(answer)
    assert code == "Server.ServerProxy.ServiceFailed.NetworkError"


async def test_malformed_soap_is_a_client_fault(fed: ps.Federation) -> None:
    with structlog.testing.capture_logs() as logs:
        status, answer = await post_soap(fed.client_proxy_url, b"<Envelope", "text/xml")
    assert status == 500
    code, detail = fault_of(answer)
    assert code == "Client.InvalidSoap"
    assert b"<Envelope" not in answer  # no raw input in a fault
    assert any(e.get("fault_detail") == detail and e["fault_code"] == code for e in logs)


async def test_rest_access_denied_is_rest_error_json(fed: ps.Federation) -> None:
    fed.current.producer_serverconf = ps.producer_rest_serverconf(fed.rest_url)
    url = f"{fed.client_proxy_url}/r1/EE/BUSINESS/producer/REST/pets/pets"
    headers = {"X-Road-Client": "EE/BUSINESS/consumer/APP", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, headers=headers, data=b"{}") as response,
    ):
        assert response.status == 500
        assert response.headers["X-Road-Error"] == "Server.ServerProxy.AccessDenied"
        data = json.loads(await response.read())
    assert data["type"] == "Server.ServerProxy.AccessDenied"
    uuid.UUID(data["detail"])
