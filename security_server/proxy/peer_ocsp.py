"""The provider's authentication certificate's OCSP status, as the client proxy checks it.

pr-messtransp §3 and the reference's client proxy (UC MESS_04): the provider's server presents
its authentication certificate in the TLS handshake; the consumer's server needs a fresh,
good OCSP response for it. Responses are cached here; a missing or no longer valid one is
asked from the provider's own OCSP listener (``GET http://host:5577/?cert=<hex SHA-1>``) and
checked before it is cached, so a revoked certificate is refused with
``SslAuthenticationFailed`` and never enters the cache.

Inside the handshake nothing may wait on the network: :meth:`PeerOcsp.check` raises
:class:`OcspNeeded` instead, the shell fetches (:func:`fetch`) and connects again.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable
from datetime import datetime

import aiohttp
from cryptography import x509

from vdx.crypto import certs
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, XRoadError
from vdx.message import multipart

OCSP_TYPE = "application/ocsp-response"
MAX_RESPONSE_BYTES = 64 * 1024
FETCH_TIMEOUT = 10.0


def cert_hash(der: bytes) -> str:
    """The hex SHA-1 by which peers name a certificate to the OCSP listener."""
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


class OcspNeeded(ssl.SSLCertVerificationError):
    """No usable cached response for the peer's certificate: fetch one, then connect again."""

    def __init__(self, certificate_der: bytes) -> None:
        super().__init__("OCSP response of the peer's certificate is needed")
        self.certificate_der = certificate_der


class PeerOcsp:
    """Validated OCSP responses of peers' authentication certificates, by certificate hash."""

    def __init__(self) -> None:
        self._responses: dict[str, bytes] = {}

    def check(self, certificate_der: bytes, trust: TrustConfig, now: datetime) -> None:
        """Pass if the cached response still validates the certificate at ``now``; raise
        :class:`OcspNeeded` otherwise (none cached, or stale now)."""
        key = cert_hash(certificate_der)
        response = self._responses.get(key)
        if response is None:
            raise OcspNeeded(certificate_der)
        cert = x509.load_der_x509_certificate(certificate_der)
        try:
            certs.validate_certificate(cert, "auth", trust, (response,), now)
        except XRoadError:
            del self._responses[key]
            raise OcspNeeded(certificate_der) from None

    def accept(
        self,
        certificate_der: bytes,
        responses: tuple[bytes, ...],
        trust: TrustConfig,
        now: datetime,
    ) -> None:
        """Validate fetched ``responses`` for the certificate and cache the one that matched;
        raise ``SslAuthenticationFailed`` (revoked, stale, not for this certificate ...)."""
        cert = x509.load_der_x509_certificate(certificate_der)
        failure = "no OCSP response"
        for response in responses:
            try:
                certs.validate_certificate(cert, "auth", trust, (response,), now)
            except XRoadError as error:
                failure = error.message
                continue
            self._responses[cert_hash(certificate_der)] = response
            return
        raise XRoadError(Code.SSL_AUTH_FAILED, f"Peer's TLS certificate is not valid: {failure}")


# The X-Road default ports: server proxy 5500, OCSP listener 5577 (ug-ss, network ports).
DEFAULT_SERVER_PORT = 5500
OCSP_PORT_OFFSET = 77


def ocsp_url(
    address: str,
    port: int,
    certificate_der: bytes,
    locate: Callable[[str], str] | None = None,
) -> str:
    """The provider's OCSP listener.

    An address without a port is a server on the default ports: its listener is at ``port``
    (5577). An address ``host:P`` names a server proxy on a port of its own (several security
    servers behind one host, as in development); its listener keeps the defaults' distance,
    ``P + 77``, so that both servers of a host can be found from the registered address alone.
    """
    query = f"?cert={cert_hash(certificate_der)}"
    if locate is not None:
        return f"http://{locate(address)}/{query}"
    host, sep, tail = address.rpartition(":")
    if not sep or not tail.isdigit() or "]" in tail:
        return f"http://{address}:{port}/{query}"
    return f"http://{host}:{int(tail) + OCSP_PORT_OFFSET}/{query}"


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[bytes, ...]:
    """The OCSP responses the peer's listener returns (a multipart/related of them)."""
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT), allow_redirects=False
        ) as response:
            if response.status != 200:
                raise XRoadError(
                    Code.SSL_AUTH_FAILED,
                    f"Peer's OCSP listener answered HTTP {response.status}",
                )
            body = await response.content.read(MAX_RESPONSE_BYTES + 1)
            content_type = response.headers.get("Content-Type")
    except (aiohttp.ClientError, TimeoutError):
        raise XRoadError(
            Code.SSL_AUTH_FAILED, "Cannot get the OCSP response of the peer's TLS certificate"
        ) from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise XRoadError(Code.SSL_AUTH_FAILED, "Peer's OCSP answer exceeds the size limit")
    return parse_responses(body, content_type)


def parse_responses(body: bytes, content_type: str | None) -> tuple[bytes, ...]:
    """The ``application/ocsp-response`` parts of a multipart body (or the body itself)."""
    try:
        media = multipart.parse_content_type(content_type)
        if media.media_type == OCSP_TYPE:
            return (body,)
        boundary = media.params.get("boundary")
        parts = multipart.split(body, boundary or "")
    except XRoadError:
        raise XRoadError(Code.SSL_AUTH_FAILED, "Peer's OCSP answer is malformed") from None
    found = tuple(p.body for p in parts if p.content_type.media_type == OCSP_TYPE)
    if not found:
        raise XRoadError(Code.SSL_AUTH_FAILED, "Peer's OCSP answer holds no OCSP response")
    return found
