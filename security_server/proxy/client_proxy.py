"""The client proxy: information systems call it with SOAP (any path) or REST (``/r1/...``).

For each request: decode (``Client.*`` on failure), check, route and sign
(:func:`prepare_soap_request`), send to a provider security server over mutual TLS, decode
and check its answer, return it. Every refusal is rendered once, with its detail UUID logged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from security_server.exchange import (
    RestCall,
    check_rest_response,
    check_soap_response,
    prepare_rest_request,
    prepare_soap_request,
)
from security_server.exchange.errors import attributed
from security_server.proxy import render
from security_server.proxy.context import ProxyContext
from security_server.proxy.peers import PeerPool
from vdx.errors import Code, Origin, XRoadError
from vdx.message import rest, soap_request, transport, transport_encode

CONTEXT = web.AppKey("proxy_context", ProxyContext)
POOL = web.AppKey("peer_pool", PeerPool)

# Hop-by-hop and framing headers are this hop's business, not the provider's (RFC 9110 §7.6.1).
_NOT_RETURNED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def create_client_proxy(context: ProxyContext) -> web.Application:
    app = web.Application(client_max_size=context.max_body_bytes)
    app[CONTEXT] = context
    app.cleanup_ctx.append(_peer_pool)
    app.router.add_route("*", "/r1/{tail:.*}", _rest)
    app.router.add_post("/{tail:.*}", _soap)
    return app


async def _peer_pool(app: web.Application) -> AsyncIterator[None]:
    pool = PeerPool(app[CONTEXT])
    app[POOL] = pool
    yield
    await pool.close()


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise XRoadError(
            Code.INVALID_REQUEST, "Request exceeds the size limit", Origin.CLIENT
        ) from None


async def _soap(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    fields: dict[str, object] = {"protocol": "soap"}
    try:
        body = await _body(request)
        content_type = request.headers.get("Content-Type")
        with attributed(Origin.CLIENT):
            decoded = soap_request.decode(body, content_type, context.limits)
        header = decoded.message.header
        fields.update(
            message_id=header.id, client=header.client.to_path(), service=header.service.to_path()
        )
        conf = context.conf()
        with attributed(Origin.CLIENT_PROXY):
            material = context.signing(header.client.member)
        prepared = prepare_soap_request(
            decoded,
            conf=conf,
            serverconf=context.serverconf(),
            signing_material=material,
            auth_ocsp_responses=context.auth_ocsp(),
            now=context.clock(),
        )
        encoded = transport_encode.encode(prepared.message)
        answer = await request.app[POOL].send(prepared.targets, encoded, decoded.content_type)
        with attributed(Origin.CLIENT_PROXY):
            response = transport.decode(answer.body, answer.content_type, context.limits)
        result = check_soap_response(
            prepared, response, trust=context.trust(), conf=context.conf(), now=context.clock()
        )
    except XRoadError as error:
        return render.soap_fault(error, Origin.CLIENT_PROXY, **fields)
    except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller (rule 3)
        render.log.exception("client_proxy_failed", **fields)
        return render.soap_fault(render.unexpected(exc, Origin.CLIENT_PROXY), Origin.CLIENT_PROXY)
    return web.Response(
        status=result.status, body=result.body, headers={"Content-Type": result.content_type}
    )


async def _rest(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    fields: dict[str, object] = {"protocol": "rest"}
    accept = request.headers.get("Accept")
    try:
        body = await _body(request)
        headers = tuple(request.headers.items())
        with attributed(Origin.CLIENT):
            client = rest.parse_headers(headers).client
        fields["client"] = client.to_path()
        with attributed(Origin.CLIENT_PROXY):
            material = context.signing(client.member)
        call = RestCall(request.method, request.raw_path, headers, body or None)
        prepared = prepare_rest_request(
            call,
            conf=context.conf(),
            serverconf=context.serverconf(),
            signing_material=material,
            auth_ocsp_responses=context.auth_ocsp(),
            now=context.clock(),
        )
        fields["service"] = prepared.service.to_path()
        encoded = transport_encode.encode(prepared.message)
        content_type = request.headers.get("Content-Type", "")
        answer = await request.app[POOL].send(prepared.targets, encoded, content_type)
        with attributed(Origin.CLIENT_PROXY):
            response = transport.decode(answer.body, answer.content_type, context.limits)
        reply = check_rest_response(
            prepared, response, trust=context.trust(), conf=context.conf(), now=context.clock()
        )
    except XRoadError as error:
        return render.rest_error(error, Origin.CLIENT_PROXY, accept, **fields)
    except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller (rule 3)
        render.log.exception("client_proxy_failed", **fields)
        unexpected = render.unexpected(exc, Origin.CLIENT_PROXY)
        return render.rest_error(unexpected, Origin.CLIENT_PROXY, accept)
    response_headers = [(n, v) for n, v in reply.headers if n.lower() not in _NOT_RETURNED]
    return web.Response(
        status=reply.status,
        reason=reply.reason or None,
        headers=response_headers,
        body=reply.body,
    )
