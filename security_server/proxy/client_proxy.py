"""The client proxy: information systems call it with SOAP (any path) or REST (``/r1/...``).

For each request: decode (``Client.*`` on failure), check, route and sign
(:func:`prepare_soap_request`), send to a provider security server over mutual TLS, decode
and check its answer, return it. Every refusal is rendered once, with its detail UUID logged.
The plain-HTTP metaservices ``GET /listClients``, ``/listCentralServices`` and ``/wsdl?...``
are served here too (:mod:`security_server.metaservices.consumer`).

Evidence (ARCHITECTURE rule 8): before signing, the message log is asked whether it can log
(``TimestampingFailed`` past the grace period); the signed request is committed to the log
before it is sent, the verified response before it is returned; a log failure refuses the
exchange (``LoggingFailed``). Every exchange ends in one operational monitoring record
(``Client``), success or not, and its stage durations.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from security_server.exchange import (
    ClientAnswer,
    RestCall,
    RestReply,
    check_rest_response,
    check_soap_response,
    prepare_rest_request,
    prepare_soap_request,
)
from security_server.exchange.errors import attributed
from security_server.exchange.evidence import rest_entry, soap_entry
from security_server.metaservices import consumer
from security_server.opmonitor.metrics import Stage
from security_server.opmonitor.model import SecurityServerType
from security_server.proxy import render
from security_server.proxy.context import ProxyContext
from security_server.proxy.evidence import ExchangeTrace
from security_server.proxy.is_auth import IsConnection, check_is_authentication
from security_server.proxy.peers import PeerPool
from vdx.errors import Code, Origin, XRoadError
from vdx.message import metaservices as meta
from vdx.message import rest, soap_request, transport, transport_encode

CONTEXT = web.AppKey("proxy_context", ProxyContext)
POOL = web.AppKey("peer_pool", PeerPool)

SIDE = SecurityServerType.CLIENT
# Hop-by-hop and framing headers are this hop's business, not the provider's (RFC 9110 §7.6.1).
_NOT_RETURNED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def create_client_proxy(context: ProxyContext) -> web.Application:
    app = web.Application(client_max_size=context.max_body_bytes)
    app[CONTEXT] = context
    app.cleanup_ctx.append(_peer_pool)
    app.router.add_route("*", "/r1/{tail:.*}", _rest)
    app.router.add_get(f"/{meta.LIST_CLIENTS}", _list_clients)
    app.router.add_get(f"/{meta.LIST_CENTRAL_SERVICES}", _list_central_services)
    app.router.add_get("/wsdl", _wsdl)
    app.router.add_post("/{tail:.*}", _soap)
    return app


def is_connection(request: web.Request) -> IsConnection:
    """Whether the information system came over TLS, and the certificate it presented."""
    transport = request.transport
    ssl_object = None if transport is None else transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return IsConnection(tls=False)
    return IsConnection(tls=True, certificate=ssl_object.getpeercert(binary_form=True) or None)


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
    trace = ExchangeTrace.begin(SIDE, context.clock())
    fields: dict[str, object] = {"protocol": "soap"}
    try:
        body = await _body(request)
        content_type = request.headers.get("Content-Type")
        with attributed(Origin.CLIENT):
            decoded = soap_request.decode(body, content_type, context.limits)
        trace.soap_request(
            decoded.message, mime_size=len(body), attachments=len(decoded.attachments)
        )
        result = await _exchange(request, decoded, fields, trace)
    except XRoadError as error:
        _refused(request, trace, error)
        return render.soap_fault(error, Origin.CLIENT_PROXY, **fields)
    except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller (rule 3)
        render.log.exception("client_proxy_failed", **fields)
        unexpected = render.unexpected(exc, Origin.CLIENT_PROXY)
        _refused(request, trace, unexpected)
        return render.soap_fault(unexpected, Origin.CLIENT_PROXY)
    context.evidence.finish(trace, context.clock(), fault=result.fault)
    return web.Response(
        status=result.status, body=result.body, headers={"Content-Type": result.content_type}
    )


async def _rest_exchange(
    request: web.Request, fields: dict[str, object], trace: ExchangeTrace
) -> RestReply:
    """Sign, log, send, check and log the answer of one REST exchange."""
    context = request.app[CONTEXT]
    evidence = context.evidence
    body = await _body(request)
    headers = tuple(request.headers.items())
    with attributed(Origin.CLIENT):
        parsed = rest.parse_headers(headers)
    fields["client"] = parsed.client.to_path()
    trace.parties(parsed.client, None)
    serverconf = context.serverconf()
    with attributed(Origin.CLIENT_PROXY):
        check_is_authentication(serverconf.client(parsed.client), is_connection(request))
        material = context.signing(parsed.client.member)
        evidence.can_log()
    call = RestCall(request.method, request.raw_path, headers, body or None)
    with evidence.timed(SIDE, Stage.SIGN):
        prepared = await asyncio.to_thread(  # signing off the event loop (rule 5)
            prepare_rest_request,
            call,
            conf=context.conf(),
            serverconf=serverconf,
            signing_material=material,
            auth_ocsp_responses=context.auth_ocsp(),
            now=context.clock(),
        )
    fields["service"] = prepared.service.to_path()
    trace.rest_request(call.method, rest.parse_target(call.target), parsed, prepared.body)
    trace.rest_headers(prepared.part.headers)
    with attributed(Origin.CLIENT_PROXY), evidence.timed(SIDE, Stage.LOG):
        entry = rest_entry(
            prepared.message,
            prepared.part.headers,
            prepared.client,
            prepared.service,
            response=False,
            provider_side=False,
            now=context.clock(),
        )
        await evidence.commit(entry)
    encoded = transport_encode.encode(prepared.message)
    content_type = request.headers.get("Content-Type", "")
    trace.request_out(context.clock())
    with evidence.timed(SIDE, Stage.SEND):
        answer = await request.app[POOL].send(prepared.targets, encoded, content_type)
    trace.response_in(context.clock())
    with evidence.timed(SIDE, Stage.VERIFY):
        with attributed(Origin.CLIENT_PROXY):
            response = transport.decode(answer.body, answer.content_type, context.limits)
        reply = check_rest_response(
            prepared, response, trust=context.trust(), conf=context.conf(), now=context.clock()
        )
    with attributed(Origin.CLIENT_PROXY), evidence.timed(SIDE, Stage.LOG):
        entry = rest_entry(
            response,
            prepared.part.headers,
            prepared.client,
            prepared.service,
            response=True,
            provider_side=False,
            now=context.clock(),
        )
        await evidence.commit(entry)
    trace.rest_response(reply.status, reply.body)
    return reply


def _refused(request: web.Request, trace: ExchangeTrace, error: XRoadError) -> None:
    context = request.app[CONTEXT]
    attributed_error = error.attributed_to(Origin.CLIENT_PROXY)
    context.evidence.finish(trace, context.clock(), error=attributed_error)


async def _exchange(
    request: web.Request,
    decoded: soap_request.SoapRequest,
    fields: dict[str, object],
    trace: ExchangeTrace,
) -> ClientAnswer:
    """Sign, log, send to the provider's security server, check and log its answer (one SOAP
    exchange)."""
    context = request.app[CONTEXT]
    evidence = context.evidence
    header = decoded.message.header
    fields.update(
        message_id=header.id, client=header.client.to_path(), service=header.service.to_path()
    )
    conf = context.conf()
    serverconf = context.serverconf()
    with attributed(Origin.CLIENT_PROXY):
        check_is_authentication(serverconf.client(header.client), is_connection(request))
        material = context.signing(header.client.member)
        evidence.can_log()
    with evidence.timed(SIDE, Stage.SIGN):
        prepared = await asyncio.to_thread(  # signing off the event loop (rule 5)
            prepare_soap_request,
            decoded,
            conf=conf,
            serverconf=serverconf,
            signing_material=material,
            auth_ocsp_responses=context.auth_ocsp(),
            now=context.clock(),
        )
    with attributed(Origin.CLIENT_PROXY), evidence.timed(SIDE, Stage.LOG):
        now = context.clock()
        entry = soap_entry(
            prepared.message, prepared.request, response=False, provider_side=False, now=now
        )
        await evidence.commit(entry)
    encoded = transport_encode.encode(prepared.message)
    trace.request_out(context.clock())
    with evidence.timed(SIDE, Stage.SEND):
        answer = await request.app[POOL].send(prepared.targets, encoded, decoded.content_type)
    trace.response_in(context.clock())
    with evidence.timed(SIDE, Stage.VERIFY):
        with attributed(Origin.CLIENT_PROXY):
            response = transport.decode(answer.body, answer.content_type, context.limits)
        result = check_soap_response(
            prepared, response, trust=context.trust(), conf=context.conf(), now=context.clock()
        )
    if response.signature is not None:  # verified: a response, or a service's signed fault
        with attributed(Origin.CLIENT_PROXY), evidence.timed(SIDE, Stage.LOG):
            now = context.clock()
            entry = soap_entry(
                response, prepared.request, response=True, provider_side=False, now=now
            )
            await evidence.commit(entry)
    trace.soap_response(
        result.response, mime_size=len(result.body), attachments=len(result.attachments)
    )
    return result


async def _list_clients(request: web.Request) -> web.Response:
    """``GET /listClients``: answered from the global configuration (pr-meta §2)."""
    context = request.app[CONTEXT]
    accept = request.headers.get("Accept")
    return _plain(
        "listClients",
        lambda: consumer.list_clients(context.conf(), request.query, accept, context.clock()),
    )


async def _list_central_services(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    return _plain(
        "listCentralServices",
        lambda: consumer.list_central_services(context.conf(), context.clock()),
    )


def _plain(protocol: str, answer: Callable[[], tuple[bytes, str]]) -> web.Response:
    """A metaservice this server answers from its own state, failures as SOAP faults."""
    try:
        with attributed(Origin.CLIENT_PROXY):
            body, content_type = answer()
    except XRoadError as error:
        return render.soap_fault(error, Origin.CLIENT_PROXY, protocol=protocol)
    except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller (rule 3)
        render.log.exception("client_proxy_failed", protocol=protocol)
        return render.soap_fault(render.unexpected(exc, Origin.CLIENT_PROXY), Origin.CLIENT_PROXY)
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _wsdl(request: web.Request) -> web.Response:
    """``GET /wsdl?xRoadInstance=..``: a getWsdl exchange as this server's owner."""
    context = request.app[CONTEXT]
    trace = ExchangeTrace.begin(SIDE, context.clock())
    fields: dict[str, object] = {"protocol": "wsdl"}
    try:
        identity = context.serverconf().identity
        if identity is None:
            raise XRoadError(Code.INTERNAL_ERROR, "Server identity is not initialised")
        with attributed(Origin.CLIENT):
            xml = consumer.wsdl_query_request(request.query, identity.owner, str(uuid.uuid4()))
            decoded = soap_request.decode(xml, consumer.XML_TYPE, context.limits)
        trace.soap_request(decoded.message, mime_size=None, attachments=0)
        answer = await _exchange(request, decoded, fields, trace)
        with attributed(Origin.CLIENT_PROXY):
            wsdl, content_type = consumer.wsdl_of(answer)
    except XRoadError as error:
        _refused(request, trace, error)
        return render.soap_fault(error, Origin.CLIENT_PROXY, **fields)
    except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller (rule 3)
        render.log.exception("client_proxy_failed", **fields)
        unexpected = render.unexpected(exc, Origin.CLIENT_PROXY)
        _refused(request, trace, unexpected)
        return render.soap_fault(unexpected, Origin.CLIENT_PROXY)
    context.evidence.finish(trace, context.clock())
    return web.Response(body=wsdl, headers={"Content-Type": content_type})


async def _rest(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    trace = ExchangeTrace.begin(SIDE, context.clock())
    fields: dict[str, object] = {"protocol": "rest"}
    accept = request.headers.get("Accept")
    try:
        reply = await _rest_exchange(request, fields, trace)
    except XRoadError as error:
        _refused(request, trace, error)
        return render.rest_error(error, Origin.CLIENT_PROXY, accept, **fields)
    except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller (rule 3)
        render.log.exception("client_proxy_failed", **fields)
        unexpected = render.unexpected(exc, Origin.CLIENT_PROXY)
        _refused(request, trace, unexpected)
        return render.rest_error(unexpected, Origin.CLIENT_PROXY, accept)
    context.evidence.finish(trace, context.clock())
    response_headers = [(n, v) for n, v in reply.headers if n.lower() not in _NOT_RETURNED]
    return web.Response(
        status=reply.status,
        reason=reply.reason or None,
        headers=response_headers,
        body=reply.body,
    )
