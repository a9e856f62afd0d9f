"""Sending management requests to the central server: addresses, TLS, answers.

``authCertReg`` goes to the registration service (``authCertRegServiceAddress`` of the private
parameters, pr-gconf §4.3) over TLS trusting exactly ``authCertRegServiceCert``: the server has
no registered certificate yet, so the central server is authenticated by that pinned
certificate, not by a CA. Every other type goes to the management service (port 4002 in the
X-Road defaults), plain HTTP like the reference's management services address unless the
``management_service_url`` setting says otherwise.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import aiohttp

from security_server.serverconf.errors import ServerConfError, invalid, unavailable
from vdx.errors import XRoadError
from vdx.globalconf.private_params import ManagementService
from vdx.message.management import RequestType, decode_response

MANAGEMENT_PORT = 4002
MANAGEMENT_PATH = "/managementservice/"
MAX_RESPONSE_BYTES = 256 * 1024
DEFAULT_TIMEOUT_SECONDS = 30.0


def management_service_url(params: ManagementService, override: str | None = None) -> str:
    """``override``, else the registration service's host on port 4002, ``/managementservice/``."""
    if override:
        return override
    host = urlsplit(params.auth_cert_reg_service_address).hostname
    if not host:
        raise unavailable("authCertRegServiceAddress names no host to derive the address from")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal (RFC 3986 §3.2.2)
    return f"http://{host}:{MANAGEMENT_PORT}{MANAGEMENT_PATH}"


def destination(
    kind: RequestType, params: ManagementService, override: str | None = None
) -> tuple[str, ssl.SSLContext | None]:
    """Where a request of ``kind`` goes, and the TLS context for an https address."""
    if kind is RequestType.AUTH_CERT_REG:
        url = params.auth_cert_reg_service_address
        if params.auth_cert_reg_service_cert is None:
            raise unavailable("the private parameters carry no authCertRegServiceCert")
        try:
            return url, pinned_context(params.auth_cert_reg_service_cert)
        except ssl.SSLError:
            raise unavailable("authCertRegServiceCert is not a usable certificate") from None
    url = management_service_url(params, override)
    return url, None


def pinned_context(cert_der: bytes) -> ssl.SSLContext:
    """A client context trusting exactly ``cert_der``: the chain must end in it and the
    server must present that very certificate; the host name is checked as well."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=cert_der)
    context.minimum_version = ssl.TLSVersion.TLSv1_2

    class PinnedSSLObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            if self.getpeercert(binary_form=True) != cert_der:
                raise ssl.SSLCertVerificationError("not the pinned registration service cert")

    context.sslobject_class = PinnedSSLObject
    return context


def _refused(error: XRoadError) -> ServerConfError:
    # A fault of the central server's own making (Server.*) is an outage, not our mistake.
    text = f"central server refused the request: {error.code}: {error.message}"
    if error.code.startswith("Server."):
        return unavailable(text)
    return invalid(text)


async def send(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    content_type: str,
    *,
    tls: ssl.SSLContext | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> int:
    """POST one request; the central server's request id, or ServerConfError."""
    if tls is None and urlsplit(url).scheme == "https":
        tls = ssl.create_default_context()
    try:
        async with (
            asyncio.timeout(timeout_seconds),
            session.post(
                url,
                data=body,
                headers={"Content-Type": content_type},
                ssl=tls if tls is not None else True,
            ) as response,
        ):
            answer = await response.content.read(MAX_RESPONSE_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError, ssl.SSLError, OSError) as error:
        raise unavailable(f"central server unreachable at {url}: {error}") from None
    if len(answer) > MAX_RESPONSE_BYTES:
        raise unavailable("central server answer too large")
    try:
        decoded = decode_response(answer)
    except XRoadError as error:
        raise _refused(error) from None
    assert decoded.request_id is not None  # noqa: S101 - decode_response requires it
    return decoded.request_id
