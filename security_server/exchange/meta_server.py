"""The server proxy's acceptance of a metaservice request (pr-meta §3-§4, pr-mrest §4-§5).

A metaservice request is an X-Road message like any other: the configuration must be valid,
the TLS peer's authentication certificate registered to a server that serves the client, the
request addressed to this server, the provider a registered client of it, and the signature
valid for the client's member. What differs is the last step: no access right is checked,
since the metaservice is answered here from the server configuration instead of a service
being called (the reference's metadata handlers answer ``shouldVerifyAccess() == false``);
``allowedMethods`` narrows its own answer.

The verified values are the ordinary :class:`VerifiedRequest` / :class:`VerifiedRestRequest`
so the ordinary response builders sign the answer; their ``service`` entry stands for the
local metaservice (no URL: nothing is called).
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import routing, signing
from security_server.exchange.errors import attributed
from security_server.exchange.model import VerifiedRequest
from security_server.exchange.rest_model import VerifiedRestRequest
from security_server.serverconf.model import DescriptionKind
from security_server.serverconf.snapshot import ServerConfSnapshot, ServiceEntry
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import SecurityServerId, ServiceId
from vdx.message import rest, rest_part
from vdx.message.transport import TransportMessage

LOCAL_URL = ""  # a metaservice has no service URL: it is answered in the server proxy


def _local_entry(service_id: ServiceId, kind: DescriptionKind) -> ServiceEntry:
    return ServiceEntry(service_id, kind, LOCAL_URL, 0, True)


def _check_addressed_here(serverconf: ServerConfSnapshot, wanted: SecurityServerId | None) -> None:
    identity = serverconf.identity
    if wanted is not None and (identity is None or wanted != identity.server_id):
        raise XRoadError(
            Code.INVALID_SECURITY_SERVER,
            f"Request names another security server ({wanted.to_path()})",
        )


def verify_soap_metarequest(
    message: TransportMessage,
    *,
    peer_cert: x509.Certificate | None,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    trust: TrustConfig,
    now: datetime,
) -> VerifiedRequest:
    """Accept a SOAP metaservice request from a peer security server, or raise."""
    with attributed(Origin.SERVER_PROXY):
        routing.check_configuration(conf, now)
        request = message.soap
        if request is None:
            raise XRoadError(Code.MISSING_SOAP, "Request carries no SOAP message")
        header = request.header
        peer = signing.check_peer(
            peer_cert, message.ocsp_responses, conf=conf, trust=trust, client=header.client, now=now
        )
        _check_addressed_here(serverconf, header.security_server)
        # The provider must be a registered client here, as for any message (UnknownMember).
        routing.check_client(serverconf, header.service.provider)
        verified = signing.verify_message(
            message, trust=trust, now=now, signer_member=header.client
        )
    return VerifiedRequest(
        message=message,
        request=request,
        attachments=message.attachments,
        client=header.client,
        service=_local_entry(header.service, DescriptionKind.WSDL),
        peer_server=peer,
        signature=verified,
    )


def verify_rest_metarequest(
    message: TransportMessage,
    *,
    peer_cert: x509.Certificate | None,
    conf: GlobalConfiguration,
    serverconf: ServerConfSnapshot,
    trust: TrustConfig,
    now: datetime,
) -> VerifiedRestRequest:
    """Accept a REST metaservice request (``GET /r1/{provider}/{code}``), or raise."""
    with attributed(Origin.SERVER_PROXY):
        routing.check_configuration(conf, now)
        part = message.rest_request
        if part is None:
            raise XRoadError(Code.MISSING_REST, "Request carries no REST request part")
        target = rest.parse_target(part.target)
        fields = rest.parse_headers(part.headers)
        peer = signing.check_peer(
            peer_cert, message.ocsp_responses, conf=conf, trust=trust, client=fields.client, now=now
        )
        _check_addressed_here(serverconf, fields.security_server)
        routing.check_client(serverconf, target.service.provider)
        verified = signing.verify_message(
            message, trust=trust, now=now, signer_member=fields.client
        )
    header_bytes = next(p.data for p in message.signed_parts if p.name == "/message.xml")
    return VerifiedRestRequest(
        message=message,
        part=part,
        body=message.rest_body,
        target=target,
        fields=fields,
        service=_local_entry(target.service, DescriptionKind.REST),
        peer_server=peer,
        signature=verified,
        request_hash=rest_part.request_hash(header_bytes, message.rest_body),
    )
