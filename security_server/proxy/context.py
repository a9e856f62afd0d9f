"""What the proxies need from the rest of the security server, as providers (callables).

Each provider is called once per message, so whatever it returns (the current global
configuration, the current serverconf snapshot, ...) stays consistent for that message while
the composition root swaps the underlying values atomically between messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import SigningMaterial
from security_server.metaservices import DescriptionSource
from security_server.proxy.evidence import NO_EVIDENCE, Evidence
from security_server.serverconf.snapshot import ServerConfSnapshot
from vdx.crypto.trust import TrustConfig
from vdx.identifiers import ClientId
from vdx.message.soap_request import MessageLimits

# Defaults from the X-Road specifications (ARCHITECTURE "Defaults worth knowing").
DEFAULT_PEER_PORT = 5500
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 30.0
DEFAULT_PEER_TIMEOUT = 600.0
DEFAULT_PEER_OCSP_PORT = 5577


@dataclass(frozen=True)
class AuthMaterial:
    """This security server's TLS identity: its registered authentication certificate."""

    certificate: x509.Certificate
    key: PrivateKeyTypes


@dataclass(frozen=True)
class ProxyContext:
    """Providers of the current state, and the limits of one exchange.

    ``signing`` gives a member's signing material (the client's member on the client proxy,
    the provider's member on the server proxy). ``auth_ocsp`` gives this server's
    authentication certificate's OCSP responses (DER), stapled to every request
    (pr-messtransp §2.2). ``descriptions`` gives a provider's stored WSDL / OpenAPI document
    for ``getWsdl`` / ``getOpenAPI`` (server proxy; None: those metaservices fail).
    """

    conf: Callable[[], GlobalConfiguration]
    serverconf: Callable[[], ServerConfSnapshot]
    trust: Callable[[], TrustConfig]
    signing: Callable[[ClientId], SigningMaterial]
    auth: Callable[[], AuthMaterial]
    auth_ocsp: Callable[[], tuple[bytes, ...]]
    clock: Callable[[], datetime]
    limits: MessageLimits = field(default_factory=MessageLimits)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    peer_port: int = DEFAULT_PEER_PORT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    peer_timeout: float = DEFAULT_PEER_TIMEOUT
    descriptions: DescriptionSource | None = None
    # The port of the providers' OCSP listeners (5577 in X-Road); None: the providers'
    # authentication certificates' OCSP status is not checked by the client proxy.
    peer_ocsp_port: int | None = None
    # Where a provider's OCSP listener is, from its registered address; None: the rule of
    # peer_ocsp.ocsp_url (``peer_ocsp_port`` on the address's host, or port + 77 when the
    # address names its own port). Tests point every provider at one listener.
    peer_ocsp_address: Callable[[str], str] | None = None
    # The message log and operational monitoring hooks (proxy.evidence); the default logs
    # and monitors nothing, which only tests use: the composition root always sets them.
    evidence: Evidence = NO_EVIDENCE
