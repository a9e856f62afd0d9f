"""REST message protocol r1 (pr-rest §4): the ``/r1/`` path and the ``X-Road-*`` headers.

The request target is ``/r1/{instance}/{class}/{member}/{subsystem}/{service}{/path}{?query}``.
The path is split on ``/`` *before* percent-decoding, so an encoded slash stays inside its
segment; identifier segments are then decoded one by one. The service path is forwarded with
its segments as the caller encoded them, and a segment that decodes to ``.`` or ``..`` is
refused, so that no spelling of a dot segment can climb out of the provider's service path.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message.soap_model import RepresentedParty

PROTOCOL_PREFIX = "r1"

H_CLIENT = "X-Road-Client"
H_SERVICE = "X-Road-Service"
H_ID = "X-Road-Id"
H_USER_ID = "X-Road-UserId"
H_ISSUE = "X-Road-Issue"
H_REQUEST_HASH = "X-Road-Request-Hash"
H_REQUEST_ID = "X-Road-Request-Id"
H_SECURITY_SERVER = "X-Road-Security-Server"
H_REPRESENTED_PARTY = "X-Road-Represented-Party"
H_ERROR = "X-Road-Error"

# RFC 9110 §7.6.1 connection-specific fields, the framing fields each hop recomputes, and the
# fields that would reveal one side's software to the other (pr-rest §4.7 lists Host,
# User-Agent and Server; the reference also answers Expect itself).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "expect",
        "server",
        "user-agent",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)

MAX_TARGET_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class RestTarget:
    """The parsed request target of an r1 call."""

    service: ServiceId
    service_path: str
    query: str


@dataclass(frozen=True, slots=True)
class RestHeaders:
    """The X-Road fields of a REST request (pr-rest §4.3)."""

    client: ClientId
    message_id: str | None
    user_id: str | None
    issue: str | None
    security_server: SecurityServerId | None
    represented_party: RepresentedParty | None


def parse_target(target: str) -> RestTarget:
    """Parse the request target (origin form) of a REST r1 call."""
    if len(target) > MAX_TARGET_LENGTH:
        raise XRoadError(Code.BAD_REQUEST, "Request target too long")
    path, _, query = target.partition("?")
    path = path.split("#", 1)[0]
    segments = path.split("/")
    if len(segments) < 2 or segments[0] != "" or segments[1] != PROTOCOL_PREFIX:
        raise XRoadError(
            Code.BAD_REQUEST, "REST requests must start with /r1/ (X-Road REST protocol r1)"
        )
    id_segments = segments[2:7]
    if len(id_segments) < 5:
        raise XRoadError(
            Code.BAD_REQUEST,
            "Service identifier must be /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE",
        )
    decoded = [_decode_segment(segment) for segment in id_segments]
    service = ServiceId(ClientId(*decoded[:4]), decoded[4])
    rest = segments[7:]
    for segment in rest:
        if _decode_segment(segment, allow_empty=True) in (".", ".."):
            raise XRoadError(Code.BAD_REQUEST, "Dot segments are not allowed in the path")
    service_path = "/" + "/".join(rest) if rest else ""
    return RestTarget(service=service, service_path=service_path, query=query)


def _decode_segment(segment: str, *, allow_empty: bool = False) -> str:
    try:
        decoded = urllib.parse.unquote(segment, errors="strict")
    except UnicodeDecodeError:
        raise XRoadError(Code.BAD_REQUEST, "Percent-encoding in the path is not UTF-8") from None
    if not decoded and not allow_empty:
        raise XRoadError(Code.BAD_REQUEST, "Empty identifier segment in the path")
    return decoded


def build_target(service: ServiceId, service_path: str = "", query: str = "") -> str:
    """Build an r1 request target; ``service_path`` is used as already encoded."""
    if service.provider.subsystem_code is None:
        raise XRoadError(Code.BAD_REQUEST, "REST services belong to a subsystem")
    parts = [*service.provider.parts(), service.service_code]
    encoded = "/".join(urllib.parse.quote(part, safe="") for part in parts)
    target = f"/{PROTOCOL_PREFIX}/{encoded}{service_path}"
    return f"{target}?{query}" if query else target


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    values = [value for key, value in headers if key.lower() == wanted]
    if len(values) > 1:
        raise XRoadError(Code.DUPLICATE_HEADER_FIELD, f"Duplicate header {name}")
    return values[0] if values else None


def parse_headers(headers: Iterable[tuple[str, str]]) -> RestHeaders:
    """Read the X-Road fields of a REST request; ``X-Road-Client`` is required."""
    headers = list(headers)
    client_value = _header(headers, H_CLIENT)
    if client_value is None or not client_value.strip():
        raise XRoadError(Code.MISSING_HEADER_FIELD, f"Required header {H_CLIENT} is missing")
    client = ClientId(*_id_parts(client_value, H_CLIENT, (3, 4)))
    server_value = _header(headers, H_SECURITY_SERVER)
    security_server = None
    if server_value:
        parts = _id_parts(server_value, H_SECURITY_SERVER, (4,))
        security_server = SecurityServerId(ClientId(*parts[:3]), parts[3])
    party_value = _header(headers, H_REPRESENTED_PARTY)
    return RestHeaders(
        client=client,
        message_id=_header(headers, H_ID),
        user_id=_header(headers, H_USER_ID),
        issue=_header(headers, H_ISSUE),
        security_server=security_server,
        represented_party=_represented_party(party_value) if party_value else None,
    )


def _id_parts(value: str, header: str, counts: tuple[int, ...]) -> list[str]:
    # Split first, decode second (pr-rest §4.8): an encoded "/" stays inside its part, where
    # the identifier's character check then refuses it.
    parts = value.strip().split("/")
    if len(parts) not in counts:
        raise XRoadError(
            Code.INVALID_CLIENT_IDENTIFIER, f"{header} has {len(parts)} parts, not {counts}"
        )
    return [_decode_segment(part) for part in parts]


def _represented_party(value: str) -> RepresentedParty:
    parts = [_decode_segment(part, allow_empty=True) for part in value.strip().split("/")]
    if len(parts) == 1 and parts[0]:
        return RepresentedParty(parts[0])
    if len(parts) == 2 and all(parts):
        return RepresentedParty(parts[1], parts[0])
    raise XRoadError(Code.BAD_REQUEST, f"{H_REPRESENTED_PARTY} must be [partyClass/]partyCode")


def end_to_end_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop hop-by-hop fields, including those a ``Connection`` header names (RFC 9110 §7.6.1)."""
    headers = list(headers)
    named = {
        token.strip().lower()
        for key, value in headers
        if key.lower() == "connection"
        for token in value.split(",")
    }
    return [
        (key, value)
        for key, value in headers
        if key.lower() not in HOP_BY_HOP and key.lower() not in named
    ]
