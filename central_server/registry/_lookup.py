"""Lookups the service layer shares: identifiers to row ids, raising ``not_found``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from central_server.registry import validation
from central_server.registry.errors import not_found
from central_server.storage import tables as t
from vdx.identifiers import ClientId, SecurityServerId


async def instance(conn: AsyncConnection) -> str | None:
    row = await conn.execute(
        sa.select(t.system_parameters.c.value).where(
            t.system_parameters.c.name == validation.INSTANCE_PARAMETER
        )
    )
    return row.scalar_one_or_none()


async def member_class_id(conn: AsyncConnection, code: str) -> int:
    found = await conn.scalar(
        sa.select(t.member_classes.c.id).where(t.member_classes.c.code == code)
    )
    if found is None:
        raise not_found(f"Member class {code!r} does not exist")
    return int(found)


async def member_id(conn: AsyncConnection, member: ClientId) -> int:
    found = await conn.scalar(
        sa.select(t.members.c.id)
        .join(t.member_classes)
        .where(
            t.member_classes.c.code == member.member_class,
            t.members.c.member_code == member.member_code,
        )
    )
    if found is None:
        raise not_found(f"Member {member.member} does not exist")
    return int(found)


async def client_ref(conn: AsyncConnection, client: ClientId) -> tuple[int, int | None]:
    """(member id, subsystem id or None) of an existing member or subsystem."""
    owner = await member_id(conn, client.member)
    if client.subsystem_code is None:
        return owner, None
    found = await conn.scalar(
        sa.select(t.subsystems.c.id).where(
            t.subsystems.c.member_id == owner,
            t.subsystems.c.subsystem_code == client.subsystem_code,
        )
    )
    if found is None:
        raise not_found(f"Subsystem {client} does not exist")
    return owner, int(found)


async def server_id(conn: AsyncConnection, server: SecurityServerId) -> int:
    owner = await member_id(conn, server.owner)
    found = await conn.scalar(
        sa.select(t.security_servers.c.id).where(
            t.security_servers.c.owner_id == owner,
            t.security_servers.c.server_code == server.server_code,
        )
    )
    if found is None:
        raise not_found(f"Security server {server} does not exist")
    return int(found)


async def group_id(conn: AsyncConnection, code: str) -> int:
    found = await conn.scalar(
        sa.select(t.global_groups.c.id).where(t.global_groups.c.group_code == code)
    )
    if found is None:
        raise not_found(f"Global group {code!r} does not exist")
    return int(found)


async def count(conn: AsyncConnection, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0)


def client_select(table: sa.Table) -> sa.Select[tuple[str, str, str | None]]:
    """Class code, member code and subsystem code of the client each row of ``table`` names."""
    return (
        sa.select(t.member_classes.c.code, t.members.c.member_code, t.subsystems.c.subsystem_code)
        .select_from(table)
        .join(t.members, table.c.member_id == t.members.c.id)
        .join(t.member_classes, t.members.c.member_class_id == t.member_classes.c.id)
        .outerjoin(t.subsystems, table.c.subsystem_id == t.subsystems.c.id)
    )


def same_client(table: sa.Table, member: int, subsystem: int | None) -> sa.ColumnElement[bool]:
    """Rows of ``table`` naming exactly this member or subsystem (NULL-safe)."""
    sub = table.c.subsystem_id
    return sa.and_(
        table.c.member_id == member, sub.is_(None) if subsystem is None else sub == subsystem
    )
