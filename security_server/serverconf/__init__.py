"""Server configuration: the server's identity, clients, services, access rights.

* :class:`ServerConfService` - validated, audited, transactional operations (admin API, CLI);
* :mod:`~security_server.serverconf.decisions` - pure message-time decisions (access, matching);
* :class:`ServerConfSnapshot` - the immutable view the proxies consult;
* :func:`parse_wsdl` / :func:`parse_openapi` - pure parsers of untrusted service descriptions.
"""

from security_server.serverconf.decisions import (
    GlobalGroupLookup,
    allowed_endpoints,
    endpoint_matches,
    is_access_allowed,
    normalize_path,
    path_matches,
)
from security_server.serverconf.errors import (
    DescriptionError,
    ErrorCode,
    ServerConfError,
)
from security_server.serverconf.model import (
    ANY_METHOD,
    ANY_PATH,
    BASE_ENDPOINT,
    DEFAULT_TIMEOUT,
    AccessRightInfo,
    AuditEntry,
    ClientInfo,
    ClientState,
    ConnectionType,
    DescriptionInfo,
    DescriptionKind,
    Endpoint,
    LocalGroupInfo,
    RefreshDiff,
    ServerIdentity,
    ServiceInfo,
    Subject,
)
from security_server.serverconf.openapi import OpenApiDocument, parse_openapi
from security_server.serverconf.service import ServerConfService
from security_server.serverconf.snapshot import (
    ClientEntry,
    Grant,
    ServerConfSnapshot,
    ServiceEntry,
    build_snapshot,
)
from security_server.serverconf.wsdl import WsdlOperation, parse_wsdl

__all__ = [
    "ANY_METHOD",
    "ANY_PATH",
    "BASE_ENDPOINT",
    "DEFAULT_TIMEOUT",
    "AccessRightInfo",
    "AuditEntry",
    "ClientEntry",
    "ClientInfo",
    "ClientState",
    "ConnectionType",
    "DescriptionError",
    "DescriptionInfo",
    "DescriptionKind",
    "Endpoint",
    "ErrorCode",
    "GlobalGroupLookup",
    "Grant",
    "LocalGroupInfo",
    "OpenApiDocument",
    "RefreshDiff",
    "ServerConfError",
    "ServerConfService",
    "ServerConfSnapshot",
    "ServerIdentity",
    "ServiceEntry",
    "ServiceInfo",
    "Subject",
    "WsdlOperation",
    "allowed_endpoints",
    "build_snapshot",
    "endpoint_matches",
    "is_access_allowed",
    "normalize_path",
    "parse_openapi",
    "parse_wsdl",
    "path_matches",
]
