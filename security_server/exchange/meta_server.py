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
local metaservice (no URL: nothing is called). The checks themselves are the ordinary ones
(:func:`accept_soap_request` / :func:`accept_rest_request`), so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange.errors import attributed
from security_server.exchange.model import VerifiedRequest
from security_server.exchange.rest_model import VerifiedRestRequest
from security_server.exchange.rest_server import accept_rest_request
from security_server.exchange.soap_server import accept_soap_request
from security_server.serverconf.model import DescriptionKind
from security_server.serverconf.snapshot import ServerConfSnapshot, ServiceEntry
from vdx.crypto.trust import TrustConfig
from vdx.errors import Origin
from vdx.identifiers import ServiceId
from vdx.message.transport import TransportMessage

LOCAL_URL = ""  # a metaservice has no service URL: it is answered in the server proxy


def _local_entry(service_id: ServiceId, kind: DescriptionKind) -> ServiceEntry:
    return ServiceEntry(service_id, kind, LOCAL_URL, 0, True)


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
        accepted = accept_soap_request(
            message, peer_cert=peer_cert, conf=conf, serverconf=serverconf, trust=trust, now=now
        )
    header = accepted.request.header
    return VerifiedRequest(
        message=message,
        request=accepted.request,
        attachments=message.attachments,
        client=header.client,
        service=_local_entry(header.service, DescriptionKind.WSDL),
        peer_server=accepted.peer,
        signature=accepted.signature,
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
    return accept_rest_request(
        message,
        peer_cert=peer_cert,
        conf=conf,
        serverconf=serverconf,
        trust=trust,
        now=now,
        service=lambda target, _fields, _part: _local_entry(target.service, DescriptionKind.REST),
    )
