"""X-Road identifiers: values, their ``/`` and ``:`` text forms, and their XML form."""

from vdx.identifiers.model import (
    ClientId,
    GlobalGroupId,
    Identifier,
    LocalGroupId,
    ObjectType,
    SecurityServerId,
    ServiceId,
    check_part,
    check_strict,
)
from vdx.identifiers.text import (
    parse_client,
    parse_global_group,
    parse_security_server,
    parse_service,
)
from vdx.identifiers.xml import (
    NS_ID,
    NS_REPR,
    NS_XROAD,
    client_from_xml,
    from_xml,
    server_from_xml,
    service_from_xml,
    to_xml,
)

__all__ = [
    "NS_ID",
    "NS_REPR",
    "NS_XROAD",
    "ClientId",
    "GlobalGroupId",
    "Identifier",
    "LocalGroupId",
    "ObjectType",
    "SecurityServerId",
    "ServiceId",
    "check_part",
    "check_strict",
    "client_from_xml",
    "from_xml",
    "parse_client",
    "parse_global_group",
    "parse_security_server",
    "parse_service",
    "server_from_xml",
    "service_from_xml",
    "to_xml",
]
