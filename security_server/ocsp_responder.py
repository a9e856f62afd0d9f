"""OCSP responses of this server's certificates for peers (pr-messtransp §3, port 5577).

A peer that needs the OCSP response of our authentication certificate asks
``GET /?cert=<hex SHA-1 of the certificate DER>`` (the parameter may repeat) and receives a
``multipart/related`` body with one ``application/ocsp-response`` part per certificate, in the
order asked. Only responses already in our cache are served: this listener never calls a CA.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from aiohttp import web

OCSP_CONTENT_TYPE = "application/ocsp-response"
# Hex SHA-1 -> DER OCSP response, as the composition root last cached them.
ResponsesProvider = Callable[[], Mapping[str, bytes]]


def multipart_related(parts: list[bytes], boundary: str | None = None) -> tuple[bytes, str]:
    """The body and Content-Type of a multipart/related of OCSP responses (RFC 2387)."""
    boundary = boundary or secrets.token_hex(16)
    body = bytearray()
    for part in parts:
        body += f"--{boundary}\r\nContent-Type: {OCSP_CONTENT_TYPE}\r\n\r\n".encode("ascii")
        body += part + b"\r\n"
    body += f"--{boundary}--\r\n".encode("ascii")
    return bytes(body), f'multipart/related; type="{OCSP_CONTENT_TYPE}"; boundary={boundary}'


async def _answer(request: web.Request, cached: Mapping[str, bytes]) -> web.Response:
    hashes = [value.strip().lower() for value in request.query.getall("cert", [])]
    if not hashes:
        return web.Response(status=400, text="cert parameter (hex SHA-1) missing\n")
    missing = [value for value in hashes if value not in cached]
    if missing:
        return web.Response(
            status=404, text=f"no OCSP response for certificate(s) {', '.join(missing)}\n"
        )
    body, content_type = multipart_related([cached[value] for value in hashes])
    return web.Response(body=body, headers={"Content-Type": content_type})


def create_ocsp_responder(responses: ResponsesProvider) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return await _answer(request, responses())

    app = web.Application()
    app.router.add_get("/", handler)
    return app
