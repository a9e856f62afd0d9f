"""Sending a transport message to the provider's security servers over mutual TLS.

One pooled, keep-alive :class:`aiohttp.ClientSession` per target server and address; the
targets are tried in configuration order and the first that accepts the connection is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import structlog

from security_server.exchange import ProviderTarget
from security_server.proxy import tls
from security_server.proxy.context import ProxyContext
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

    def __init__(self, context: ProxyContext) -> None:
        self._context = context
        self._sessions: dict[tuple[SecurityServerId, str], aiohttp.ClientSession] = {}

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
        conf = self._context.conf

        def check(der: bytes) -> None:
            # Registered to the server we meant to reach, in the configuration of now.
            if conf().server_by_auth_cert(der) != server_id:
                raise tls.refuse(
                    f"Peer's certificate is not a registered auth cert of {server_id.to_path()}"
                )

        return check

    async def send(
        self,
        targets: tuple[ProviderTarget, ...],
        encoded: transport_encode.EncodedMessage,
        original_content_type: str,
    ) -> PeerAnswer:
        """POST to the first target that answers; raise with the last connection failure."""
        headers = {
            "Content-Type": encoded.content_type,
            H_HASH_ALGORITHM: HASH_ALGORITHM,
            H_ORIGINAL_CONTENT_TYPE: original_content_type,
            H_PROXY_VERSION: PROXY_VERSION,
        }
        failure = XRoadError(Code.NETWORK_ERROR, "No provider security server to connect to")
        for target in targets:
            url = peer_url(target.address, self._context.peer_port)
            try:
                async with self._session(target).post(
                    url, data=encoded.body, headers=headers
                ) as response:
                    body = await read_limited(response.content, self._context.max_body_bytes)
                    return PeerAnswer(body, response.headers.get("Content-Type"))
            except aiohttp.ClientConnectorCertificateError as exc:
                failure = _ssl_failure(target, exc.certificate_error)
            except aiohttp.ClientSSLError as exc:
                failure = _ssl_failure(target, exc)
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                failure = XRoadError(
                    Code.NETWORK_ERROR, f"Cannot connect to {target.server_id.to_path()}"
                )
                log.info("peer_unreachable", server=target.server_id.to_path(), error=str(exc))
        raise failure.attributed_to(Origin.CLIENT_PROXY)

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()


def _ssl_failure(target: ProviderTarget, exc: BaseException) -> XRoadError:
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
