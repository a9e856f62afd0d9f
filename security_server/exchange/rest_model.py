"""Frozen values of a REST r1 exchange (pr-rest), as the proxies hand them over."""

from __future__ import annotations

from dataclasses import dataclass

from security_server.exchange.model import ProviderTarget
from security_server.serverconf.snapshot import ServiceEntry
from vdx.crypto.xades_verify import VerifiedSignature
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message import rest
from vdx.message.rest_part import RestRequestPart
from vdx.message.transport import TransportMessage


@dataclass(frozen=True, slots=True)
class RestCall:
    """An HTTP request as the client proxy received it (target in origin form, ``/r1/...``)."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class RestReply:
    """An HTTP response: from the service to the server proxy, or from the client proxy to
    the information system."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for n, v in self.headers if n.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class PreparedRestRequest:
    message: TransportMessage
    part: RestRequestPart
    body: bytes | None
    client: ClientId
    service: ServiceId
    request_hash: str  # what the provider must answer in X-Road-Request-Hash
    targets: tuple[ProviderTarget, ...]


@dataclass(frozen=True, slots=True)
class VerifiedRestRequest:
    message: TransportMessage
    part: RestRequestPart
    body: bytes | None
    target: rest.RestTarget
    fields: rest.RestHeaders
    service: ServiceEntry
    peer_server: SecurityServerId
    signature: VerifiedSignature
    request_hash: str

    def service_url(self) -> str:
        """The service's URL with the request's path below the service and its query."""
        url = self.service.url.rstrip("/") + self.target.service_path
        return f"{url}?{self.target.query}" if self.target.query else url

    def service_headers(self) -> tuple[tuple[str, str], ...]:
        """End-to-end headers to pass to the service (the X-Road ones included)."""
        return tuple(rest.end_to_end_headers(self.part.headers))
