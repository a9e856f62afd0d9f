"""Sending a transport message to the provider's security servers over mutual TLS.

One pooled, keep-alive :class:`aiohttp.ClientSession` per target server and address. With
several targets the fastest to complete a TLS handshake is chosen and remembered
(:mod:`.peer_choice`); the peer's authentication certificate must be registered to the server
meant and, when ``peer_ocsp_port`` is set, have a good OCSP response (:mod:`.peer_ocsp`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import ssl
import time
from dataclasses import dataclass

import aiohttp
import structlog
import yarl

from security_server.exchange import ProviderTarget
from security_server.proxy import peer_ocsp, tls
from security_server.proxy.context import ProxyContext
from security_server.proxy.peer_choice import FastestChoice, fallback_order
from security_server.proxy.peer_ocsp import OcspNeeded, PeerOcsp
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import SecurityServerId
from vdx.message import transport_encode

log = structlog.get_logger("security_server.proxy")

# Transport headers (pr-messtransp §2; the reference's MimeUtils names).
H_HASH_ALGORITHM = "x-hash-algorithm"
H_ORIGINAL_CONTENT_TYPE = "x-original-content-type"
H_PROXY_VERSION = "x-proxy-version"
# pr-messtransp / the reference's MimeUtils: the digest name as Java's DigestAlgorithm writes it.
HASH_ALGORITHM = "SHA-512"
PROXY_VERSION = "vdx-0.1"


@dataclass(frozen=True, slots=True)
class PeerAnswer:
    body: bytes
    content_type: str | None


def peer_url(address: str, default_port: int) -> str:
    """``https://address:port/``; an address may carry its own port (``host:port``)."""
    _, sep, port = address.rpartition(":")
    if sep and port.isdigit() and "]" not in port:
        return f"https://{address}/"
    return f"https://{address}:{default_port}/"


