"""Changes a security server asks for by management request (pr-mserv): owner change,
subsystem rename, client disable / enable.

A disabled client stays registered on its server (a later ``clientEnable`` brings it back
unchanged), but the V5 shared parameters have no way to say "disabled", so the snapshot leaves
it out of the server's client list: security servers then treat it as not registered there.
"""

from __future__ import annotations

import sqlalchemy as sa

from central_server.registry import _groups, _lookup, validation
from central_server.registry._base import ServiceBase
from central_server.registry.errors import conflict, not_found
from central_server.storage import tables as t
from vdx.identifiers import ClientId, SecurityServerId


class ChangesOps(ServiceBase):
    async def change_server_owner(
        self, server: SecurityServerId, new_owner: ClientId, *, actor: str
    ) -> SecurityServerId:
        """Make ``new_owner`` (a member) the owner of ``server``; returns the server's new
        identifier. Certificates and clients stay; the owners group follows."""
        details = {"new_owner": new_owner.to_colon()}
        async with self._write(actor, "change_server_owner", server.to_colon(), details) as c:
            instance = await _lookup.instance(c)
            validation.server(server, instance)
            validation.member(new_owner, instance)
            server_id = await _lookup.server_id(c, server)
            old_owner = await _lookup.member_id(c, server.owner)
            owner = await _lookup.member_id(c, new_owner)
            if owner == old_owner:
                raise conflict(f"{new_owner} already owns {server}")
            taken = await _lookup.count(
                c,
                t.security_servers,
                t.security_servers.c.owner_id == owner,
                t.security_servers.c.server_code == server.server_code,
            )
            if taken:
                raise conflict(f"{new_owner} already owns a server {server.server_code}")
            await c.execute(
                t.security_servers.update()
                .where(t.security_servers.c.id == server_id)
                .values(owner_id=owner)
            )
            await _groups.sync_owner(c, old_owner)
            await _groups.sync_owner(c, owner)
        return SecurityServerId(new_owner, server.server_code)

    async def rename_subsystem(self, subsystem: ClientId, name: str, *, actor: str) -> None:
        validation.text(name, "subsystem name")
        details = {"name": name}
        async with self._write(actor, "rename_subsystem", subsystem.to_colon(), details) as c:
            validation.subsystem(subsystem, await _lookup.instance(c))
            _, sub_id = await _lookup.client_ref(c, subsystem)
            await c.execute(
                t.subsystems.update().where(t.subsystems.c.id == sub_id).values(name=name)
            )

    async def set_client_enabled(
        self, server: SecurityServerId, client: ClientId, enabled: bool, *, actor: str
    ) -> None:
        """Disable or enable a registered client of ``server`` (refused when already so)."""
        action = "enable_server_client" if enabled else "disable_server_client"
        details = {"client": client.to_colon()}
        async with self._write(actor, action, server.to_colon(), details) as c:
            instance = await _lookup.instance(c)
            validation.server(server, instance)
            validation.client(client, instance)
            server_id = await _lookup.server_id(c, server)
            member, sub = await _lookup.client_ref(c, client)
            clients = t.server_clients
            where = (clients.c.server_id == server_id, _lookup.same_client(clients, member, sub))
            current = await c.scalar(sa.select(clients.c.enabled).where(*where))
            if current is None:
                raise not_found(f"{client} is not a client of {server}")
            if bool(current) == enabled:
                state = "enabled" if enabled else "disabled"
                raise conflict(f"{client} is already {state} on {server}")
            await c.execute(clients.update().where(*where).values(enabled=enabled))
