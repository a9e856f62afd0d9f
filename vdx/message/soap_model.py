"""Typed, frozen values of the SOAP message protocol 4.0 (pr-mess §2)."""

from __future__ import annotations

from dataclasses import dataclass

from vdx.identifiers import ClientId, SecurityServerId, ServiceId

NS_SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
PROTOCOL_VERSION = "4.0"


@dataclass(frozen=True, slots=True)
class RequestHash:
    """``xroad:requestHash``: base64 digest of the request SOAP part and its algorithm URI."""

    value: str
    algorithm_id: str | None


@dataclass(frozen=True, slots=True)
class RepresentedParty:
    """``repr:representedParty`` (pr-mess §2.4.5): the party a client acts on behalf of."""

    party_code: str
    party_class: str | None = None


@dataclass(frozen=True, slots=True)
class SoapHeader:
    """The X-Road header fields of one message (pr-mess §2.4.1 and §2.4.2)."""

    client: ClientId
    service: ServiceId
    id: str
    protocol_version: str
    user_id: str | None = None
    issue: str | None = None
    request_hash: RequestHash | None = None
    security_server: SecurityServerId | None = None
    represented_party: RepresentedParty | None = None


@dataclass(frozen=True, slots=True)
class SoapMessage:
    """A parsed X-Road SOAP message: header fields plus the exact bytes they came from."""

    header: SoapHeader
    xml: bytes
    charset: str
    body_name: str
    body_namespace: str | None
    is_rpc_encoded: bool = False


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP 1.1 fault (SOAP 1.1 §4.4) returned by a service or a security server."""

    code: str
    string: str
    actor: str | None
    detail: str | None
    xml: bytes


@dataclass(frozen=True, slots=True)
class Attachment:
    """A MIME attachment of a SOAP message (SwA or MTOM), kept byte-exact for hashing."""

    content_type: str
    content_id: str | None
    headers: tuple[tuple[str, str], ...]
    data: bytes
