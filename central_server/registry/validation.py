"""Pure checks of registry input: every one returns the clean value or raises ``invalid``.

No database here: the service layer calls these before it reads or writes anything, so a
refused value never reaches a transaction.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from central_server.registry.errors import conflict, invalid
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, SecurityServerId, check_strict

# The automatic global group of all security server owners (X-Road central server user
# guide, "security server owners group"); its members are kept by the registry itself.
OWNERS_GROUP = "security-server-owners"
OWNERS_GROUP_DESCRIPTION = "Security server owners"

MAX_NAME = 1024
MAX_CODE = 255
CSR_FORMATS = ("PEM", "DER")

# System parameters the operator may set, with their defaults and allowed ranges (seconds).
# ocspFreshnessSeconds goes to shared parameters (globalSettings); the others to the
# configuration generator and to private parameters.
SYSTEM_PARAMETERS: dict[str, tuple[int, int, int]] = {
    "ocspFreshnessSeconds": (3600, 60, 7 * 24 * 3600),
    "timeStampingIntervalSeconds": (60, 1, 24 * 3600),
    "confExpireIntervalSeconds": (600, 60, 7 * 24 * 3600),
}
INSTANCE_PARAMETER = "instanceIdentifier"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A host name, an IPv4 address or a bracketless IPv6 address; no scheme, port or path.
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-:]*[A-Za-z0-9])?")


def code(value: str, what: str) -> str:
    """An identifier part an operator creates: REST r1 §4.8 characters only."""
    try:
        check_strict(value, what)
    except XRoadError as error:
        raise invalid(error.message) from None
    if len(value) > MAX_CODE:
        raise invalid(f"{what} is longer than {MAX_CODE} characters")
    return value


def text(value: str, what: str, *, limit: int = MAX_NAME) -> str:
    """A human-readable name or description: not blank, no control characters."""
    if not value or not value.strip():
        raise invalid(f"{what} must not be empty")
    if _CONTROL.search(value):
        raise invalid(f"{what} must not contain control characters")
    if len(value) > limit:
        raise invalid(f"{what} is longer than {limit} characters")
    return value


def actor(value: str) -> str:
    return text(value, "actor", limit=MAX_CODE)


def client(value: ClientId, instance: str | None) -> ClientId:
    """A member or subsystem of this instance with strict identifier parts."""
    if instance is None:
        raise conflict("Set the instance identifier first")
    if value.instance != instance:
        raise invalid(f"{value} does not belong to instance {instance}")
    code(value.member_class, "memberClass")
    code(value.member_code, "memberCode")
    if value.subsystem_code is not None:
        code(value.subsystem_code, "subsystemCode")
    return value


def member(value: ClientId, instance: str | None) -> ClientId:
    if value.subsystem_code is not None:
        raise invalid(f"{value} is a subsystem, a member is expected")
    return client(value, instance)


def subsystem(value: ClientId, instance: str | None) -> ClientId:
    if value.subsystem_code is None:
        raise invalid(f"{value} is a member, a subsystem is expected")
    return client(value, instance)


def server(value: SecurityServerId, instance: str | None) -> SecurityServerId:
    member(value.owner, instance)
    code(value.server_code, "serverCode")
    return value


def address(value: str) -> str:
    """A security server address as the shared parameters carry it: a host name or IP."""
    if len(value) > MAX_CODE or not _HOST.fullmatch(value):
        raise invalid("The address must be a host name or an IP address (no scheme or port)")
    return value


def url(value: str, what: str) -> str:
    """An http(s) URL with a host (OCSP responders, TSAs)."""
    if len(value) > MAX_NAME or _CONTROL.search(value) or " " in value:
        raise invalid(f"{what} is not a valid URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"{what} must be an http or https URL with a host")
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


def auth_cert_hash(der: bytes) -> bytes:
    """``authCertHash`` of shared parameters: SHA-256 of the certificate's DER.

    The reference's V5 configuration carries 32-byte hashes (SHA-256, X-Road 7).
    """
    return hashlib.sha256(der).digest()


def csr_format(value: str | None) -> str | None:
    if value is not None and value not in CSR_FORMATS:
        raise invalid(f"The CSR format must be one of {', '.join(CSR_FORMATS)}")
    return value


def system_parameter(name: str, value: int) -> int:
    """A known system parameter within its range."""
    if name not in SYSTEM_PARAMETERS:
        known = ", ".join(sorted(SYSTEM_PARAMETERS))
        raise invalid(f"Unknown system parameter {name!r:.60}; known: {known}")
    _, low, high = SYSTEM_PARAMETERS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{name} must be an integer from {low} to {high}")
    return value


def not_in_use(what: str, uses: dict[str, int]) -> None:
    """Refuse to delete ``what`` while anything refers to it (``uses``: kind -> count)."""
    found = [f"{count} {kind}" for kind, count in uses.items() if count]
    if found:
        raise conflict(f"{what} is in use ({', '.join(found)})")


def not_automatic(group_code: str) -> None:
    """The owners group's membership follows security server registrations only."""
    if group_code == OWNERS_GROUP:
        raise conflict(f"The {OWNERS_GROUP} group is maintained automatically")


def client_sort_key(value: ClientId) -> tuple[str, str, str]:
    """Members before their subsystems, then by code (ClientId's own order fails on None)."""
    return (value.member_class, value.member_code, value.subsystem_code or "")
