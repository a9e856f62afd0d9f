"""Pure decisions the proxies make at message time: endpoint matching and access rights.

Nothing here raises for a refusal: the access check answers True or False and the proxy raises
``AccessDenied`` with the X-Road code (ARCHITECTURE rule 3 puts the rendering in one place).

Matching follows the reference security server (serverconf ``EndpointType`` / ``PathGlob``):

* an endpoint's method ``*`` matches every method, otherwise methods compare case-insensitively;
* an endpoint's path ``**`` matches everything; otherwise the path is a glob where ``*`` matches
  zero or more characters within one segment (anything but ``/``), a run of two or more ``*``
  matches any characters including ``/``, and ``\\*`` / ``\\\\`` stand for a literal ``*`` / ``\\``;
* the request path is percent-decoded and its dot segments removed first; a path that still
  contains ``..`` is refused outright (path traversal);
* a SOAP request has no method or path and so matches only a base endpoint (``*``, ``**``);
* a client holds a right when it is the subject itself (a member right does not cover its
  subsystems), or is in the global group (the caller's lookup in the global configuration),
  or is a member of the local group of the service's own client.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import unquote

from security_server.serverconf.model import ANY_METHOD, ANY_PATH, Endpoint
from security_server.serverconf.snapshot import ServerConfSnapshot
from vdx.identifiers import ClientId, GlobalGroupId, ServiceId

GlobalGroupLookup = Callable[[ClientId, GlobalGroupId], bool]
"""``(client, group) -> bool``: is the client a member of the global group (global conf)."""


@functools.lru_cache(maxsize=1024)
def _compile(glob: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "\\" and i + 1 < len(glob) and glob[i + 1] in "*\\":
            parts.append(re.escape(glob[i + 1]))
            i += 2
        elif char == "*":
            run = len(glob) - i - len(glob[i:].lstrip("*"))
            parts.append(".*" if run > 1 else "[^/]*")
            i += run
        else:
            parts.append(re.escape(char))
            i += 1
    return re.compile("".join(parts), re.DOTALL)


def path_matches(glob: str, path: str) -> bool:
    """Whether ``path`` matches the endpoint path pattern ``glob`` as a whole."""
    return _compile(glob).fullmatch(path) is not None


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 §5.2.4, on the decoded path.
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
            continue
        if segment == ".." and output and output[-1] not in ("", ".."):
            output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def normalize_path(path: str) -> str | None:
    """The request path as endpoints see it, or None when it must be refused (traversal)."""
    normalized = _remove_dot_segments(unquote(path, errors="strict"))
    if ".." in normalized or "\x00" in normalized:
        return None
    return normalized


def endpoint_matches(endpoint: Endpoint, method: str | None, path: str | None) -> bool:
    """Whether a request (``method``/``path``; both None for SOAP) falls under ``endpoint``."""
    method_ok = endpoint.method == ANY_METHOD or (
        method is not None and endpoint.method.upper() == method.upper()
    )
    path_ok = endpoint.path == ANY_PATH or (path is not None and path_matches(endpoint.path, path))
    return method_ok and path_ok


def granted_endpoints(
    snapshot: ServerConfSnapshot,
    client: ClientId,
    service: ServiceId,
    in_global_group: GlobalGroupLookup,
) -> tuple[Endpoint, ...]:
    """Every endpoint of ``service`` that ``client`` holds a right on, directly or via a group."""
    found = list(snapshot.rights_of(service, client))
    for subject, endpoint in snapshot.group_grants(service):
        if isinstance(subject, GlobalGroupId):
            member = in_global_group(client, subject)
        else:
            member = snapshot.in_local_group(service.provider, subject.group_code, client)
        if member:
            found.append(endpoint)
    return tuple(found)


def is_access_allowed(
    snapshot: ServerConfSnapshot,
    client: ClientId,
    service: ServiceId,
    in_global_group: GlobalGroupLookup,
    *,
    method: str | None = None,
    path: str | None = None,
) -> bool:
    """Whether ``client`` may call ``service`` (REST: with ``method`` on ``path``)."""
    if snapshot.service(service) is None:
        return False
    normalized: str | None = None
    if path is not None:
        try:
            normalized = normalize_path(path)
        except UnicodeDecodeError:
            return False
        if normalized is None:
            return False
    return any(
        endpoint_matches(endpoint, method, normalized)
        for endpoint in granted_endpoints(snapshot, client, service, in_global_group)
    )


def allowed_endpoints(
    snapshot: ServerConfSnapshot,
    client: ClientId,
    service: ServiceId,
    in_global_group: GlobalGroupLookup,
) -> tuple[Endpoint, ...]:
    """The service's own (non-base) endpoints a right of ``client`` covers (allowedMethods)."""
    entry = snapshot.service(service)
    if entry is None:
        return ()
    rights = granted_endpoints(snapshot, client, service, in_global_group)
    return tuple(
        endpoint
        for endpoint in entry.endpoints
        if not endpoint.is_base
        and any(endpoint_matches(right, endpoint.method, endpoint.path) for right in rights)
    )
