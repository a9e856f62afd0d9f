"""The server proxy: peers' security servers call it over mutual TLS (port 5500).

The caller serves this app with :func:`security_server.proxy.tls.server_ssl_context`
(client certificate required). Per request: the peer's certificate from the TLS connection,
decode, verify (:func:`verify_soap_request` / :func:`verify_rest_request`), call the service
with its URL and timeout from serverconf (an https service's certificate checked as its
``tls_verify`` says, :mod:`.service_tls`), sign the answer and return it. A failure before
the answer can be signed is returned as a bare SOAP fault (``text/xml``, pr-messtransp §2.3).
Metaservice requests (``listMethods``, ``allowedMethods``, ``getWsdl``, ``getOpenAPI``) and
the operational monitoring queries are verified the same way and answered here by
:mod:`security_server.metaservices`.

Evidence (ARCHITECTURE rule 8): the verified request is committed to the message log before
the service is called, the signed answer before it is returned; a log failure refuses the
exchange (``LoggingFailed``, or ``TimestampingFailed`` past the grace period) and the service
is not called. Every exchange ends in one operational monitoring record (``Producer``).
"""

from __future__ import annotations

import asyncio
import io
import ssl
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from cryptography import x509

from security_server import metaservices
from security_server.exchange import (
    RestReply,
    build_rest_response,
    build_soap_response,
    verify_rest_request,
    verify_soap_request,
)
from security_server.exchange.errors import attributed
from security_server.exchange.evidence import rest_entry, soap_entry
from security_server.opmonitor.metrics import Stage
from security_server.opmonitor.model import SecurityServerType
from security_server.proxy import render
from security_server.proxy.context import ProxyContext
from security_server.proxy.evidence import ExchangeTrace
from security_server.proxy.peers import read_limited
from security_server.proxy.service_tls import ServiceTls
from security_server.serverconf.snapshot import ServiceEntry
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import SecurityServerId
from vdx.message import transport, transport_encode
from vdx.message.transport import TransportMessage

CONTEXT = web.AppKey("proxy_context", ProxyContext)
SERVICES = web.AppKey("service_session", aiohttp.ClientSession)
SERVICE_TLS = web.AppKey("service_tls", ServiceTls)
SIDE = SecurityServerType.PRODUCER


def create_server_proxy(context: ProxyContext) -> web.Application:
    app = web.Application(client_max_size=context.max_body_bytes)
    app[CONTEXT] = context
    app[SERVICE_TLS] = ServiceTls()
    app.cleanup_ctx.append(_service_session)
    app.router.add_post("/{tail:.*}", _handle)
    return app


async def _service_session(app: web.Application) -> AsyncIterator[None]:
    # Pooled keep-alive connections to the providers' services; timeouts are per service.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
        app[SERVICES] = session
        yield


def peer_certificate(request: web.Request) -> x509.Certificate | None:
    """The certificate the TLS peer presented, or None (no TLS, or no certificate)."""
    if request.transport is None:
        return None
    ssl_object = request.transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der) if der else None


