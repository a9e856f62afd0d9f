"""Local groups of a client, and access rights on services and REST endpoints."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from security_server.serverconf import _lookup, validation
from security_server.serverconf._base import ServiceBase
from security_server.serverconf.errors import conflict, not_found
from security_server.serverconf.model import (
    AccessRightInfo,
    Endpoint,
    LocalGroupInfo,
    Subject,
)
from security_server.storage import tables as t
from vdx.identifiers import ClientId, LocalGroupId, ServiceId

_G = t.local_groups
_GM = t.local_group_members
_A = t.access_rights
_E = t.endpoints
_S = t.services


def _describe(subject: Subject, endpoint: Endpoint | None) -> dict[str, str]:
    details = {"subject": f"{subject.object_type}:{subject.to_colon()}"}
    if endpoint is not None:
        details["endpoint"] = f"{endpoint.method} {endpoint.path}"
    return details


class AclOps(ServiceBase):
    async def add_local_group(
        self, client: ClientId, code: str, description: str, *, actor: str
    ) -> None:
        validation.code(code, "groupCode")
        validation.text(description, "description")
        target = f"{client.to_colon()}:{code}"
        async with self._write(actor, "add_local_group", target, {"description": description}) as c:
            row = await _lookup.client_id(c, client)
            if await _lookup.count(c, _G, _G.c.client_id == row, _G.c.group_code == code):
                raise conflict(f"{client} already has a local group {code}")
            await c.execute(
                _G.insert().values(
                    client_id=row,
                    group_code=code,
                    description=description,
                    updated_at=self._clock(),
                )
            )

    async def update_local_group(
        self, client: ClientId, code: str, description: str, *, actor: str
    ) -> None:
        validation.text(description, "description")
        target = f"{client.to_colon()}:{code}"
        async with self._write(
            actor, "update_local_group", target, {"description": description}
        ) as c:
            group = await _lookup.local_group_id(c, await _lookup.client_id(c, client), code)
            await c.execute(
                _G.update()
                .where(_G.c.id == group)
                .values(description=description, updated_at=self._clock())
            )

    async def delete_local_group(self, client: ClientId, code: str, *, actor: str) -> None:
        """Delete the group, its members, and the access rights granted to it."""
        target = f"{client.to_colon()}:{code}"
        async with self._write(actor, "delete_local_group", target) as conn:
            row = await _lookup.client_id(conn, client)
            group = await _lookup.local_group_id(conn, row, code)
            endpoints = (
                sa.select(_E.c.id).join(_S, _E.c.service_id == _S.c.id).where(_S.c.client_id == row)
            )
            await conn.execute(
                _A.delete().where(
                    _A.c.subject_type == "LOCALGROUP",
                    _A.c.subject_key == code,
                    _A.c.endpoint_id.in_(endpoints),
                )
            )
            await conn.execute(_G.delete().where(_G.c.id == group))

    async def _member_change(
        self, client: ClientId, code: str, member: ClientId, actor: str, *, add: bool
    ) -> None:
        validation.subject(member)
        action = "add_local_group_member" if add else "remove_local_group_member"
        target = f"{client.to_colon()}:{code}"
        async with self._write(actor, action, target, {"member": member.to_colon()}) as conn:
            row = await _lookup.client_id(conn, client)
            group = await _lookup.local_group_id(conn, row, code)
            key = _lookup.client_key(member)
            present = await _lookup.count(
                conn, _GM, _GM.c.group_id == group, _GM.c.member_key == key
            )
            if add and present:
                raise conflict(f"{member} is already a member of {code}")
            if not add and not present:
                raise not_found(f"{member} is not a member of {code}")
            if add:
                await conn.execute(
                    _GM.insert().values(group_id=group, member_key=key, added_at=self._clock())
                )
            else:
                await conn.execute(
                    _GM.delete().where(_GM.c.group_id == group, _GM.c.member_key == key)
                )
            await conn.execute(_G.update().where(_G.c.id == group).values(updated_at=self._clock()))

    async def add_local_group_member(
        self, client: ClientId, code: str, member: ClientId, *, actor: str
    ) -> None:
        await self._member_change(client, code, member, actor, add=True)

    async def remove_local_group_member(
        self, client: ClientId, code: str, member: ClientId, *, actor: str
    ) -> None:
        await self._member_change(client, code, member, actor, add=False)

    async def list_local_groups(self, client: ClientId) -> list[LocalGroupInfo]:
        async with self._read() as conn:
            row = await _lookup.client_id(conn, client)
            members: dict[int, list[ClientId]] = {}
            query = (
                sa.select(_GM.c.group_id, _GM.c.member_key).join(_G).where(_G.c.client_id == row)
            )
            for group, key in await conn.execute(query):
                members.setdefault(group, []).append(_lookup.client_from_key(key))
            groups = await conn.execute(
                sa.select(_G.c.id, _G.c.group_code, _G.c.description).where(_G.c.client_id == row)
            )
            found = [
                LocalGroupInfo(
                    client,
                    code,
                    description,
                    tuple(sorted(members.get(gid, []), key=validation.client_sort_key)),
                )
                for gid, code, description in groups
            ]
        return sorted(found, key=lambda g: g.code)

    async def _endpoint(
        self, conn: AsyncConnection, service: ServiceId, endpoint: Endpoint | None
    ) -> tuple[int, int]:
        """(endpoint id, provider client id); None means the service's base endpoint."""
        row = await _lookup.service_row(conn, service)
        if endpoint is None:
            return await _lookup.base_endpoint_id(conn, row.id), int(row.client_id)
        method = endpoint.method.upper()
        return await _lookup.endpoint_id(conn, row.id, method, endpoint.path), int(row.client_id)

    async def grant_access(
        self, service: ServiceId, subject: Subject, *, actor: str, endpoint: Endpoint | None = None
    ) -> None:
        """Allow ``subject`` to call ``service`` (a REST ``endpoint``; None: the whole service)."""
        validation.subject(subject)
        kind, key = _lookup.subject_row(subject)
        details = _describe(subject, endpoint)
        async with self._write(actor, "grant_access", service.to_colon(), details) as conn:
            endpoint_id, provider = await self._endpoint(conn, service, endpoint)
            if isinstance(subject, LocalGroupId):
                await _lookup.local_group_id(conn, provider, subject.group_code)
            if await _lookup.count(
                conn,
                _A,
                _A.c.endpoint_id == endpoint_id,
                _A.c.subject_type == kind,
                _A.c.subject_key == key,
            ):
                raise conflict(f"{subject} already has that right on {service}")
            await conn.execute(
                _A.insert().values(
                    endpoint_id=endpoint_id,
                    subject_type=kind,
                    subject_key=key,
                    granted_at=self._clock(),
                )
            )

    async def revoke_access(
        self, service: ServiceId, subject: Subject, *, actor: str, endpoint: Endpoint | None = None
    ) -> None:
        kind, key = _lookup.subject_row(subject)
        details = _describe(subject, endpoint)
        async with self._write(actor, "revoke_access", service.to_colon(), details) as conn:
            endpoint_id, _ = await self._endpoint(conn, service, endpoint)
            deleted = await conn.execute(
                _A.delete().where(
                    _A.c.endpoint_id == endpoint_id,
                    _A.c.subject_type == kind,
                    _A.c.subject_key == key,
                )
            )
            if deleted.rowcount == 0:
                raise not_found(f"{subject} has no such right on {service}")

    async def list_access_rights(self, service: ServiceId) -> list[AccessRightInfo]:
        async with self._read() as conn:
            row = await _lookup.service_row(conn, service)
            query = (
                sa.select(
                    _E.c.method,
                    _E.c.path,
                    _E.c.generated,
                    _A.c.subject_type,
                    _A.c.subject_key,
                    _A.c.granted_at,
                )
                .join(_E, _A.c.endpoint_id == _E.c.id)
                .where(_E.c.service_id == row.id)
                .order_by(_A.c.id)
            )
            return [
                AccessRightInfo(
                    service,
                    Endpoint(method, path, generated),
                    _lookup.subject_from_row(kind, key),
                    granted_at,
                )
                for method, path, generated, kind, key, granted_at in await conn.execute(query)
            ]
