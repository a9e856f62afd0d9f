"""The server proxy's side of a SOAP exchange: accept a signed request, sign the answer.

Checks, each raising with ``Server.ServerProxy`` as the origin: configuration valid; the TLS
peer's authentication certificate registered to a security server that serves the client
(``SslAuthenticationFailed``, also when its certificate is not valid); ``xroad:securityServer``
names this server; the service's provider registered here (``UnknownMember``); the signature over
every part, the signing certificate with its OCSP response at ``now``, and that it belongs to
the client's member; the service known here (``UnknownService``), the client allowed
(``AccessDenied``) and the service enabled (``ServiceDisabled`` with the operator's notice).
The signature is checked before any question about services, so an unsigned caller learns
nothing about them (the reference asks about access first; the verdicts are the same for a
correctly signed request).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import routing, signing
from security_server.exchange.bodies import part_content_type
from security_server.exchange.errors import attributed
from security_server.exchange.model import SigningMaterial, VerifiedRequest
from security_server.exchange.soap_client import data_parts
from security_server.exchange.soap_edit import with_request_hash
from security_server.serverconf.decisions import is_access_allowed
from security_server.serverconf.snapshot import ServerConfSnapshot, ServiceEntry
from vdx.crypto.trust import TrustConfig
from vdx.crypto.xades_verify import VerifiedSignature
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message import soap_request
from vdx.message.soap_model import SoapMessage
from vdx.message.transport import TransportMessage


@dataclass(frozen=True, slots=True)
class AcceptedSoap:
    """A request that passed every check but the access check (the metaservices stop here)."""

    request: SoapMessage
    peer: SecurityServerId
    signature: VerifiedSignature


def accept_soap_request(
    message: TransportMessage,
    *,
    peer_cert: x509.Certificate | None,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    trust: TrustConfig,
    now: datetime,
) -> AcceptedSoap:
    """Every check of :func:`verify_soap_request` before the access check; raises bare codes
    (the caller attributes them)."""
    routing.check_configuration(conf, now)
    request = message.soap
    if request is None:
        raise XRoadError(Code.MISSING_SOAP, "Request carries no SOAP message")
    header = request.header
    peer = signing.check_peer(
        peer_cert, message.ocsp_responses, conf=conf, trust=trust, client=header.client, now=now
    )
    routing.check_addressed_here(serverconf, header.security_server)
    # The service's provider must be a registered client of this server (the reference
    # server proxy's client status check: UnknownMember otherwise).
    routing.check_client(serverconf, header.service.provider)
    verified = signing.verify_message(message, trust=trust, now=now, signer_member=header.client)
    return AcceptedSoap(request, peer, verified)


def verify_soap_request(
    message: TransportMessage,
    *,
    peer_cert: x509.Certificate | None,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    trust: TrustConfig,
    now: datetime,
) -> VerifiedRequest:
    """Accept a decoded transport request from a peer security server, or raise."""
    with attributed(Origin.SERVER_PROXY):
        accepted = accept_soap_request(
            message, peer_cert=peer_cert, conf=conf, serverconf=serverconf, trust=trust, now=now
        )
        header = accepted.request.header
        service = check_access(serverconf, conf, header.client, header.service)
    return VerifiedRequest(
        message=message,
        request=accepted.request,
        attachments=message.attachments,
        client=header.client,
        service=service,
        peer_server=accepted.peer,
        signature=accepted.signature,
    )


def check_access(
    serverconf: ServerConfSnapshot,
    conf: GlobalConfiguration,
    client: ClientId,
    service_id: ServiceId,
    *,
    method: str | None = None,
    path: str | None = None,
) -> ServiceEntry:
    """The service exists here, ``client`` may call it, and it is enabled (in that order)."""
    service = serverconf.service(service_id)
    if service is None:
        raise XRoadError(Code.UNKNOWN_SERVICE, f"Unknown service: {service_id.to_path()}")
    in_group = functools.partial(GlobalConfiguration.is_group_member, conf)
    if not is_access_allowed(serverconf, client, service_id, in_group, method=method, path=path):
        raise XRoadError(Code.ACCESS_DENIED, f"Request is not allowed: {service_id.to_path()}")
    if service.disabled_notice is not None:
        raise XRoadError(
            Code.SERVICE_DISABLED,
            f"Service {service_id.to_path()} is disabled: {service.disabled_notice}",
        )
    return service


def build_soap_response(
    verified: VerifiedRequest,
    body: bytes,
    content_type: str | None,
    *,
    signing_material: SigningMaterial,
    now: datetime,
    limits: soap_request.MessageLimits | None = None,
) -> TransportMessage:
    """Sign the service's answer (with ``requestHash`` set) for the consumer's server.

    A malformed answer is the service's failure (``Server.ServerProxy.ServiceFailed.*``); a
    SOAP fault of the service is signed and passed on as the message.
    """
    limits = limits or soap_request.MessageLimits()
    with attributed(Origin.SERVER_PROXY, service_failed=True):
        decoded = soap_request.decode_any(body, content_type, limits)
    with attributed(Origin.SERVER_PROXY):
        if isinstance(decoded, tuple):
            fault, _ = decoded
            fault_type = "text/xml; charset=UTF-8"
            signed = signing.sign_parts(
                data_parts(fault.xml, fault_type, ()), signing_material, now
            )
            return TransportMessage(
                fault=fault, signature=signed.signature, message_content_type=fault_type
            )
        answer = with_request_hash(decoded.message, verified.request.xml, limits.xml)
        message_type = part_content_type(answer, mtom=decoded.is_mtom)
        parts = data_parts(answer.xml, message_type, decoded.attachments)
        signed = signing.sign_parts(parts, signing_material, now)
    return TransportMessage(
        soap=answer,
        attachments=decoded.attachments,
        hash_chain_result=signed.hash_chain_result,
        hash_chain=signed.hash_chain,
        signature=signed.signature,
        message_content_type=message_type,
    )
