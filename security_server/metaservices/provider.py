"""The provider's security server answers metaservice requests itself (pr-meta §3-§4,
pr-mrest §4-§5).

The request is verified like any other (:mod:`security_server.exchange.meta_server`), the
answer is built from the server configuration instead of calling a service, and signed with
``requestHash`` by the ordinary response builders; ``getWsdl`` returns the WSDL as a SOAP
attachment (SwA), as Annex B's binding and the reference do.

The operational monitoring queries (``getSecurityServerOperationalData``,
``getSecurityServerHealthData``; pr-opmon §2, §3) are verified the same way and answered by
the monitoring service the proxy hands over. Each verified request and each signed answer is
committed to the message log (``Environment.log``) before the answer is released
(ARCHITECTURE rule 8).
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import RestReply, SigningMaterial
from security_server.exchange.errors import attributed
from security_server.exchange.evidence import rest_entry, soap_entry
from security_server.exchange.meta_server import verify_rest_metarequest, verify_soap_metarequest
from security_server.exchange.rest_server import build_rest_response
from security_server.exchange.soap_server import build_soap_response
from security_server.messagelog.model import LogEntry
from security_server.metaservices import answers, documents
from security_server.opmonitor.service import SERVICE_CODES, Answer
from security_server.serverconf.snapshot import ServerConfSnapshot
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message import metaservices as meta
from vdx.message import multipart, rest
from vdx.message.soap_model import SoapMessage
from vdx.message.soap_request import MessageLimits
from vdx.message.transport import TransportMessage

DescriptionSource = Callable[[ServiceId], Awaitable[bytes | None]]
"""The stored WSDL / OpenAPI document of a service (None: none stored)."""
OpMonitorQuery = Callable[[SoapMessage, ClientId | None, ClientId | None], Awaitable[Answer]]
"""Answers a monitoring query: request, owner of the server named in its securityServer
header, central monitoring client."""


@dataclass(frozen=True, slots=True)
class Environment:
    """What one metaservice answer reads: the state of this message, as the proxy got it."""

    conf: GlobalConfiguration
    serverconf: ServerConfSnapshot
    trust: TrustConfig
    now: datetime
    signing: Callable[[ClientId], SigningMaterial]
    descriptions: DescriptionSource | None
    limits: MessageLimits
    # Commits a log entry, returning once it is durable (None: nothing is logged).
    log: Callable[[LogEntry], Awaitable[object]] | None = None

    async def commit(self, entry: LogEntry) -> None:
        if self.log is not None:
            with attributed(Origin.SERVER_PROXY):
                await self.log(entry)


def is_soap_metarequest(message: TransportMessage) -> bool:
    soap = message.soap
    return soap is not None and soap.header.service.service_code in meta.SOAP_METASERVICES


def is_opmonitor_request(message: TransportMessage) -> bool:
    soap = message.soap
    return soap is not None and soap.header.service.service_code in SERVICE_CODES


def is_rest_metarequest(message: TransportMessage) -> bool:
    """A ``GET`` of a REST metaservice (the reference handles only GET; others go on to the
    ordinary path and meet ``UnknownService`` there)."""
    part = message.rest_request
    if part is None or part.method.upper() != "GET":
        return False
    try:
        target = rest.parse_target(part.target)
    except XRoadError:
        return False  # the ordinary path reports the malformed target
    return target.service.service_code in meta.REST_METASERVICES


async def _description(env: Environment, service_id: ServiceId) -> bytes:
    if env.descriptions is None:
        raise XRoadError(Code.INTERNAL_ERROR, "Service descriptions are not available here")
    content = await env.descriptions(service_id)
    if content is None:
        raise XRoadError(
            Code.INTERNAL_ERROR, f"No stored description for service {service_id.to_path()}"
        )
    return content


async def answer_soap(
    message: TransportMessage, peer_cert: x509.Certificate | None, env: Environment
) -> TransportMessage:
    """Verify a SOAP metaservice request and return the signed answer, or raise."""
    verified = verify_soap_metarequest(
        message,
        peer_cert=peer_cert,
        conf=env.conf,
        serverconf=env.serverconf,
        trust=env.trust,
        now=env.now,
    )
    await env.commit(
        soap_entry(message, verified.request, response=False, provider_side=True, now=env.now)
    )
    provider = verified.request.header.service.provider
    with attributed(Origin.SERVER_PROXY):
        body, content_type = await _soap_answer(verified.request, verified.client, env)
        material = env.signing(provider.member)
    signed = build_soap_response(
        verified,
        body,
        content_type,
        signing_material=material,
        now=env.now,
        limits=env.limits,
    )
    await env.commit(
        soap_entry(signed, verified.request, response=True, provider_side=True, now=env.now)
    )
    return signed


async def answer_opmonitor(
    message: TransportMessage,
    peer_cert: x509.Certificate | None,
    env: Environment,
    query: OpMonitorQuery,
) -> TransportMessage:
    """Verify an operational monitoring query and return the signed answer, or raise.

    The caller's rights depend on whether it is the owner of the server its
    ``securityServer`` header names (verified to be this one) or the central monitoring
    client (pr-opmon §2); the latter is not in our global configuration model yet.
    """
    verified = verify_soap_metarequest(
        message,
        peer_cert=peer_cert,
        conf=env.conf,
        serverconf=env.serverconf,
        trust=env.trust,
        now=env.now,
    )
    await env.commit(
        soap_entry(message, verified.request, response=False, provider_side=True, now=env.now)
    )
    header = verified.request.header
    named = None if header.security_server is None else env.conf.server(header.security_server)
    with attributed(Origin.SERVER_PROXY):
        answer = await query(verified.request, None if named is None else named.owner, None)
        material = env.signing(header.service.provider.member)
    signed = build_soap_response(
        verified,
        answer.body,
        answer.content_type,
        signing_material=material,
        now=env.now,
        limits=env.limits,
    )
    await env.commit(
        soap_entry(signed, verified.request, response=True, provider_side=True, now=env.now)
    )
    return signed


async def _soap_answer(
    request: SoapMessage, client: ClientId, env: Environment
) -> tuple[bytes, str]:
    service = request.header.service
    provider = service.provider
    part_type = f"text/xml; charset={request.charset.upper()}"
    if service.service_code == meta.GET_WSDL:
        wanted = meta.decode_wsdl_request(request, env.limits.xml)
        entry = answers.wsdl_service(env.serverconf, provider, wanted)
        wsdl = meta.hide_wsdl_endpoints(await _description(env, entry.service_id))
        return _with_wsdl(meta.wsdl_response(request, env.limits.xml), part_type, wsdl)
    if service.service_code == meta.LIST_METHODS:
        listed = answers.soap_services(env.serverconf, provider)
    else:
        listed = answers.soap_allowed(env.serverconf, env.conf, provider, client)
    return meta.method_list_response(request, listed, env.limits.xml), part_type


def _with_wsdl(soap_xml: bytes, part_type: str, wsdl: bytes) -> tuple[bytes, str]:
    # The attachment's headers are the reference's (MetadataServiceHandlerImpl.handleGetWsdl).
    boundary = multipart.new_boundary("xroad")
    parts = [
        multipart.Part((("Content-Type", part_type),), soap_xml),
        multipart.Part(
            (
                ("Content-Type", meta.WSDL_CONTENT_TYPE),
                ("Content-Transfer-Encoding", "binary"),
                ("Content-ID", f"<wsdl={uuid.uuid4()}@x-road.eu>"),
            ),
            wsdl,
        ),
    ]
    content_type = f'multipart/related; type="text/xml"; charset=UTF-8; boundary={boundary}'
    return multipart.build(parts, boundary), content_type


async def answer_rest(
    message: TransportMessage, peer_cert: x509.Certificate | None, env: Environment
) -> TransportMessage:
    """Verify a REST metaservice request and return the signed answer, or raise."""
    verified = verify_rest_metarequest(
        message,
        peer_cert=peer_cert,
        conf=env.conf,
        serverconf=env.serverconf,
        trust=env.trust,
        now=env.now,
    )
    service = verified.target.service
    provider = service.provider
    client = verified.fields.client
    headers = verified.part.headers
    logged = rest_entry(
        message, headers, client, service, response=False, provider_side=True, now=env.now
    )
    await env.commit(logged)
    with attributed(Origin.SERVER_PROXY):
        if service.service_code == meta.GET_OPENAPI:
            code = _query_service_code(verified.target.query)
            entry = answers.openapi_service(env.serverconf, provider, code)
            body, content_type = documents.hide_openapi_servers(
                await _description(env, entry.service_id)
            )
        else:
            if service.service_code == meta.LIST_METHODS:
                listed = answers.rest_services(env.serverconf, provider)
            else:
                listed = answers.rest_allowed(env.serverconf, env.conf, provider, client)
            body, content_type = meta.encode_rest_services(listed), documents.JSON_TYPE
        material = env.signing(provider.member)
    reply = RestReply(200, "OK", (("Content-Type", content_type),), body)
    signed = build_rest_response(verified, reply, signing_material=material, now=env.now)
    logged = rest_entry(
        signed, headers, client, service, response=True, provider_side=True, now=env.now
    )
    await env.commit(logged)
    return signed


def _query_service_code(query: str) -> str:
    # The parameter name compares case-insensitively, as in the reference (pr-mrest §5).
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name.lower() == "servicecode" and value:
            return value
    raise XRoadError(Code.INVALID_REQUEST, "Missing serviceCode query parameter")
