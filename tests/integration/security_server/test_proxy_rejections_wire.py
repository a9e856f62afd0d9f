"""Messages changed on the wire between the two security servers, over real mutual TLS.

A relay sits at SS-P's address: towards SS-C it presents SS-P's registered authentication
certificate, towards SS-P it presents SS-C's (the test owns both keys, as an attacker who
stole them would). TLS therefore succeeds both ways, and only the message signatures stand
between a changed message and the other side: SS-P must refuse a changed request without
calling the service, and SS-C must refuse an answer that does not match its request.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
import structlog.testing
from aiohttp import web

from security_server.exchange import signing
from security_server.exchange.rest_client import rest_data_parts
from security_server.proxy import server_ssl_context, tls
from tests.integration.security_server import proxy_support as ps
from tests.unit.security_server import exchange_support as es
from vdx.message import rest_part, transport, transport_encode
from vdx.message.transport import TransportMessage

pytestmark = pytest.mark.vectors

Edit = Callable[[bytes, str], tuple[bytes, str]]
_HOP = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        yield federation


@asynccontextmanager
async def relay(
    fed: ps.Federation, *, request: Edit | None = None, response: Edit | None = None
) -> AsyncIterator[list[bytes]]:
    """Serve at a new port posing as SS-P, forward to SS-P as SS-C; yield what it relayed."""
    trust = fed.current.conf.trust
    ss_p = es.der(es.auth_cert("SS-P"))

    def is_ss_p(der: bytes) -> None:
        if der != ss_p:
            raise tls.refuse("relay reached someone else")

    upstream = tls.client_ssl_context(ps.auth_material("SS-C"), trust, is_ss_p)
    seen: list[bytes] = []

    async def forward(incoming: web.Request) -> web.Response:
        body, content_type = await incoming.read(), incoming.headers["Content-Type"]
        seen.append(body)
        if request is not None:
            body, content_type = request(body, content_type)
        headers = {k: v for k, v in incoming.headers.items() if k.lower() not in _HOP}
        headers["Content-Type"] = content_type
        async with session.post(
            f"https://{ps.HOST}:{fed.producer_port}/", data=body, headers=headers
        ) as answer:
            data, answer_type = await answer.read(), answer.headers["Content-Type"]
        if response is not None:
            data, answer_type = response(data, answer_type)
        return web.Response(body=data, headers={"Content-Type": answer_type})

    app = web.Application()
    app.router.add_post("/{tail:.*}", forward)
    sock = ps.bound_socket()
    runner = web.AppRunner(app, access_log=None)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=upstream)) as session:
        await runner.setup()
        posing = server_ssl_context(ps.auth_material("SS-P"), trust)
        await web.SockSite(runner, sock, ssl_context=posing).start()
        fed.swap_producer_address(ps.port_of(sock))
        try:
            yield seen
        finally:
            await runner.cleanup()
            sock.close()


async def soap_refused(fed: ps.Federation) -> tuple[str, str]:
    q = ps.soap_query()
    with structlog.testing.capture_logs() as logs:
        status, _, body = await ps.call(
            "POST", fed.client_proxy_url, body=q.body, headers={"Content-Type": q.content_type}
        )
    assert status == 500, body
    code, string, detail = ps.soap_fault(body)
    assert ps.logged(logs, code, detail), (code, logs)
    return code, string


# ---------------------------------------------------------------- changed requests


def replace_once(old: bytes, new: bytes) -> Edit:
    def edit(body: bytes, content_type: str) -> tuple[bytes, str]:
        assert body.count(old) == 1, old
        return body.replace(old, new), content_type

    return edit


def flip_signature_value(body: bytes, content_type: str) -> tuple[bytes, str]:
    """Change one bit of the RSA signature value inside the signature part."""
    found = re.search(rb"SignatureValue[^>]*>([A-Za-z0-9+/=\s]+)<", body)
    assert found is not None
    raw = bytearray(base64.b64decode(found.group(1)))
    raw[7] ^= 0x01
    start, end = found.span(1)
    return body[:start] + base64.b64encode(bytes(raw)) + body[end:], content_type


async def test_control_the_relay_passes_an_unchanged_exchange(fed: ps.Federation) -> None:
    async with relay(fed) as seen:
        q = ps.soap_query()
        status, _, body = await ps.call(
            "POST", fed.client_proxy_url, body=q.body, headers={"Content-Type": q.content_type}
        )
    assert status == 200, body
    assert len(seen) == 1
    assert fed.service_calls == ["/soap"]


async def test_changed_soap_body_is_refused_before_the_service(fed: ps.Federation) -> None:
    async with relay(fed, request=replace_once(">a\xe4\xf5<".encode(), b">b<")) as seen:
        code, _ = await soap_refused(fed)
    assert len(seen) == 1
    # The digest of /message.xml no longer matches its reference in the signature (the
    # reference adds the inner prefix SignatureVerification after the origin).
    assert code.startswith("Server.ServerProxy.")
    assert code.endswith(".InvalidReference")
    assert fed.service_calls == []


async def test_changed_signature_value_is_refused_before_the_service(
    fed: ps.Federation,
) -> None:
    async with relay(fed, request=flip_signature_value) as seen:
        code, _ = await soap_refused(fed)
    assert len(seen) == 1
    assert code.startswith("Server.ServerProxy.")
    assert code.endswith(".InvalidSignatureValue")
    assert fed.service_calls == []


async def test_changed_answer_is_refused_by_the_consumers_server(fed: ps.Federation) -> None:
    # The request passes; the provider's answer is changed after SS-P signed it.
    async with relay(fed, response=replace_once(b"<response>", b"<response>x")):
        code, _ = await soap_refused(fed)
    assert code.startswith("Server.ClientProxy.")
    assert code.endswith(".InvalidReference")
    assert fed.service_calls == ["/soap"]


# ---------------------------------------------------------------- REST: the answer's headers


def resign_rest_answer(name: str, value: str) -> Edit:
    """Rewrite one X-Road header of SS-P's REST answer and sign it again with SS-P's member's
    key: a validly signed answer that does not answer this request."""

    def edit(body: bytes, content_type: str) -> tuple[bytes, str]:
        message = transport.decode(body, content_type)
        part = message.rest_response
        assert part is not None
        headers = tuple((n, value if n.lower() == name.lower() else v) for n, v in part.headers)
        assert headers != part.headers, name
        changed = rest_part.RestResponsePart(part.status, part.reason, headers)
        parts = rest_data_parts(changed.encode(), message.rest_body, rest_part.REST_RESPONSE_TYPE)
        signed = signing.sign_parts(parts, es.signing("producer"), es.NOW)
        encoded = transport_encode.encode(
            TransportMessage(
                rest_response=changed,
                rest_body=message.rest_body,
                hash_chain_result=signed.hash_chain_result,
                hash_chain=signed.hash_chain,
                signature=signed.signature,
                message_content_type=rest_part.REST_RESPONSE_TYPE,
            )
        )
        return encoded.body, encoded.content_type

    return edit


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Road-Client", "EE/BUSINESS/stranger"),
        ("X-Road-Service", "EE/BUSINESS/producer/REST/cats"),
        ("X-Road-Id", "someone-elses-id"),
        ("X-Road-Request-Hash", base64.b64encode(b"\0" * 64).decode()),
    ],
)
async def test_rest_answer_to_another_request_is_refused(
    fed: ps.Federation, name: str, value: str
) -> None:
    fed.current.producer_serverconf = ps.producer_rest_serverconf(fed.rest_url)
    url = f"{fed.client_proxy_url}/r1/EE/BUSINESS/producer/REST/pets/pets/7"
    headers = {"X-Road-Client": "EE/BUSINESS/consumer/APP", "X-Road-Id": str(uuid.uuid4())}
    with structlog.testing.capture_logs() as logs:
        async with relay(fed, response=resign_rest_answer(name, value)):
            status, answer_headers, body = await ps.call("GET", url, headers=headers)
    assert status == 500, body
    error = json.loads(body)
    assert set(error) == {"type", "message", "detail"}
    # The reference compares client, service, message id and request hash
    # (Server.ClientProxy.InconsistentResponse); this implementation adds ServiceFailed as
    # on the SOAP side.
    assert error["type"].startswith("Server.ClientProxy.")
    assert error["type"].endswith(".InconsistentResponse")
    assert answer_headers["X-Road-Error"] == error["type"]
    assert ps.logged(logs, error["type"], error["detail"])
    assert fed.service_calls == ["/api/pets/7"]