async def _handle(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    evidence = context.evidence
    trace = ExchangeTrace.begin(SIDE, context.clock())
    try:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise XRoadError(Code.INVALID_REQUEST, "Request exceeds the size limit") from None
        with attributed(Origin.SERVER_PROXY):
            message = transport.decode(body, request.headers.get("Content-Type"), context.limits)
        trace.transport_request(message, len(body))
        signed = await _dispatch(request, message, trace)
    except XRoadError as error:
        evidence.finish(trace, context.clock(), error=error.attributed_to(Origin.SERVER_PROXY))
        return render.soap_fault(error, Origin.SERVER_PROXY, side="server_proxy")
    except Exception as exc:  # noqa: BLE001 - never a stack trace to the peer (rule 3)
        render.log.exception("server_proxy_failed")
        unexpected = render.unexpected(exc, Origin.SERVER_PROXY)
        evidence.finish(trace, context.clock(), error=unexpected)
        return render.soap_fault(unexpected, Origin.SERVER_PROXY)
    trace.transport_response(signed)
    encoded = transport_encode.encode(signed)
    evidence.finish(trace, context.clock(), fault=signed.fault)
    return web.Response(body=encoded.body, headers={"Content-Type": encoded.content_type})


async def _dispatch(
    request: web.Request, message: TransportMessage, trace: ExchangeTrace
) -> TransportMessage:
    context = request.app[CONTEXT]
    query = context.evidence.opmonitor_query
    if query is not None and metaservices.is_opmonitor_request(message):
        return await metaservices.answer_opmonitor(
            message, peer_certificate(request), _meta_environment(context), query
        )
    if metaservices.is_soap_metarequest(message):
        return await metaservices.answer_soap(
            message, peer_certificate(request), _meta_environment(context)
        )
    if metaservices.is_rest_metarequest(message):
        return await metaservices.answer_rest(
            message, peer_certificate(request), _meta_environment(context)
        )
    if message.rest_request is not None:
        return await _rest(request, message, trace)
    return await _soap(request, message, trace)


def _meta_environment(context: ProxyContext) -> metaservices.Environment:
    # Metaservices are answered here from the configuration, not by a service (pr-meta §3).
    return metaservices.Environment(
        conf=context.conf(),
        serverconf=context.serverconf(),
        trust=context.trust(),
        now=context.clock(),
        signing=context.signing,
        descriptions=context.descriptions,
        limits=context.limits,
        log=context.evidence.commit if context.evidence.log is not None else None,
    )


def _verified(
    trace: ExchangeTrace, context: ProxyContext, service: ServiceEntry, peer: SecurityServerId
) -> None:
    """What is known once a request is verified: the service's type, the peer's address."""
    address = context.conf().server_address(peer)
    trace.set(service_type=str(service.kind), client_security_server_address=address)


async def _soap(
    request: web.Request, message: TransportMessage, trace: ExchangeTrace
) -> TransportMessage:
    context = request.app[CONTEXT]
    evidence = context.evidence
    with evidence.timed(SIDE, Stage.VERIFY):
        verified = verify_soap_request(
            message,
            peer_cert=peer_certificate(request),
            conf=context.conf(),
            serverconf=context.serverconf(),
            trust=context.trust(),
            now=context.clock(),
        )
    _verified(trace, context, verified.service, verified.peer_server)
    with attributed(Origin.SERVER_PROXY), evidence.timed(SIDE, Stage.LOG):
        now = context.clock()
        entry = soap_entry(message, verified.request, response=False, provider_side=True, now=now)
        await evidence.commit(entry)
    body, content_type = verified.service_request()
    trace.request_out(context.clock())
    with evidence.timed(SIDE, Stage.PROVIDER):
        reply = await _call_service(
            request,
            verified.service,
            "POST",
            verified.service.url,
            [("Content-Type", content_type)],
            body,
        )
    trace.response_in(context.clock())
    if reply.status >= 400 and reply.status != 500:  # SOAP faults come as 500
        raise _service_failed(Code.HTTP_ERROR, f"Service answered HTTP {reply.status}")
    with evidence.timed(SIDE, Stage.SIGN):
        with attributed(Origin.SERVER_PROXY):
            material = context.signing(verified.service.service_id.provider.member)
        signed = await asyncio.to_thread(  # signing off the event loop (rule 5)
            build_soap_response,
            verified,
            reply.body or b"",
            reply.header("Content-Type"),
            signing_material=material,
            now=context.clock(),
            limits=context.limits,
        )
    with attributed(Origin.SERVER_PROXY), evidence.timed(SIDE, Stage.LOG):
        now = context.clock()
        entry = soap_entry(signed, verified.request, response=True, provider_side=True, now=now)
        await evidence.commit(entry)
    return signed


async def _rest(
    request: web.Request, message: TransportMessage, trace: ExchangeTrace
) -> TransportMessage:
    context = request.app[CONTEXT]
    evidence = context.evidence
    with evidence.timed(SIDE, Stage.VERIFY):
        verified = verify_rest_request(
            message,
            peer_cert=peer_certificate(request),
            conf=context.conf(),
            serverconf=context.serverconf(),
            trust=context.trust(),
            now=context.clock(),
        )
    _verified(trace, context, verified.service, verified.peer_server)
    headers, client = verified.part.headers, verified.fields.client
    service_id = verified.target.service
    with attributed(Origin.SERVER_PROXY), evidence.timed(SIDE, Stage.LOG):
        now = context.clock()
        entry = rest_entry(
            message, headers, client, service_id, response=False, provider_side=True, now=now
        )
        await evidence.commit(entry)
    trace.request_out(context.clock())
    with evidence.timed(SIDE, Stage.PROVIDER):
        reply = await _call_service(
            request,
            verified.service,
            verified.part.method,
            verified.service_url(),
            list(verified.service_headers()),
            verified.body,
        )
    trace.response_in(context.clock())
    with evidence.timed(SIDE, Stage.SIGN):
        with attributed(Origin.SERVER_PROXY):
            material = context.signing(verified.service.service_id.provider.member)
        signed = await asyncio.to_thread(  # signing off the event loop (rule 5)
            build_rest_response, verified, reply, signing_material=material, now=context.clock()
        )
    with attributed(Origin.SERVER_PROXY), evidence.timed(SIDE, Stage.LOG):
        now = context.clock()
        entry = rest_entry(
            signed, headers, client, service_id, response=True, provider_side=True, now=now
        )
        await evidence.commit(entry)
    return signed


async def _call_service(  # noqa: PLR0917 - one HTTP request, each part named
    request: web.Request,
    service: ServiceEntry,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> RestReply:
    """Call the provider's service within its timeout; failures are ``ServiceFailed.*``."""
    context = request.app[CONTEXT]
    session = request.app[SERVICES]
    timeout = aiohttp.ClientTimeout(total=service.timeout or None)
    ssl_context = _service_ssl(request, service, url)
    try:
        async with session.request(
            method,
            url,
            headers=headers,
            data=None if body is None else io.BytesIO(body),  # streamed, not copied on the loop
            timeout=timeout,
            allow_redirects=False,
            ssl=ssl_context if ssl_context is not None else True,
        ) as response:
            data = await read_limited(response.content, context.max_body_bytes)
            return RestReply(
                response.status, response.reason or "", tuple(response.headers.items()), data
            )
    except TimeoutError:
        # The reference reports a read timeout of the service as an I/O error
        # (Server.ServerProxy.ServiceFailed.IOError).
        raise _service_failed(Code.IO_ERROR, "Service did not answer in time") from None
    except aiohttp.ClientSSLError as exc:
        render.log.info("service_tls_refused", service=service.service_id.to_path(), error=str(exc))
        raise _service_failed(
            Code.SSL_AUTH_FAILED, "TLS authentication of the service failed"
        ) from None
    except aiohttp.ClientError as exc:
        render.log.info("service_unreachable", service=service.service_id.to_path(), error=str(exc))
        raise _service_failed(Code.NETWORK_ERROR, "Cannot reach the service") from None


def _service_ssl(request: web.Request, service: ServiceEntry, url: str) -> ssl.SSLContext | None:
    """The TLS context for an https service URL (None: plain HTTP), honouring ``tls_verify``."""
    if not url.lower().startswith("https:"):
        return None
    entry = request.app[CONTEXT].serverconf().client(service.service_id.provider)
    trusted = entry.is_certs if entry is not None else ()
    try:
        return request.app[SERVICE_TLS].context(service.tls_verify, trusted)
    except XRoadError as error:
        raise _service_failed(error.code, error.message) from None


def _service_failed(code: Code | str, message: str) -> XRoadError:
    return XRoadError(code, message, Origin.SERVER_PROXY, service_failed=True)
