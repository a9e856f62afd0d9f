"""The development CA as one aiohttp service: issuance, OCSP (RFC 6960) and TSA (RFC 3161).

    POST /issue?profile=auth|sign   CSR (PEM or DER)       -> certificate (PEM)
    POST /ocsp                      application/ocsp-request -> application/ocsp-response
    GET  /ocsp/{base64 request}     RFC 6960 Appendix A.1     -> application/ocsp-response
    POST /tsa                       application/timestamp-query -> application/timestamp-reply
    GET  /ca.pem                    the issuing chain
    GET  /health

Signing and the SQLite register are blocking, so handlers run them in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import urllib.parse

from aiohttp import web
from cryptography.hazmat.primitives import serialization

from trust_services import issuance, ocsp_responder, profiles, tsa
from trust_services.store import CaDirectory, LoadedCa
from vdx.clock import utc_now

DIRECTORY = web.AppKey("directory", CaDirectory)
CA = web.AppKey("ca", LoadedCa)
MAX_OCSP_REQUEST = 16 * 1024


async def _body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    data = await request.content.read(limit + 1)
    if len(data) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(data))
    return data


async def issue_certificate(request: web.Request) -> web.Response:
    profile = request.query.get("profile", "")
    data = await _body(request, issuance.MAX_CSR_BYTES)
    directory, ca = request.app[DIRECTORY], request.app[CA]
    try:
        cert = await asyncio.to_thread(issuance.issue, directory, ca, data, profile, utc_now())
    except profiles.CsrRejectedError as exc:
        return web.Response(status=400, text=f"CSR rejected: {exc}\n")
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return web.Response(body=pem, content_type="application/x-pem-file")


def _ocsp_reply(request: web.Request, der: bytes) -> bytes:
    ca = request.app[CA]
    return ocsp_responder.respond(
        der,
        issuer=ca.issuing.cert,
        responder=ca.ocsp,
        lookup=request.app[DIRECTORY].lookup,
        now=utc_now(),
    )


async def ocsp_post(request: web.Request) -> web.Response:
    der = await _body(request, MAX_OCSP_REQUEST)
    reply = await asyncio.to_thread(_ocsp_reply, request, der)
    return web.Response(body=reply, content_type="application/ocsp-response")


async def ocsp_get(request: web.Request) -> web.Response:
    encoded = urllib.parse.unquote(request.match_info["encoded"])
    try:
        der = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        der = b""  # answered as malformedRequest by the responder
    reply = await asyncio.to_thread(_ocsp_reply, request, der[:MAX_OCSP_REQUEST])
    return web.Response(body=reply, content_type="application/ocsp-response")


def _tsa_reply(request: web.Request, der: bytes) -> bytes:
    directory, ca = request.app[DIRECTORY], request.app[CA]
    parsed, rejection = tsa.parse_request(der)
    if rejection is not None:
        return rejection.der
    # Spend a serial number only on requests that will be granted.
    policy = str(directory.manifest().get("tsa_policy", tsa.DEFAULT_POLICY))
    if parsed is not None and parsed["req_policy"].native not in (None, policy):
        return tsa.respond(der, ca.tsa, 0, utc_now(), policy).der  # a rejection, no serial
    return tsa.respond(der, ca.tsa, directory.next_tsa_serial(), utc_now(), policy).der


async def tsa_post(request: web.Request) -> web.Response:
    der = await _body(request, tsa.MAX_REQUEST_BYTES)
    reply = await asyncio.to_thread(_tsa_reply, request, der)
    return web.Response(body=reply, content_type="application/timestamp-reply")


async def chain(request: web.Request) -> web.Response:
    ca = request.app[CA]
    certs = [ca.issuing.cert] if ca.issuing.cert == ca.root else [ca.issuing.cert, ca.root]
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    return web.Response(body=pem, content_type="application/x-pem-file")


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(directory: CaDirectory) -> web.Application:
    app = web.Application(client_max_size=issuance.MAX_CSR_BYTES)
    app[DIRECTORY] = directory
    app[CA] = directory.load()
    app.router.add_post("/issue", issue_certificate)
    app.router.add_post("/ocsp", ocsp_post)
    app.router.add_get("/ocsp/{encoded:.+}", ocsp_get)
    app.router.add_post("/tsa", tsa_post)
    app.router.add_get("/ca.pem", chain)
    app.router.add_get("/health", health)
    return app
