"""Onboarding's TLS: the server proxy's listener changes its identity without a restart, and
the registration service is reached only with its pinned certificate (real handshakes).

Before any usable authentication certificate the listener refuses every handshake; once the
composition root hands it one, peers with a certificate from an approved CA get through and
see that identity; a newer certificate replaces it for the next handshake; a client without a
certificate is still refused after the swap.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from central_server import tls as cs_tls
from security_server.onboarding import transport
from security_server.proxy.tls import ServerTlsIdentity, client_ssl_context
from security_server.serverconf import ErrorCode, ServerConfError
from tests.integration.security_server import proxy_support as ps
from tests.unit.security_server import exchange_support as es
from vdx.clock import utc_now


async def _hello(request: web.Request) -> web.Response:
    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
    peer = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    subject = x509.load_der_x509_certificate(peer).subject.rfc4514_string() if peer else "-"
    return web.Response(text=subject)


@pytest.fixture
async def listener() -> AsyncIterator[tuple[ServerTlsIdentity, int]]:
    identity = ServerTlsIdentity()
    app = web.Application()
    app.router.add_get("/", _hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = ps.bound_socket()
    await web.SockSite(runner, sock, ssl_context=identity.listener_context()).start()
    try:
        yield identity, ps.port_of(sock)
    finally:
        await runner.cleanup()


async def _answer(port: int, context: ssl.SSLContext) -> bytes | None:
    """One HTTP/1.1 request over a fresh TLS connection: the body of a 200 answer, or None
    when the handshake (or, in TLS 1.3, the first read after it) was refused."""
    try:
        reader, writer = await asyncio.open_connection(ps.HOST, port, ssl=context)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), 10)
        finally:
            writer.close()
    except (ssl.SSLError, ConnectionError):
        return None
    head, _, body = answer.partition(b"\r\n\r\n")
    return body if head.startswith(b"HTTP/1.1 200") else None


async def _exchange(port: int, context: ssl.SSLContext) -> bytes:
    body = await _answer(port, context)
    assert body is not None, "the handshake was refused"
    return body


def _client(seen: list[str]) -> ssl.SSLContext:
    trust = es.configuration().trust

    def check(der: bytes) -> None:
        seen.append(x509.load_der_x509_certificate(der).subject.rfc4514_string())

    return client_ssl_context(ps.auth_material("SS-C"), trust, check)


async def test_identity_arrives_and_changes_without_a_restart(
    listener: tuple[ServerTlsIdentity, int],
) -> None:
    identity, port = listener
    seen: list[str] = []
    assert await _answer(port, _client(seen)) is None
    assert not identity.ready

    trust = es.configuration().trust
    assert identity.update(ps.auth_material("SS-P"), trust)
    assert not identity.update(ps.auth_material("SS-P"), trust)  # same: nothing rebuilt
    body = await _exchange(port, _client(seen))
    assert b"CN=SS-C" in body  # the server saw our client certificate
    assert "CN=SS-P" in seen[-1]

    assert identity.update(ps.auth_material(ps.ROGUE), trust)
    await _exchange(port, _client(seen))
    assert "CN=SS-X" in seen[-1]

    # A client certificate is still required after the swap.
    bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    bare.check_hostname = False
    for _, cert in trust.ca_certificates():
        bare.load_verify_locations(cadata=cert.public_bytes(Encoding.DER))
    assert await _answer(port, bare) is None

    assert identity.update(None, trust)
    assert await _answer(port, _client(seen)) is None


async def _not_soap(_: web.Request) -> web.Response:
    return web.Response(text="hello")


async def test_registration_service_is_reached_only_with_the_pinned_certificate(
    tmp_path: Path,
) -> None:
    """authCertReg trusts exactly ``authCertRegServiceCert`` (pr-gconf private parameters):
    the central server's certificate gets through (its answer is then judged), another
    certificate for the same host is refused during the handshake."""
    now = utc_now()
    central = cs_tls.load_or_create(tmp_path / "central", ps.HOST, now)
    other = cs_tls.load_or_create(tmp_path / "other", ps.HOST, now)
    app = web.Application()
    app.router.add_post("/managementservice/", _not_soap)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = ps.bound_socket()
    await web.SockSite(
        runner, sock, ssl_context=cs_tls.server_context(tmp_path / "central")
    ).start()
    url = f"https://{ps.HOST}:{ps.port_of(sock)}/managementservice/"
    try:
        async with aiohttp.ClientSession() as session:
            for pinned, code in ((central, ErrorCode.INVALID), (other, ErrorCode.UNAVAILABLE)):
                tls = transport.pinned_context(pinned.public_bytes(Encoding.DER))
                with pytest.raises(ServerConfError) as refused:
                    await transport.send(session, url, b"<x/>", "text/xml", tls=tls)
                assert refused.value.code is code, refused.value
    finally:
        await runner.cleanup()
