"""Pure checks of server-configuration input: each returns the clean value or raises ``invalid``.

No database here: the service layer calls these before it reads or writes anything, so a
refused value never reaches a transaction.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from security_server.serverconf.errors import conflict, invalid
from security_server.serverconf.model import ANY_METHOD, ClientState
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, GlobalGroupId, LocalGroupId, check_part, check_strict

MAX_NAME = 1024
MAX_CODE = 255
MAX_TIMEOUT = 24 * 3600
# Methods an endpoint may name (RFC 9110 §9 plus PATCH); '*' is any method.
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", ANY_METHOD)

# Registration states and the moves between them (security server user guide §4.x; the
# configuration client moves a client on when the global configuration lists it, or not).
TRANSITIONS: dict[ClientState, frozenset[ClientState]] = {
    ClientState.SAVED: frozenset({ClientState.REGISTRATION_IN_PROGRESS}),
    ClientState.REGISTRATION_IN_PROGRESS: frozenset({ClientState.REGISTERED, ClientState.SAVED}),
    ClientState.REGISTERED: frozenset({ClientState.DELETION_IN_PROGRESS}),
    ClientState.DELETION_IN_PROGRESS: frozenset({ClientState.SAVED, ClientState.REGISTERED}),
}
DELETABLE = frozenset({ClientState.SAVED, ClientState.DELETION_IN_PROGRESS})

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def code(value: str, what: str) -> str:
    """An identifier part an operator creates: REST r1 §4.8 characters only."""
    try:
        check_strict(value, what)
    except XRoadError as error:
        raise invalid(error.message) from None
    if len(value) > MAX_CODE:
        raise invalid(f"{what} is longer than {MAX_CODE} characters")
    return value


def part(value: str, what: str) -> str:
    """An identifier part found in a document (a WSDL operation name, its version)."""
    try:
        check_part(value, what)
    except XRoadError as error:
        raise invalid(error.message) from None
    if len(value) > MAX_CODE:
        raise invalid(f"{what} is longer than {MAX_CODE} characters")
    return value


def text(value: str, what: str, *, limit: int = MAX_NAME) -> str:
    """A human-readable name, description or notice: not blank, no control characters."""
    if not value or not value.strip():
        raise invalid(f"{what} must not be empty")
    if _CONTROL.search(value.replace("\n", " ")):
        raise invalid(f"{what} must not contain control characters")
    if len(value) > limit:
        raise invalid(f"{what} is longer than {limit} characters")
    return value


def actor(value: str) -> str:
    return text(value, "actor", limit=MAX_CODE)


def client(value: ClientId, instance: str) -> ClientId:
    """A member or subsystem of this server's instance, with strict identifier parts."""
    if value.instance != instance:
        raise invalid(f"{value} does not belong to instance {instance}")
    code(value.member_class, "memberClass")
    code(value.member_code, "memberCode")
    if value.subsystem_code is not None:
        code(value.subsystem_code, "subsystemCode")
    return value


def subject(value: ClientId | GlobalGroupId | LocalGroupId) -> None:
    """An access-right subject: any instance may be named (federation), parts stay clean."""
    if isinstance(value, ClientId):
        for piece, what in zip(
            value.parts(),
            ("xRoadInstance", "memberClass", "memberCode", "subsystemCode"),
            strict=False,
        ):
            part(piece, what)
    elif isinstance(value, GlobalGroupId):
        part(value.instance, "xRoadInstance")
        part(value.group_code, "groupCode")
    else:
        code(value.group_code, "groupCode")


def url(value: str, what: str) -> str:
    """An http(s) URL with a host."""
    if len(value) > MAX_NAME or _CONTROL.search(value) or " " in value:
        raise invalid(f"{what} is not a valid URL")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise invalid(f"{what} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise invalid(f"{what} must be an http or https URL with a host")
    return value


def timeout(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT:
        raise invalid(f"The timeout must be an integer from 1 to {MAX_TIMEOUT} seconds")
    return value


def certificate(data: bytes, what: str) -> bytes:
    """The DER of an X.509 certificate given as DER or PEM."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
        return cert.public_bytes(Encoding.DER)
    except ValueError:
        raise invalid(f"{what} is not an X.509 certificate (DER or PEM)") from None


def cert_hash(der: bytes) -> bytes:
    return hashlib.sha256(der).digest()


def method(value: str) -> str:
    upper = value.upper()
    if upper not in METHODS:
        raise invalid(f"Unknown HTTP method {value!r:.20}; use one of {', '.join(METHODS)}")
    return upper


def endpoint_path(value: str) -> str:
    """An endpoint path pattern: '**', or an absolute path with optional '*' wildcards."""
    if len(value) > MAX_NAME or _CONTROL.search(value) or " " in value:
        raise invalid("The endpoint path must be printable, without spaces")
    if value != "**" and not value.startswith("/"):
        raise invalid("The endpoint path must start with '/' (or be '**' for any path)")
    if any(piece in ("..", ".") for piece in value.split("/")):
        raise invalid("The endpoint path must not contain '.' or '..' segments")
    return value


def transition(current: ClientState, target: ClientState) -> ClientState:
    if target not in TRANSITIONS[current]:
        raise conflict(f"A client cannot move from {current} to {target}")
    return target


def deletable(state: ClientState, what: str) -> None:
    if state not in DELETABLE:
        raise conflict(f"{what} is {state}; only saved clients or ones being deleted can go")


def client_sort_key(value: ClientId) -> tuple[str, str, str, str]:
    return (value.instance, value.member_class, value.member_code, value.subsystem_code or "")
