"""The text forms of identifiers: ``/`` (REST r1 §4) and ``:`` (admin APIs)."""

from __future__ import annotations

from vdx.errors import Code, XRoadError
from vdx.identifiers.model import ClientId, GlobalGroupId, SecurityServerId, ServiceId


def _split(text: str, sep: str, counts: tuple[int, ...], what: str) -> list[str]:
    parts = text.split(sep)
    if len(parts) not in counts:
        expected = " or ".join(str(c) for c in counts)
        raise XRoadError(
            Code.INVALID_CLIENT_IDENTIFIER,
            f"{what} must have {expected} parts separated by {sep!r}, got {len(parts)}",
        )
    return parts


def parse_client(text: str, sep: str = "/") -> ClientId:
    """Parse ``INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`` (or with ``:`` as the separator)."""
    parts = _split(text, sep, (3, 4), "A client identifier")
    return ClientId(*parts)


def parse_service(text: str, sep: str = "/") -> ServiceId:
    """Parse a service identifier.

    ``/`` form (REST r1 §4.1): ``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE``; REST services
    always belong to a subsystem, so five parts are required. ``:`` form (admin APIs):
    ``INSTANCE:CLASS:MEMBER[:SUBSYSTEM]:CODE[.VERSION]``.
    """
    if sep == "/":
        parts = _split(text, sep, (5,), "A REST service identifier")
        return ServiceId(ClientId(*parts[:4]), parts[4])
    parts = _split(text, sep, (4, 5), "A service identifier")
    code, _, version = parts[-1].partition(".")
    return ServiceId(ClientId(*parts[:-1]), code, version or None)


def parse_security_server(text: str, sep: str = "/") -> SecurityServerId:
    """Parse ``INSTANCE/CLASS/MEMBER/SERVERCODE``."""
    parts = _split(text, sep, (4,), "A security server identifier")
    return SecurityServerId(ClientId(*parts[:3]), parts[3])


def parse_global_group(text: str, sep: str = "/") -> GlobalGroupId:
    """Parse ``INSTANCE/GROUPCODE``."""
    parts = _split(text, sep, (2,), "A global group identifier")
    return GlobalGroupId(*parts)
