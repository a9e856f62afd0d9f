"""Where the exchange goes: the provider's security servers, and the provider's service.

A provider on several security servers: the client proxy races TLS handshakes to all of
them, uses the first to complete and remembers it (the reference's fastest-connecting
selection); a server that is down or never completes a handshake does not stall the message.
The service call: a timeout is ``ServiceFailed.IOError`` as the reference reports a read
timeout, and an https service's certificate is verified as the service's ``tls_verify`` says.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from security_server.exchange import ProviderTarget
from security_server.proxy import create_server_proxy, server_ssl_context
from security_server.proxy.peer_choice import FastestChoice, fallback_order
from security_server.proxy.peer_ocsp import cert_hash
from tests.integration.security_server import proxy_support as ps
from tests.unit.crypto import pki
from tests.unit.security_server import exchange_support as es
from vdx.globalconf.model import SecurityServer
from vdx.identifiers import SecurityServerId

SS_P2 = SecurityServerId(es.PRODUCER, "SS-P2")


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        yield federation


async def exchange(fed: ps.Federation) -> tuple[int, bytes]:
    q = ps.soap_query()
    status, _, body = await ps.call(
        "POST", fed.client_proxy_url, body=q.body, headers={"Content-Type": q.content_type}
    )
    return status, body


# ---------------------------------------------------------------- several provider servers


def second_server(address: str) -> SecurityServer:
    auth = es.auth_cert("SS-P2")
    return SecurityServer(
        owner=es.PRODUCER,
        server_code="SS-P2",
        address=address,
        auth_cert_hashes=(hashlib.sha256(ps.der(auth)).digest(),),
        clients=(es.PRODUCER_REST,),
    )


def producer_on_two(fed: ps.Federation, first: str, second: str) -> None:
    """The producer on SS-P (``first``) and SS-P2 (``second``), in that order."""
    fed.current.conf = ps.configuration(
        f"{ps.HOST}:{fed.consumer_port}", first, extra_servers=(second_server(second),)
    )
    auth_p, auth_p2 = es.auth_cert("SS-P"), es.auth_cert("SS-P2")
    fed.current.producer_ocsp_listener = {
        cert_hash(ps.der(auth_p)): es.ocsp(auth_p),
        cert_hash(ps.der(auth_p2)): es.ocsp(auth_p2),
    }


@contextlib.contextmanager
def never_handshakes() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) but never speaks TLS."""
    with ps.bound_socket() as sock:
        sock.listen(16)
        yield ps.port_of(sock)


@contextlib.asynccontextmanager
async def second_producer(fed: ps.Federation) -> AsyncIterator[int]:
    """A real server proxy of SS-P2 (its own registered auth certificate)."""
    ctx = ps.context(fed.current, "SS-P", producer=True, auth_code="SS-P2")
    runner = web.AppRunner(create_server_proxy(ctx), access_log=None)
    await runner.setup()
    with ps.bound_socket() as sock:
        site = web.SockSite(runner, sock, ssl_context=server_ssl_context(ctx.auth(), ctx.trust()))
        await site.start()
        try:
            yield ps.port_of(sock)
        finally:
            await runner.cleanup()


async def test_a_provider_server_that_is_down_is_passed_over(fed: ps.Federation) -> None:
    async with second_producer(fed) as p2_port:
        # SS-P, first in configuration order, is down.
        producer_on_two(fed, f"{ps.HOST}:{ps.closed_port()}", f"{ps.HOST}:{p2_port}")
        for _ in range(2):  # the race, then the remembered choice
            status, body = await exchange(fed)
            assert status == 200, body
    assert fed.service_calls == ["/soap", "/soap"]


async def test_a_server_that_never_completes_the_handshake_does_not_stall(
    fed: ps.Federation,
) -> None:
    async with second_producer(fed) as p2_port:
        with never_handshakes() as silent:
            # SS-P (first in configuration order) accepts TCP and then says nothing.
            producer_on_two(fed, f"{ps.HOST}:{silent}", f"{ps.HOST}:{p2_port}")
            started = time.monotonic()
            status, body = await exchange(fed)
            elapsed = time.monotonic() - started
            assert status == 200, body
            status, body = await exchange(fed)  # remembered: straight to SS-P2
            assert status == 200, body
    assert elapsed < 10.0  # the peer timeout (600 s) would apply to a plain first-in-order try
    assert fed.service_calls == ["/soap", "/soap"]


