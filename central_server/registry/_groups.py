"""Global groups, and the automatic ``security-server-owners`` group."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from central_server.registry import _lookup, validation
from central_server.registry._base import ServiceBase
from central_server.registry.errors import conflict, not_found
from central_server.registry.model import GlobalGroupInfo
from central_server.storage import tables as t
from vdx.identifiers import ClientId

_GM = t.global_group_members


async def sync_owner(conn: AsyncConnection, owner: int) -> None:
    """Keep ``owner`` in the owners group exactly while it owns a security server."""
    group = await conn.scalar(
        sa.select(t.global_groups.c.id).where(
            t.global_groups.c.group_code == validation.OWNERS_GROUP
        )
    )
    if group is None:  # created with the instance; recreated if an old database lacks it
        group = (
            await conn.execute(
                t.global_groups.insert()
                .values(
                    group_code=validation.OWNERS_GROUP,
                    description=validation.OWNERS_GROUP_DESCRIPTION,
                )
                .returning(t.global_groups.c.id)
            )
        ).scalar_one()
    owns = await _lookup.count(conn, t.security_servers, t.security_servers.c.owner_id == owner)
    listed = await _lookup.count(
        conn, _GM, _GM.c.group_id == group, _lookup.same_client(_GM, owner, None)
    )
    if owns and not listed:
        await conn.execute(_GM.insert().values(group_id=group, member_id=owner, subsystem_id=None))
    elif listed and not owns:
        await conn.execute(
            _GM.delete().where(_GM.c.group_id == group, _lookup.same_client(_GM, owner, None))
        )


class GroupsOps(ServiceBase):
    async def add_global_group(self, code: str, description: str, *, actor: str) -> None:
        validation.code(code, "groupCode")
        validation.text(description, "description")
        async with self._write(actor, "add_global_group", code, {"description": description}) as c:
            if await _lookup.count(c, t.global_groups, t.global_groups.c.group_code == code):
                raise conflict(f"Global group {code} already exists")
            await c.execute(
                t.global_groups.insert().values(group_code=code, description=description)
            )

    async def delete_global_group(self, code: str, *, actor: str) -> None:
        validation.not_automatic(code)
        async with self._write(actor, "delete_global_group", code) as conn:
            group = await _lookup.group_id(conn, code)
            await conn.execute(_GM.delete().where(_GM.c.group_id == group))
            await conn.execute(t.global_groups.delete().where(t.global_groups.c.id == group))

    async def add_group_member(self, code: str, client: ClientId, *, actor: str) -> None:
        validation.not_automatic(code)
        details = {"client": client.to_colon()}
        async with self._write(actor, "add_group_member", code, details) as conn:
            validation.client(client, await _lookup.instance(conn))
            group = await _lookup.group_id(conn, code)
            member, sub = await _lookup.client_ref(conn, client)
            if await _lookup.count(
                conn, _GM, _GM.c.group_id == group, _lookup.same_client(_GM, member, sub)
            ):
                raise conflict(f"{client} is already a member of {code}")
            await conn.execute(
                _GM.insert().values(group_id=group, member_id=member, subsystem_id=sub)
            )

    async def remove_group_member(self, code: str, client: ClientId, *, actor: str) -> None:
        validation.not_automatic(code)
        details = {"client": client.to_colon()}
        async with self._write(actor, "remove_group_member", code, details) as conn:
            validation.client(client, await _lookup.instance(conn))
            group = await _lookup.group_id(conn, code)
            member, sub = await _lookup.client_ref(conn, client)
            deleted = await conn.execute(
                _GM.delete().where(_GM.c.group_id == group, _lookup.same_client(_GM, member, sub))
            )
            if deleted.rowcount == 0:
                raise not_found(f"{client} is not a member of {code}")

    async def list_global_groups(self) -> list[GlobalGroupInfo]:
        async with self._read() as conn:
            instance = await _lookup.instance(conn)
            return [] if instance is None else await read_groups(conn, instance)

    async def get_global_group(self, code: str) -> GlobalGroupInfo:
        for found in await self.list_global_groups():
            if found.code == code:
                return found
        raise not_found(f"Global group {code!r} does not exist")


async def read_groups(conn: AsyncConnection, instance: str) -> list[GlobalGroupInfo]:
    """Every group with its sorted members, ordered by group code."""
    members: dict[int, list[ClientId]] = {}
    query = _lookup.client_select(_GM).add_columns(_GM.c.group_id)
    for class_code, member_code, sub_code, group in await conn.execute(query):
        members.setdefault(group, []).append(ClientId(instance, class_code, member_code, sub_code))
    rows = await conn.execute(
        sa.select(t.global_groups.c.id, t.global_groups.c.group_code, t.global_groups.c.description)
    )
    found = [
        GlobalGroupInfo(
            code, description, tuple(sorted(members.get(gid, []), key=validation.client_sort_key))
        )
        for gid, code, description in rows
    ]
    return sorted(found, key=lambda g: g.code)
