"""Reading the whole configuration into a :class:`ServerConfSnapshot`, and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from security_server.serverconf import _lookup
from security_server.serverconf.model import (
    AuditEntry,
    ClientState,
    ConnectionType,
    DescriptionKind,
    Endpoint,
)
from security_server.serverconf.snapshot import (
    ClientEntry,
    Grant,
    ServerConfSnapshot,
    ServiceEntry,
    build_snapshot,
)
from security_server.storage import tables as t
from vdx.identifiers import ClientId, ServiceId

_C = t.clients
_S = t.services
_SD = t.service_descriptions
_E = t.endpoints


def disabled_notice(service: ServiceId, disabled: bool, notice: str | None) -> str | None:
    """What a caller of a disabled service is told (the reference's default text otherwise)."""
    if not disabled:
        return None
    return notice or f"Service '{service}' is disabled"


async def _clients(conn: AsyncConnection) -> list[ClientEntry]:
    certs: dict[int, list[bytes]] = {}
    for owner, der in await conn.execute(
        sa.select(t.is_certs.c.client_id, t.is_certs.c.cert_der).order_by(t.is_certs.c.id)
    ):
        certs.setdefault(owner, []).append(bytes(der))
    return [
        ClientEntry(
            _lookup.client_from_key(row.client_key),
            ClientState(row.state),
            ConnectionType(row.connection_type),
            tuple(certs.get(row.id, ())),
        )
        for row in await conn.execute(sa.select(_C))
    ]


async def _services(conn: AsyncConnection) -> tuple[list[ServiceEntry], dict[int, ServiceId]]:
    endpoints: dict[int, list[Endpoint]] = {}
    for sid, method, path, generated in await conn.execute(
        sa.select(_E.c.service_id, _E.c.method, _E.c.path, _E.c.generated).order_by(_E.c.id)
    ):
        endpoints.setdefault(sid, []).append(Endpoint(method, path, generated))
    query = (
        sa.select(
            _S.c.id,
            _S.c.service_code,
            _S.c.service_version,
            _S.c.url,
            _S.c.timeout,
            _S.c.tls_verify,
            _SD.c.kind,
            _SD.c.disabled,
            _SD.c.disabled_notice,
            _C.c.client_key,
        )
        .join(_SD, _S.c.description_id == _SD.c.id)
        .join(_C, _S.c.client_id == _C.c.id)
    )
    entries: list[ServiceEntry] = []
    ids: dict[int, ServiceId] = {}
    for row in await conn.execute(query):
        service_id = ServiceId(
            _lookup.client_from_key(row.client_key), row.service_code, row.service_version or None
        )
        ids[row.id] = service_id
        entries.append(
            ServiceEntry(
                service_id,
                DescriptionKind(row.kind),
                row.url,
                row.timeout,
                row.tls_verify,
                disabled_notice(service_id, row.disabled, row.disabled_notice),
                tuple(endpoints.get(row.id, ())),
            )
        )
    return entries, ids


async def read_snapshot(conn: AsyncConnection) -> ServerConfSnapshot:
    identity = await _lookup.identity(conn)
    clients = await _clients(conn)
    services, ids = await _services(conn)
    grants = [
        Grant(ids[sid], Endpoint(method, path, generated), _lookup.subject_from_row(kind, key))
        for sid, method, path, generated, kind, key in await conn.execute(
            sa.select(
                _E.c.service_id,
                _E.c.method,
                _E.c.path,
                _E.c.generated,
                t.access_rights.c.subject_type,
                t.access_rights.c.subject_key,
            ).join(_E, t.access_rights.c.endpoint_id == _E.c.id)
        )
    ]
    groups: dict[tuple[ClientId, str], list[ClientId]] = {}
    for key, code in await conn.execute(
        sa.select(_C.c.client_key, t.local_groups.c.group_code).join(t.local_groups)
    ):
        groups[(_lookup.client_from_key(key), code)] = []
    for key, code, member in await conn.execute(
        sa.select(_C.c.client_key, t.local_groups.c.group_code, t.local_group_members.c.member_key)
        .select_from(t.local_group_members)
        .join(t.local_groups)
        .join(_C)
    ):
        groups[(_lookup.client_from_key(key), code)].append(_lookup.client_from_key(member))
    return build_snapshot(identity, clients, services, grants, groups)


async def read_audit(conn: AsyncConnection, limit: int, offset: int) -> list[AuditEntry]:
    log = t.audit_log
    rows = await conn.execute(sa.select(log).order_by(log.c.id.desc()).limit(limit).offset(offset))
    return [
        AuditEntry(row.id, row.at, row.actor, row.action, row.target, dict(row.details))
        for row in rows
    ]
