"""The server proxy's side of a REST r1 exchange: accept a signed request, sign the answer.

The checks and their order are those of the SOAP side (:mod:`.soap_server`); access is decided
on the request's method and its path below the service (serverconf endpoints).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cryptography import x509

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import routing, signing
from security_server.exchange.errors import attributed
from security_server.exchange.model import SigningMaterial
from security_server.exchange.rest_client import rest_data_parts
from security_server.exchange.rest_model import RestReply, VerifiedRestRequest
from security_server.exchange.soap_server import check_access
from security_server.serverconf.snapshot import ServerConfSnapshot, ServiceEntry
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, Origin, XRoadError
from vdx.message import rest, rest_part
from vdx.message.rest_part import RestRequestPart
from vdx.message.transport import TransportMessage

# The provider's security server speaks for these in the response (pr-rest §4.3).
_OWN_HEADERS = frozenset(
    {
        rest.H_REQUEST_HASH.lower(),
        rest.H_ID.lower(),
        rest.H_CLIENT.lower(),
        rest.H_SERVICE.lower(),
        "content-length",
    }
)


def accept_rest_request(
    message: TransportMessage,
    *,
    peer_cert: x509.Certificate | None,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    trust: TrustConfig,
    now: datetime,
    service: Callable[[rest.RestTarget, rest.RestHeaders, RestRequestPart], ServiceEntry],
) -> VerifiedRestRequest:
    """Every check of the SOAP side in its order; ``service`` decides the last step: the
    access check of an ordinary request, or a local entry for a metaservice (pr-meta §3)."""
    with attributed(Origin.SERVER_PROXY):
        routing.check_configuration(conf, now)
        part = message.rest_request
        if part is None:
            raise XRoadError(Code.MISSING_REST, "Request carries no REST request part")
        target = rest.parse_target(part.target)
        fields = rest.parse_headers(part.headers)
        peer = signing.check_peer(
            peer_cert,
            message.ocsp_responses,
            conf=conf,
            trust=trust,
            client=fields.client,
            now=now,
        )
        routing.check_addressed_here(serverconf, fields.security_server)
        routing.check_client(serverconf, target.service.provider)
        verified = signing.verify_message(
            message, trust=trust, now=now, signer_member=fields.client
        )
        entry = service(target, fields, part)
    header_bytes = next(p.data for p in message.signed_parts if p.name == "/message.xml")
    return VerifiedRestRequest(
        message=message,
        part=part,
        body=message.rest_body,
        target=target,
        fields=fields,
        service=entry,
        peer_server=peer,
        signature=verified,
        request_hash=rest_part.request_hash(header_bytes, message.rest_body),
    )


def verify_rest_request(
    message: TransportMessage,
    *,
    peer_cert: x509.Certificate | None,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    trust: TrustConfig,
    now: datetime,
) -> VerifiedRestRequest:
    """Accept a decoded REST transport request from a peer security server, or raise."""

    def allowed(
        target: rest.RestTarget, fields: rest.RestHeaders, part: RestRequestPart
    ) -> ServiceEntry:
        return check_access(
            serverconf,
            conf,
            fields.client,
            target.service,
            method=part.method,
            path=target.service_path or "/",
        )

    return accept_rest_request(
        message,
        peer_cert=peer_cert,
        conf=conf,
        serverconf=serverconf,
        trust=trust,
        now=now,
        service=allowed,
    )


def build_rest_response(
    verified: VerifiedRestRequest,
    reply: RestReply,
    *,
    signing_material: SigningMaterial,
    now: datetime,
) -> TransportMessage:
    """Sign the service's reply with the X-Road headers of pr-rest §4.3 (``X-Road-Client``,
    ``X-Road-Service``, ``X-Road-Id``, ``X-Road-Request-Hash``), replacing the service's own."""
    headers = [
        (name, value)
        for name, value in rest.end_to_end_headers(reply.headers)
        if name.lower() not in _OWN_HEADERS
    ]
    headers.append((rest.H_CLIENT, verified.fields.client.to_path()))
    headers.append((rest.H_SERVICE, verified.target.service.to_path()))
    if verified.fields.message_id is not None:
        headers.append((rest.H_ID, verified.fields.message_id))
    headers.append((rest.H_REQUEST_HASH, verified.request_hash))
    part = rest_part.RestResponsePart(reply.status, reply.reason, tuple(headers))
    body = reply.body or None
    encoded = part.encode()
    parts = rest_data_parts(encoded, body, rest_part.REST_RESPONSE_TYPE)
    with attributed(Origin.SERVER_PROXY):
        signed = signing.sign_parts(parts, signing_material, now)
    return TransportMessage(
        rest_response=part,
        rest_body=body,
        hash_chain_result=signed.hash_chain_result,
        hash_chain=signed.hash_chain,
        signature=signed.signature,
        message_content_type=rest_part.REST_RESPONSE_TYPE,
    )
