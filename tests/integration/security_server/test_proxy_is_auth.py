"""Information-system connection types on the client proxy, over real TLS (ug-ss "Communication
with the client information systems"; the reference's NOSSL / SSLNOAUTH / SSLAUTH).

The consumer's client proxy serves plain HTTP and HTTPS with the internal TLS certificate it
generated; information systems verify that certificate, and present their own (self-signed,
as operators usually make them) when their client's type is HTTPS.
"""

from __future__ import annotations

import functools
import json
import ssl
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from security_server.proxy import internal_tls
from security_server.serverconf.model import ClientState, ConnectionType, ServerIdentity
from security_server.serverconf.snapshot import ClientEntry, build_snapshot
from tests.integration.security_server import proxy_support as ps
from tests.unit.crypto import pki
from tests.unit.security_server import exchange_support as es

FAULT = "Server.ClientProxy.SslAuthenticationFailed"


@pytest.fixture
async def fed(tmp_path: Path) -> AsyncIterator[ps.Federation]:
    async with ps.federation(client_tls=tmp_path) as federation:
        yield federation


@functools.cache
def is_cert(label: str) -> x509.Certificate:
    """A self-signed TLS client certificate of an information system."""
    k = pki.key(label)
    return pki.make_cert(pki.name(label), k, None, k, usage={"digital_signature": True})


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def set_types(fed: ps.Federation, kind: ConnectionType, certs: tuple[bytes, ...] = ()) -> None:
    """The consumer's clients on SS-C: the member with ``kind`` and ``certs``; the subsystem
    APP keeps HTTP but has a certificate of its own (stored for it only)."""
    fed.current.consumer_serverconf = build_snapshot(
        ServerIdentity(es.SS_C),
        [
            ClientEntry(es.CONSUMER, ClientState.REGISTERED, kind, certs),
            ClientEntry(es.CONSUMER_APP, ClientState.REGISTERED, kind, (der(is_cert("is-app")),)),
        ],
        [],
        [],
        {},
    )


def is_context(fed: ps.Federation, cert_label: str | None = None) -> ssl.SSLContext:
    """What an information system uses: the internal certificate pinned, hostname checked."""
    assert fed.internal_cert is not None
    ctx = ssl.create_default_context(cafile=str(fed.internal_cert))
    if cert_label is not None:
        key_pem = pki.key(cert_label).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = fed.internal_cert.parent.parent / f"{cert_label}.pem"
        path.write_bytes(key_pem + is_cert(cert_label).public_bytes(serialization.Encoding.PEM))
        ctx.load_cert_chain(path)
    return ctx


async def soap(fed: ps.Federation, *, tls: ssl.SSLContext | None) -> tuple[int, bytes]:
    q = ps.soap_query()
    url = fed.client_proxy_tls_url if tls is not None else fed.client_proxy_url
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls or False)) as session,
        session.post(url, data=q.body, headers={"Content-Type": q.content_type}) as response,
    ):
        return response.status, await response.read()


async def refused(fed: ps.Federation, tls: ssl.SSLContext | None) -> str:
    status, body = await soap(fed, tls=tls)
    assert status == 500, body
    code, string, _ = ps.soap_fault(body)
    assert code == FAULT
    assert fed.service_calls == []
    return string


async def test_http_type_is_served_on_both_sides(fed: ps.Federation) -> None:
    set_types(fed, ConnectionType.HTTP)
    assert (await soap(fed, tls=None))[0] == 200
    assert (await soap(fed, tls=is_context(fed)))[0] == 200
    assert (await soap(fed, tls=is_context(fed, "is-app")))[0] == 200
    assert fed.service_calls == ["/soap"] * 3


async def test_https_no_auth_refuses_plain_http(fed: ps.Federation) -> None:
    set_types(fed, ConnectionType.HTTPS_NO_AUTH)
    string = await refused(fed, None)
    assert string == (
        f"Client (MEMBER:{es.CONSUMER.to_path()}) specifies HTTPS NO AUTH "
        "but client made plaintext connection"
    )
    assert (await soap(fed, tls=is_context(fed)))[0] == 200


async def test_https_needs_a_client_certificate(fed: ps.Federation) -> None:
    set_types(fed, ConnectionType.HTTPS, (der(is_cert("is-consumer")),))
    wanted = f"Client (MEMBER:{es.CONSUMER.to_path()}) specifies HTTPS but did not supply TLS "
    assert await refused(fed, None) == wanted + "certificate"
    assert await refused(fed, is_context(fed)) == wanted + "certificate"


async def test_https_with_a_stored_certificate_is_served(fed: ps.Federation) -> None:
    set_types(fed, ConnectionType.HTTPS, (der(is_cert("is-consumer")),))
    status, body = await soap(fed, tls=is_context(fed, "is-consumer"))
    assert status == 200, body
    assert fed.service_calls == ["/soap"]


async def test_https_with_another_clients_certificate_is_refused(fed: ps.Federation) -> None:
    set_types(fed, ConnectionType.HTTPS, (der(is_cert("is-consumer")),))
    # Stored, but for the subsystem APP: the handshake passes, the message does not.
    string = await refused(fed, is_context(fed, "is-app"))
    assert string.endswith("TLS certificate does not match any IS certificates")


async def test_a_certificate_stored_for_nobody_fails_the_handshake(fed: ps.Federation) -> None:
    set_types(fed, ConnectionType.HTTPS, (der(is_cert("is-consumer")),))
    with pytest.raises(aiohttp.ClientError):
        await soap(fed, tls=is_context(fed, "is-stranger"))
    assert fed.service_calls == []


async def test_rest_refusal_is_rendered_as_rest_error(fed: ps.Federation) -> None:
    fed.current.producer_serverconf = ps.producer_rest_serverconf(fed.rest_url)
    set_types(fed, ConnectionType.HTTPS_NO_AUTH)
    url = "/r1/EE/BUSINESS/producer/REST/pets/pets/7"
    headers = {"X-Road-Client": "EE/BUSINESS/consumer/APP"}
    status, _, body = await ps.call("GET", fed.client_proxy_url + url, headers=headers)
    assert status == 500
    assert json.loads(body)["type"] == FAULT
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=is_context(fed))) as session,
        session.get(fed.client_proxy_tls_url + url, headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
    assert fed.service_calls == ["/api/pets/7"]


def test_internal_certificate_is_generated_once_with_a_private_key(tmp_path: Path) -> None:
    directory = tmp_path / "internal-tls"
    first = internal_tls.load_or_create(directory, hostname="ss.example.test", now=es.NOW)
    again = internal_tls.load_or_create(directory, hostname="other", now=es.NOW)
    assert again.certificate == first.certificate
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600
    cert = first.certificate
    assert cert.subject == cert.issuer  # self-signed, as the reference's first start makes it
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["ss.example.test"]
    ssl.create_default_context().load_cert_chain(first.cert_path, first.key_path)