async def test_all_provider_servers_down_is_a_network_error(fed: ps.Federation) -> None:
    producer_on_two(fed, f"{ps.HOST}:{ps.closed_port()}", f"{ps.HOST}:{ps.closed_port()}")
    status, body = await exchange(fed)
    assert status == 500
    assert ps.soap_fault(body)[0] == "Server.ClientProxy.NetworkError"


A = ProviderTarget(es.SS_P, "a:1")
B = ProviderTarget(SS_P2, "b:2")


def test_choice_is_remembered_for_the_period_per_set_of_targets() -> None:
    choice = FastestChoice(period=60.0)
    assert choice.remembered((A, B), 0.0) is None
    choice.remember((A, B), B, 0.0)
    assert choice.remembered((B, A), 59.0) == B  # the set, not its order
    assert choice.remembered((A,), 1.0) is None
    assert choice.remembered((A, B), 60.0) is None  # expired, and forgotten
    choice.remember((A, B), A, 100.0)
    choice.forget((A, B))
    assert choice.remembered((A, B), 100.0) is None


def test_fallback_order_puts_the_choice_first() -> None:
    assert fallback_order((A, B), B) == (B, A)
    assert fallback_order((A, B), None) == (A, B)


# ---------------------------------------------------------------- the provider's service


async def test_service_timeout_is_an_io_error(fed: ps.Federation) -> None:
    slow_url = fed.service_url.replace("/soap", "/slow")
    fed.current.producer_serverconf = ps.producer_soap_serverconf(slow_url, timeout=1)
    status, body = await exchange(fed)
    assert status == 500
    assert ps.soap_fault(body)[0] == "Server.ServerProxy.ServiceFailed.IOError"


@functools.cache
def service_cert() -> x509.Certificate:
    """The provider's service: a self-signed TLS server certificate."""
    key = pki.key("service-tls")
    return pki.make_cert(
        pki.name("service.producer.test"),
        key,
        None,
        key,
        usage={"digital_signature": True, "key_encipherment": True},
        eku=[ExtendedKeyUsageOID.SERVER_AUTH],
    )


@pytest.fixture
async def https_service(tmp_path: Path) -> AsyncIterator[str]:
    """The producer's services over HTTPS with the self-signed certificate."""
    pem = tmp_path / "service.pem"
    key_pem = pki.key("service-tls").private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem.write_bytes(key_pem + service_cert().public_bytes(serialization.Encoding.PEM))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem)
    runner = web.AppRunner(ps.services_app([]), access_log=None)
    await runner.setup()
    with ps.bound_socket() as sock:
        await web.SockSite(runner, sock, ssl_context=ctx).start()
        try:
            yield f"https://{ps.HOST}:{ps.port_of(sock)}/soap"
        finally:
            await runner.cleanup()


async def test_https_service_with_verification_and_no_pinned_cert_is_refused(
    fed: ps.Federation, https_service: str
) -> None:
    fed.current.producer_serverconf = ps.producer_soap_serverconf(https_service)
    status, body = await exchange(fed)
    assert status == 500
    assert ps.soap_fault(body)[0] == "Server.ServerProxy.ServiceFailed.SslAuthenticationFailed"


async def test_https_service_with_another_pinned_cert_is_refused(
    fed: ps.Federation, https_service: str
) -> None:
    other = ps.der(es.auth_cert("SS-C"))  # some certificate, not the service's
    fed.current.producer_serverconf = ps.producer_soap_serverconf(https_service, is_certs=(other,))
    status, body = await exchange(fed)
    assert status == 500
    code, string, _ = ps.soap_fault(body)
    assert code == "Server.ServerProxy.ServiceFailed.SslAuthenticationFailed"
    assert string == "TLS authentication of the service failed"


async def test_https_service_with_its_cert_pinned_is_served(
    fed: ps.Federation, https_service: str
) -> None:
    pinned = (ps.der(service_cert()),)
    fed.current.producer_serverconf = ps.producer_soap_serverconf(https_service, is_certs=pinned)
    status, body = await exchange(fed)
    assert status == 200, body


async def test_https_service_without_verification_is_served(
    fed: ps.Federation, https_service: str
) -> None:
    fed.current.producer_serverconf = ps.producer_soap_serverconf(https_service, tls_verify=False)
    status, body = await exchange(fed)
    assert status == 200, body
