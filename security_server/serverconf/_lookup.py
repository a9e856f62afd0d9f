"""Lookups the service layer shares: identifiers to row ids, raising ``not_found``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from security_server.serverconf import validation
from security_server.serverconf.errors import conflict, invalid, not_found
from security_server.serverconf.model import (
    ANY_METHOD,
    ANY_PATH,
    ClientState,
    ServerIdentity,
    Subject,
)
from security_server.storage import tables as t
from vdx.identifiers import ClientId, GlobalGroupId, LocalGroupId, SecurityServerId, ServiceId


def client_key(client: ClientId) -> str:
    return client.to_colon()


def client_from_key(key: str) -> ClientId:
    return ClientId(*key.split(":"))


def subject_row(subject: Subject) -> tuple[str, str]:
    """(subject_type, subject_key) of an access-right subject."""
    return str(subject.object_type), subject.to_colon()


def subject_from_row(kind: str, key: str) -> Subject:
    if kind == "GLOBALGROUP":
        instance, _, code = key.partition(":")
        return GlobalGroupId(instance, code)
    if kind == "LOCALGROUP":
        return LocalGroupId(key)
    return client_from_key(key)


async def identity(conn: AsyncConnection) -> ServerIdentity | None:
    row = (await conn.execute(sa.select(t.server_identity))).first()
    if row is None:
        return None
    owner = ClientId(row.instance, row.member_class, row.member_code)
    return ServerIdentity(SecurityServerId(owner, row.server_code))


async def instance(conn: AsyncConnection) -> str:
    found = await identity(conn)
    if found is None:
        raise conflict("Initialise the server identity (owner and server code) first")
    return found.server_id.owner.instance


async def client_id(conn: AsyncConnection, client: ClientId) -> int:
    found = await conn.scalar(
        sa.select(t.clients.c.id).where(t.clients.c.client_key == client_key(client))
    )
    if found is None:
        raise not_found(f"Client {client} is not on this server")
    return int(found)


async def client_state(conn: AsyncConnection, client: ClientId) -> tuple[int, ClientState]:
    row = (
        await conn.execute(
            sa.select(t.clients.c.id, t.clients.c.state).where(
                t.clients.c.client_key == client_key(client)
            )
        )
    ).first()
    if row is None:
        raise not_found(f"Client {client} is not on this server")
    return int(row.id), ClientState(row.state)


@dataclass(frozen=True, slots=True)
class ServiceRef:
    id: int
    client_id: int
    description_id: int


@dataclass(frozen=True, slots=True)
class DescriptionRef:
    id: int
    client_id: int
    kind: str


async def service_row(conn: AsyncConnection, service: ServiceId) -> ServiceRef:
    """Row ids of an existing service, its client and its description."""
    row = (
        await conn.execute(
            sa.select(t.services.c.id, t.services.c.client_id, t.services.c.description_id)
            .join(t.clients, t.services.c.client_id == t.clients.c.id)
            .where(
                t.clients.c.client_key == client_key(service.provider),
                t.services.c.service_code == service.service_code,
                t.services.c.service_version == (service.service_version or ""),
            )
        )
    ).first()
    if row is None:
        raise not_found(f"Service {service} does not exist")
    return ServiceRef(int(row.id), int(row.client_id), int(row.description_id))


async def description(conn: AsyncConnection, description_id: int) -> DescriptionRef:
    """Row ids and kind of an existing service description."""
    sd = t.service_descriptions
    row = (
        await conn.execute(
            sa.select(sd.c.id, sd.c.client_id, sd.c.kind).where(sd.c.id == description_id)
        )
    ).first()
    if row is None:
        raise not_found(f"Service description {description_id} does not exist")
    return DescriptionRef(int(row.id), int(row.client_id), str(row.kind))


async def endpoint_id(conn: AsyncConnection, service: int, method: str, path: str) -> int:
    found = await conn.scalar(
        sa.select(t.endpoints.c.id).where(
            t.endpoints.c.service_id == service,
            t.endpoints.c.method == method,
            t.endpoints.c.path == path,
        )
    )
    if found is None:
        raise not_found(f"The service has no endpoint {method} {path}")
    return int(found)


async def base_endpoint_id(conn: AsyncConnection, service: int) -> int:
    return await endpoint_id(conn, service, ANY_METHOD, ANY_PATH)


async def local_group_id(conn: AsyncConnection, client: int, code: str) -> int:
    found = await conn.scalar(
        sa.select(t.local_groups.c.id).where(
            t.local_groups.c.client_id == client, t.local_groups.c.group_code == code
        )
    )
    if found is None:
        raise not_found(f"Local group {code!r} does not exist")
    return int(found)


async def count(conn: AsyncConnection, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0)


def checked_client(client: ClientId, server_instance: str) -> ClientId:
    return validation.client(client, server_instance)


def not_owner(found: ServerIdentity | None, client: ClientId, what: str) -> None:
    if found is not None and found.owner == client:
        raise invalid(f"{what}: {client} is the owner of this server")
