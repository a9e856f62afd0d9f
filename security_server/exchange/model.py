"""Frozen values passed between the exchange steps and the proxies that call them."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from security_server.exchange.bodies import soap_http_body
from security_server.serverconf.snapshot import ServiceEntry
from vdx.crypto.xades_create import SigningKey
from vdx.crypto.xades_verify import VerifiedSignature
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message.soap_model import Attachment, SoapFault, SoapMessage
from vdx.message.transport import TransportMessage


@dataclass(frozen=True)
class SigningMaterial:
    """A member's signing key, its certificate and that certificate's OCSP responses (DER).

    The OCSP responses are embedded in the signature (XAdES unsigned properties), so the peer
    can check the certificate's status without asking anyone.
    """

    key: SigningKey
    certificate: x509.Certificate
    ocsp_responses: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class ProviderTarget:
    """A security server that hosts the service's provider, and where to reach it."""

    server_id: SecurityServerId
    address: str


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A signed request ready to encode (``transport_encode.encode(prepared.message)``)."""

    message: TransportMessage
    request: SoapMessage
    attachments: tuple[Attachment, ...]
    client: ClientId
    service: ServiceId
    targets: tuple[ProviderTarget, ...]  # in configuration order; the proxy picks one


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A request the server proxy accepted: what to send to the service, and to whom."""

    message: TransportMessage
    request: SoapMessage
    attachments: tuple[Attachment, ...]
    client: ClientId
    service: ServiceEntry
    peer_server: SecurityServerId
    signature: VerifiedSignature

    def service_request(self) -> tuple[bytes, str]:
        """HTTP body and Content-Type to POST to the service's URL."""
        return soap_http_body(self.request, self.attachments, self.message.message_content_type)


@dataclass(frozen=True, slots=True)
class ClientAnswer:
    """What the client proxy returns to the information system (HTTP 200 or a fault's 500)."""

    body: bytes
    content_type: str
    response: SoapMessage | None
    fault: SoapFault | None
    attachments: tuple[Attachment, ...] = ()
    signature: VerifiedSignature | None = None

    @property
    def status(self) -> int:
        return 500 if self.fault is not None else 200
