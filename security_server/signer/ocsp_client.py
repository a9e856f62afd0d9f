"""Fetch, verify and cache OCSP responses for our own certificates (RFC 6960 over HTTP).

The cache is in-process here; several nodes of one security server will share it through Redis
(ARCHITECTURE rule 7) when the security server issue lands. A fetched response is verified
before it is cached, so a broken responder cannot poison the cache, and the previous response
stays in use until a good replacement arrives.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
from cryptography import x509

from vdx.crypto import ocsp
from vdx.crypto.ocsp_refresh import DEFAULT_FETCH_INTERVAL_SECONDS, refresh_due
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, XRoadError

OCSP_REQUEST_TYPE = "application/ocsp-request"
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class CachedResponse:
    der: bytes
    info: ocsp.OcspInfo


def _key(cert: x509.Certificate) -> tuple[bytes, int]:
    return (cert.issuer.public_bytes(), cert.serial_number)


@dataclass
class OcspClient:
    session: aiohttp.ClientSession
    trust: TrustConfig
    timeout_seconds: float = 10.0
    fetch_interval_seconds: int = DEFAULT_FETCH_INTERVAL_SECONDS
    # Shared by every client of one server; Redis-backed across nodes in the security server issue.
    cache: dict[tuple[bytes, int], CachedResponse] = field(default_factory=dict)

    def responder_urls(self, cert: x509.Certificate) -> list[str]:
        """Responders the configuration lists for the issuing CA first, then the cert's AIA."""
        urls = [
            responder.url
            for ca, ca_cert in self.trust.ca_certificates()
            if ca_cert.subject == cert.issuer
            for responder in ca.ocsp_responders
        ]
        return list(dict.fromkeys([*urls, *ocsp.responder_urls(cert)]))

    def _trusted_responders(self) -> list[x509.Certificate]:
        return [c for ca in self.trust.cas for c in ca.responder_certs]

    async def fetch(
        self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime
    ) -> CachedResponse:
        """Ask each responder in turn; return the first response that verifies."""
        request = ocsp.build_request(cert, issuer)
        failures: list[str] = []
        for url in self.responder_urls(cert):
            try:
                der = await self._post(url, request)
                info = ocsp.verify_response(
                    der,
                    issuer=issuer,
                    serial_number=cert.serial_number,
                    now=now,
                    trusted_responders=self._trusted_responders(),
                    freshness_seconds=self.trust.ocsp_freshness_seconds,
                    clock_skew_seconds=self.trust.clock_skew_seconds,
                    verify_next_update=self.trust.verify_next_update,
                    check_cert_status=False,  # a revoked status is news to keep, not an error
                )
            except (aiohttp.ClientError, TimeoutError, XRoadError) as error:
                failures.append(f"{url}: {error}")
                continue
            cached = CachedResponse(der, info)
            self.cache[_key(cert)] = cached
            return cached
        detail = "; ".join(failures) or "no OCSP responder known for this certificate"
        raise XRoadError(Code.CERT_VALIDATION, f"OCSP fetch failed: {detail}")

    async def get(
        self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime
    ) -> CachedResponse:
        """The cached response, fetched again when its refresh time has come.

        If the refresh fails while the cached response is still fresh, the cached one is
        returned: a responder outage shorter than the freshness window stops nothing.
        """
        cached = self.cache.get(_key(cert))
        if cached is not None and not refresh_due(
            cached.info,
            now,
            freshness_seconds=self.trust.ocsp_freshness_seconds,
            fetch_interval_seconds=self.fetch_interval_seconds,
        ):
            return cached
        try:
            return await self.fetch(cert, issuer, now)
        except XRoadError:
            if cached is None:
                raise
            ocsp.check_times(
                cached.info,
                now,
                freshness_seconds=self.trust.ocsp_freshness_seconds,
                clock_skew_seconds=self.trust.clock_skew_seconds,
                verify_next_update=self.trust.verify_next_update,
            )
            return cached

    async def _post(self, url: str, request: bytes) -> bytes:
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        async with (
            asyncio.timeout(self.timeout_seconds),
            self.session.post(
                url, data=request, headers={"Content-Type": OCSP_REQUEST_TYPE}, timeout=timeout
            ) as response,
        ):
            if response.status != 200:
                raise XRoadError(Code.HTTP_ERROR, f"responder answered HTTP {response.status}")
            body = await response.content.read(MAX_RESPONSE_BYTES + 1)
            if len(body) > MAX_RESPONSE_BYTES:
                raise XRoadError(Code.INVALID_RESPONSE, "OCSP response too large")
            return body
