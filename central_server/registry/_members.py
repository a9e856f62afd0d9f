"""Instance identifier, member classes, members and subsystems."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from central_server.registry import _lookup, validation
from central_server.registry._base import ServiceBase
from central_server.registry.errors import conflict, not_found
from central_server.registry.model import MemberClassInfo, MemberInfo, SubsystemInfo
from central_server.storage import tables as t
from vdx.identifiers import ClientId


class MembersOps(ServiceBase):
    async def get_instance(self) -> str | None:
        async with self._read() as conn:
            return await _lookup.instance(conn)

    async def set_instance(self, instance: str, *, actor: str) -> None:
        """Set the instance identifier once; it is part of every identifier and never changes."""
        validation.code(instance, "instanceIdentifier")
        async with self._write(actor, "set_instance", instance) as conn:
            current = await _lookup.instance(conn)
            if current == instance:
                raise conflict(f"The instance identifier is already {instance}")
            if current is not None:
                raise conflict(f"The instance identifier is {current} and cannot change")
            await conn.execute(
                t.system_parameters.insert().values(
                    name=validation.INSTANCE_PARAMETER, value=instance
                )
            )
            await conn.execute(
                t.global_groups.insert().values(
                    group_code=validation.OWNERS_GROUP,
                    description=validation.OWNERS_GROUP_DESCRIPTION,
                )
            )

    async def add_member_class(self, code: str, description: str, *, actor: str) -> None:
        validation.code(code, "memberClass")
        validation.text(description, "description")
        async with self._write(actor, "add_member_class", code, {"description": description}) as c:
            if await _lookup.count(c, t.member_classes, t.member_classes.c.code == code):
                raise conflict(f"Member class {code} already exists")
            await c.execute(t.member_classes.insert().values(code=code, description=description))

    async def update_member_class(self, code: str, description: str, *, actor: str) -> None:
        validation.text(description, "description")
        details = {"description": description}
        async with self._write(actor, "update_member_class", code, details) as conn:
            class_id = await _lookup.member_class_id(conn, code)
            await conn.execute(
                t.member_classes.update()
                .where(t.member_classes.c.id == class_id)
                .values(description=description)
            )

    async def delete_member_class(self, code: str, *, actor: str) -> None:
        async with self._write(actor, "delete_member_class", code) as conn:
            class_id = await _lookup.member_class_id(conn, code)
            used = await _lookup.count(conn, t.members, t.members.c.member_class_id == class_id)
            validation.not_in_use(f"Member class {code}", {"members": used})
            await conn.execute(t.member_classes.delete().where(t.member_classes.c.id == class_id))

    async def list_member_classes(self) -> list[MemberClassInfo]:
        async with self._read() as conn:
            return await read_member_classes(conn)

    async def add_member(self, member: ClientId, name: str, *, actor: str) -> None:
        validation.text(name, "name")
        async with self._write(actor, "add_member", member.to_colon(), {"name": name}) as conn:
            validation.member(member, await _lookup.instance(conn))
            class_id = await _lookup.member_class_id(conn, member.member_class)
            exists = await _lookup.count(
                conn,
                t.members,
                t.members.c.member_class_id == class_id,
                t.members.c.member_code == member.member_code,
            )
            if exists:
                raise conflict(f"Member {member} already exists")
            await conn.execute(
                t.members.insert().values(
                    member_class_id=class_id, member_code=member.member_code, name=name
                )
            )

    async def rename_member(self, member: ClientId, name: str, *, actor: str) -> None:
        validation.text(name, "name")
        async with self._write(actor, "rename_member", member.to_colon(), {"name": name}) as conn:
            validation.member(member, await _lookup.instance(conn))
            member_id = await _lookup.member_id(conn, member)
            await conn.execute(
                t.members.update().where(t.members.c.id == member_id).values(name=name)
            )

    async def delete_member(self, member: ClientId, *, actor: str) -> None:
        """Delete a member and its subsystems; refused while it owns servers or is a client
        or group member anywhere (X-Road deletes those registrations first, by request)."""
        async with self._write(actor, "delete_member", member.to_colon()) as conn:
            validation.member(member, await _lookup.instance(conn))
            member_id = await _lookup.member_id(conn, member)
            validation.not_in_use(
                f"Member {member}",
                {
                    "security servers": await _lookup.count(
                        conn, t.security_servers, t.security_servers.c.owner_id == member_id
                    ),
                    "server client registrations": await _lookup.count(
                        conn, t.server_clients, t.server_clients.c.member_id == member_id
                    ),
                    "global group memberships": await _lookup.count(
                        conn,
                        t.global_group_members,
                        t.global_group_members.c.member_id == member_id,
                    ),
                },
            )
            await conn.execute(t.subsystems.delete().where(t.subsystems.c.member_id == member_id))
            await conn.execute(t.members.delete().where(t.members.c.id == member_id))

    async def add_subsystem(
        self, subsystem: ClientId, name: str | None = None, *, actor: str
    ) -> None:
        if name is not None:
            validation.text(name, "subsystem name")
        details = {"name": name}
        async with self._write(actor, "add_subsystem", subsystem.to_colon(), details) as conn:
            validation.subsystem(subsystem, await _lookup.instance(conn))
            member_id = await _lookup.member_id(conn, subsystem.member)
            exists = await _lookup.count(
                conn,
                t.subsystems,
                t.subsystems.c.member_id == member_id,
                t.subsystems.c.subsystem_code == subsystem.subsystem_code,
            )
            if exists:
                raise conflict(f"Subsystem {subsystem} already exists")
            await conn.execute(
                t.subsystems.insert().values(
                    member_id=member_id, subsystem_code=subsystem.subsystem_code, name=name
                )
            )

    async def delete_subsystem(self, subsystem: ClientId, *, actor: str) -> None:
        async with self._write(actor, "delete_subsystem", subsystem.to_colon()) as conn:
            validation.subsystem(subsystem, await _lookup.instance(conn))
            _, sub_id = await _lookup.client_ref(conn, subsystem)
            validation.not_in_use(
                f"Subsystem {subsystem}",
                {
                    "server client registrations": await _lookup.count(
                        conn, t.server_clients, t.server_clients.c.subsystem_id == sub_id
                    ),
                    "global group memberships": await _lookup.count(
                        conn,
                        t.global_group_members,
                        t.global_group_members.c.subsystem_id == sub_id,
                    ),
                },
            )
            await conn.execute(t.subsystems.delete().where(t.subsystems.c.id == sub_id))

    async def list_members(self) -> list[MemberInfo]:
        async with self._read() as conn:
            instance = await _lookup.instance(conn)
            if instance is None:
                return []
            return await read_members(conn, instance)

    async def get_member(self, member: ClientId) -> MemberInfo:
        for found in await self.list_members():
            if found.client_id == member:
                return found
        raise not_found(f"Member {member} does not exist")


async def read_members(conn: AsyncConnection, instance: str) -> list[MemberInfo]:
    """Every member with its subsystems, ordered by class, code, subsystem code."""
    rows = await conn.execute(
        sa.select(
            t.members.c.id,
            t.member_classes.c.code,
            t.members.c.member_code,
            t.members.c.name,
        ).join(t.member_classes)
    )
    # Sorted here, not by ORDER BY: PostgreSQL's collation may differ from SQLite's binary one,
    # and the configuration must not depend on the database.
    members = sorted(rows, key=lambda r: (r[1], r[2]))
    subs: dict[int, list[SubsystemInfo]] = {}
    sub_rows = await conn.execute(
        sa.select(t.subsystems.c.member_id, t.subsystems.c.subsystem_code, t.subsystems.c.name)
    )
    for member_id, code, name in sub_rows:
        subs.setdefault(member_id, []).append(SubsystemInfo(code, name))
    return [
        MemberInfo(
            ClientId(instance, class_code, code),
            name,
            tuple(sorted(subs.get(member_id, []), key=lambda s: s.code)),
        )
        for member_id, class_code, code, name in members
    ]


async def read_member_classes(conn: AsyncConnection) -> list[MemberClassInfo]:
    rows = await conn.execute(sa.select(t.member_classes.c.code, t.member_classes.c.description))
    return sorted((MemberClassInfo(c, d) for c, d in rows), key=lambda m: m.code)
