"""What the metaservices answer, decided from the configuration alone (pure, no I/O).

``listClients`` comes from the global configuration (pr-meta §2); ``listMethods`` /
``allowedMethods`` from the provider's services in the server configuration (pr-meta §3 for
SOAP: services described by a WSDL; pr-mrest §4 for REST: REST and OpenAPI services with their
endpoints), ``allowedMethods`` narrowed to what the caller holds an access right on. Neither
list names a metaservice (pr-meta §3: "SHALL NOT contain names of the metainfo services").
"""

from __future__ import annotations

import functools

from security_server.confclient.model import GlobalConfiguration
from security_server.serverconf.decisions import (
    allowed_endpoints,
    granted_endpoints,
    is_access_allowed,
)
from security_server.serverconf.model import DescriptionKind
from security_server.serverconf.snapshot import ServerConfSnapshot, ServiceEntry
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message.metaservices import (
    REST_METASERVICES,
    SOAP_METASERVICES,
    ClientListEntry,
    RestServiceDetails,
    WsdlRequest,
)

_REST_KINDS = {DescriptionKind.REST: "REST", DescriptionKind.OPENAPI3: "OPENAPI"}
_META_CODES = SOAP_METASERVICES | REST_METASERVICES


def client_list(
    conf: GlobalConfiguration, instance: str | None = None
) -> tuple[ClientListEntry, ...]:
    """Members and subsystems of ``instance`` (default: this one), in registry order.

    Only this instance's shared parameters are held here, so another instance's list is
    empty (the reference answers the same for an instance it does not know).
    """
    if instance is not None and instance != conf.instance:
        return ()
    entries: list[ClientListEntry] = []
    for member in conf.shared.members:
        entries.append(ClientListEntry(member.client_id(conf.instance), member.name))
        entries.extend(
            ClientListEntry(
                member.client_id(conf.instance, subsystem.code), member.name, subsystem.name
            )
            for subsystem in member.subsystems
        )
    return tuple(entries)


def _entries(
    serverconf: ServerConfSnapshot, provider: ClientId, kinds: frozenset[DescriptionKind]
) -> list[ServiceEntry]:
    found = []
    for service_id in serverconf.services_of(provider):
        entry = serverconf.service(service_id)
        if entry is not None and entry.kind in kinds and service_id.service_code not in _META_CODES:
            found.append(entry)
    return found


_SOAP = frozenset({DescriptionKind.WSDL})
_REST = frozenset(_REST_KINDS)


def soap_services(serverconf: ServerConfSnapshot, provider: ClientId) -> tuple[ServiceId, ...]:
    """SOAP ``listMethods``: every WSDL service of the provider."""
    return tuple(entry.service_id for entry in _entries(serverconf, provider, _SOAP))


def soap_allowed(
    serverconf: ServerConfSnapshot, conf: GlobalConfiguration, provider: ClientId, client: ClientId
) -> tuple[ServiceId, ...]:
    """SOAP ``allowedMethods``: the WSDL services ``client`` may call."""
    in_group = functools.partial(GlobalConfiguration.is_group_member, conf)
    return tuple(
        entry.service_id
        for entry in _entries(serverconf, provider, _SOAP)
        if is_access_allowed(serverconf, client, entry.service_id, in_group)
    )


def _details(entry: ServiceEntry, endpoints: tuple[tuple[str, str], ...]) -> RestServiceDetails:
    return RestServiceDetails(entry.service_id, _REST_KINDS[entry.kind], endpoints)


def rest_services(
    serverconf: ServerConfSnapshot, provider: ClientId
) -> tuple[RestServiceDetails, ...]:
    """REST ``listMethods``: every REST / OpenAPI service with its own endpoints."""
    return tuple(
        _details(entry, tuple((e.method, e.path) for e in entry.endpoints if not e.is_base))
        for entry in _entries(serverconf, provider, _REST)
    )


def rest_allowed(
    serverconf: ServerConfSnapshot, conf: GlobalConfiguration, provider: ClientId, client: ClientId
) -> tuple[RestServiceDetails, ...]:
    """REST ``allowedMethods``: services ``client`` holds any right on, with the endpoints
    those rights cover (the endpoints may be patterns, pr-mrest §4)."""
    in_group = functools.partial(GlobalConfiguration.is_group_member, conf)
    found = []
    for entry in _entries(serverconf, provider, _REST):
        if not granted_endpoints(serverconf, client, entry.service_id, in_group):
            continue
        allowed = allowed_endpoints(serverconf, client, entry.service_id, in_group)
        found.append(_details(entry, tuple((e.method, e.path) for e in allowed)))
    return tuple(found)


def _described(
    serverconf: ServerConfSnapshot, provider: ClientId, code: str, version: str | None
) -> ServiceEntry:
    service_id = ServiceId(provider, code, version)
    entry = serverconf.service(service_id)
    if entry is None and version is None:
        # Without a version, the one service of that code (whatever its version) is meant.
        same = [s for s in serverconf.services_of(provider) if s.service_code == code]
        entry = serverconf.service(same[0]) if len(same) == 1 else None
    if entry is None:
        raise XRoadError(Code.UNKNOWN_SERVICE, f"Unknown service: {service_id.to_path()}")
    return entry


def wsdl_service(
    serverconf: ServerConfSnapshot, provider: ClientId, wanted: WsdlRequest
) -> ServiceEntry:
    """The service whose WSDL ``getWsdl`` asks for (pr-meta §4), or raise."""
    entry = _described(serverconf, provider, wanted.service_code, wanted.service_version)
    if entry.kind is not DescriptionKind.WSDL:
        raise XRoadError(
            Code.INVALID_SERVICE_TYPE, "Service is a REST service and does not have a WSDL"
        )
    return entry


def openapi_service(
    serverconf: ServerConfSnapshot, provider: ClientId, service_code: str
) -> ServiceEntry:
    """The service whose OpenAPI description ``getOpenAPI`` asks for (pr-mrest §5), or raise."""
    entry = _described(serverconf, provider, service_code, None)
    if entry.kind is not DescriptionKind.OPENAPI3:
        raise XRoadError(
            Code.INVALID_SERVICE_TYPE, f"Service type is {entry.kind}, not an OpenAPI 3 service"
        )
    return entry