class PeerPool:
    """Sessions per (server, address), created on first use and closed with the app."""

    def __init__(self, context: ProxyContext, choice: FastestChoice | None = None) -> None:
        self._context = context
        self._sessions: dict[tuple[SecurityServerId, str], aiohttp.ClientSession] = {}
        self._choice = choice or FastestChoice()
        self._ocsp = PeerOcsp()
        self._plain: aiohttp.ClientSession | None = None

    def _session(self, target: ProviderTarget) -> aiohttp.ClientSession:
        key = (target.server_id, target.address)
        session = self._sessions.get(key)
        if session is None or session.closed:
            ctx = tls.client_ssl_context(
                self._context.auth(), self._context.trust(), self._checker(target.server_id)
            )
            connector = aiohttp.TCPConnector(ssl=ctx, limit_per_host=100, keepalive_timeout=60)
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=self._context.peer_timeout, sock_connect=self._context.connect_timeout
                ),
            )
            self._sessions[key] = session
        return session

    def _checker(self, server_id: SecurityServerId) -> tls.PeerCheck:
        context = self._context

        def check(der: bytes) -> None:
            # Registered to the server we meant to reach, in the configuration of now.
            if context.conf().server_by_auth_cert(der) != server_id:
                raise tls.refuse(
                    f"Peer's certificate is not a registered auth cert of {server_id.to_path()}"
                )
            # And not revoked: a fresh, good OCSP response (UC MESS_04; raises OcspNeeded).
            if context.peer_ocsp_port is not None:
                self._ocsp.check(der, context.trust(), context.clock())

        return check

    async def send(
        self,
        targets: tuple[ProviderTarget, ...],
        encoded: transport_encode.EncodedMessage,
        original_content_type: str,
    ) -> PeerAnswer:
        """POST to the fastest target (or the remembered one), then to the others in
        configuration order; raise with the last connection failure."""
        headers = {
            "Content-Type": encoded.content_type,
            H_HASH_ALGORITHM: HASH_ALGORITHM,
            H_ORIGINAL_CONTENT_TYPE: original_content_type,
            H_PROXY_VERSION: PROXY_VERSION,
        }
        failure = XRoadError(Code.NETWORK_ERROR, "No provider security server to connect to")
        for target in await self._order(targets):
            try:
                return await self._post(target, encoded, headers)
            except _Unreachable as unreachable:
                # Not connected (or refused in the handshake): nothing was sent, try the next.
                failure = unreachable.error
                if self._choice.remembered(targets, time.monotonic()) == target:
                    self._choice.forget(targets)
        raise failure.attributed_to(Origin.CLIENT_PROXY)

    async def _order(self, targets: tuple[ProviderTarget, ...]) -> tuple[ProviderTarget, ...]:
        if len(targets) < 2:
            return targets
        remembered = self._choice.remembered(targets, time.monotonic())
        if remembered is not None:
            return fallback_order(targets, remembered)
        winner = await self._race(targets)
        if winner is not None:
            self._choice.remember(targets, winner, time.monotonic())
        return fallback_order(targets, winner)

    async def _race(self, targets: tuple[ProviderTarget, ...]) -> ProviderTarget | None:
        """The first target to complete a TLS handshake (the message's own connection then
        makes every check of the peer); None when none does within the connect timeout."""
        ctx = tls.client_ssl_context(self._context.auth(), self._context.trust(), _accept_any)
        probes = {asyncio.ensure_future(self._probe(target, ctx)): target for target in targets}
        pending = set(probes)
        winner: ProviderTarget | None = None
        try:
            async with asyncio.timeout(self._context.connect_timeout):
                while pending and winner is None:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    winner = next((probes[t] for t in done if t.result()), None)
        except TimeoutError:
            log.info("peers_not_connecting", servers=[t.server_id.to_path() for t in targets])
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        return winner

    async def _probe(self, target: ProviderTarget, ctx: ssl.SSLContext) -> bool:
        url = yarl.URL(peer_url(target.address, self._context.peer_port))
        try:
            _, writer = await asyncio.open_connection(url.host, url.port, ssl=ctx)
        except (OSError, ssl.SSLError):
            return False
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)
        return True

    async def _post(
        self,
        target: ProviderTarget,
        encoded: transport_encode.EncodedMessage,
        headers: dict[str, str],
    ) -> PeerAnswer:
        """One target; a connection refused for a missing OCSP response is retried once,
        after the response has been fetched from the peer and checked."""
        url = peer_url(target.address, self._context.peer_port)
        for attempt in (1, 2):
            try:
                # A stream, not bytes: aiohttp would copy a large bytes body on the loop.
                async with self._session(target).post(
                    url, data=io.BytesIO(encoded.body), headers=headers
                ) as response:
                    body = await read_limited(response.content, self._context.max_body_bytes)
                    return PeerAnswer(body, response.headers.get("Content-Type"))
            except aiohttp.ClientConnectorCertificateError as exc:
                error = exc.certificate_error
                if isinstance(error, OcspNeeded) and attempt == 1:
                    try:
                        await self._fetch_ocsp(target, error.certificate_der)
                    except XRoadError as refused:
                        raise _Unreachable(refused) from None
                    continue
                raise _Unreachable(_ssl_failure(target, error)) from None
            except aiohttp.ClientSSLError as exc:
                raise _Unreachable(_ssl_failure(target, exc)) from None
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                log.info("peer_unreachable", server=target.server_id.to_path(), error=str(exc))
                raise _Unreachable(
                    XRoadError(
                        Code.NETWORK_ERROR, f"Cannot connect to {target.server_id.to_path()}"
                    )
                ) from None
        raise _Unreachable(_ssl_failure(target, ssl.SSLError("OCSP response still missing")))

    async def _fetch_ocsp(self, target: ProviderTarget, certificate_der: bytes) -> None:
        port = self._context.peer_ocsp_port
        if port is None:  # unreachable: the check asks only when a port is set
            raise XRoadError(Code.SSL_AUTH_FAILED, "No OCSP port to ask the peer")
        if self._plain is None or self._plain.closed:
            self._plain = aiohttp.ClientSession()
        url = peer_ocsp.ocsp_url(
            target.address, port, certificate_der, self._context.peer_ocsp_address
        )
        try:
            responses = await peer_ocsp.fetch(self._plain, url)
            self._ocsp.accept(
                certificate_der, responses, self._context.trust(), self._context.clock()
            )
        except XRoadError as error:
            log.info("peer_ocsp_refused", server=target.server_id.to_path(), error=error.message)
            raise

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
        if self._plain is not None:
            await self._plain.close()


class _Unreachable(Exception):  # noqa: N818 - a signal between two methods, never raised out
    """A target that could not be used before any byte of the message was sent."""

    def __init__(self, error: XRoadError) -> None:
        super().__init__(error.message)
        self.error = error


def _accept_any(_der: bytes) -> None:
    """The race only measures who connects first; the message's connection checks the peer."""


def _ssl_failure(target: ProviderTarget, exc: BaseException) -> XRoadError:
    # "Service provider did not send correct authentication certificate" in the reference.
    log.info("peer_tls_refused", server=target.server_id.to_path(), error=str(exc))
    return XRoadError(
        Code.SSL_AUTH_FAILED,
        f"TLS authentication of {target.server_id.to_path()} failed",
    )


async def read_limited(stream: aiohttp.StreamReader, limit: int) -> bytes:
    """Read a whole body, refusing more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream.iter_any():
        size += len(chunk)
        if size > limit:
            raise XRoadError(Code.INVALID_MESSAGE, "Message exceeds the size limit")
        chunks.append(chunk)
    return b"".join(chunks)
