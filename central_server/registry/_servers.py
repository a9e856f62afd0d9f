"""Security servers, their authentication certificates and their clients."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from central_server.registry import _groups, _lookup, validation
from central_server.registry._base import ServiceBase
from central_server.registry.errors import conflict, not_found
from central_server.registry.model import SecurityServerInfo
from central_server.storage import tables as t
from vdx.identifiers import ClientId, SecurityServerId


class ServersOps(ServiceBase):
    async def add_security_server(
        self, server: SecurityServerId, address: str, *, actor: str
    ) -> None:
        """Register a server of an existing member; the owner joins the owners group."""
        validation.address(address)
        target = server.to_colon()
        async with self._write(actor, "add_security_server", target, {"address": address}) as c:
            validation.server(server, await _lookup.instance(c))
            owner = await _lookup.member_id(c, server.owner)
            exists = await _lookup.count(
                c,
                t.security_servers,
                t.security_servers.c.owner_id == owner,
                t.security_servers.c.server_code == server.server_code,
            )
            if exists:
                raise conflict(f"Security server {server} already exists")
            await c.execute(
                t.security_servers.insert().values(
                    owner_id=owner,
                    server_code=server.server_code,
                    address=address,
                    in_maintenance=False,
                )
            )
            await _groups.sync_owner(c, owner)

    async def set_server_address(
        self, server: SecurityServerId, address: str, *, actor: str
    ) -> None:
        validation.address(address)
        target = server.to_colon()
        async with self._write(actor, "set_server_address", target, {"address": address}) as c:
            validation.server(server, await _lookup.instance(c))
            server_id = await _lookup.server_id(c, server)
            await c.execute(
                t.security_servers.update()
                .where(t.security_servers.c.id == server_id)
                .values(address=address)
            )

    async def set_maintenance(
        self, server: SecurityServerId, enabled: bool, message: str | None = None, *, actor: str
    ) -> None:
        if message is not None:
            validation.text(message, "maintenance message")
        details = {"enabled": enabled, "message": message}
        async with self._write(actor, "set_maintenance", server.to_colon(), details) as c:
            validation.server(server, await _lookup.instance(c))
            server_id = await _lookup.server_id(c, server)
            await c.execute(
                t.security_servers.update()
                .where(t.security_servers.c.id == server_id)
                .values(in_maintenance=enabled, maintenance_message=message if enabled else None)
            )

    async def delete_security_server(self, server: SecurityServerId, *, actor: str) -> None:
        """Delete a server with its certificates and client registrations."""
        async with self._write(actor, "delete_security_server", server.to_colon()) as c:
            validation.server(server, await _lookup.instance(c))
            server_id = await _lookup.server_id(c, server)
            owner = await _lookup.member_id(c, server.owner)
            # Explicit deletes rather than relying on ON DELETE CASCADE alone.
            await c.execute(t.auth_certs.delete().where(t.auth_certs.c.server_id == server_id))
            await c.execute(
                t.server_clients.delete().where(t.server_clients.c.server_id == server_id)
            )
            await c.execute(t.security_servers.delete().where(t.security_servers.c.id == server_id))
            await _groups.sync_owner(c, owner)

    async def add_auth_cert(self, server: SecurityServerId, cert: bytes, *, actor: str) -> bytes:
        """Register an authentication certificate (DER or PEM); returns its ``authCertHash``."""
        der = validation.certificate(cert, "The authentication certificate")
        digest = validation.auth_cert_hash(der)
        details = {"cert_hash": digest.hex()}
        async with self._write(actor, "add_auth_cert", server.to_colon(), details) as c:
            validation.server(server, await _lookup.instance(c))
            server_id = await _lookup.server_id(c, server)
            if await _lookup.count(c, t.auth_certs, t.auth_certs.c.cert_hash == digest):
                raise conflict("This authentication certificate is already registered")
            await c.execute(
                t.auth_certs.insert().values(server_id=server_id, cert_der=der, cert_hash=digest)
            )
        return digest

    async def delete_auth_cert(
        self, server: SecurityServerId, cert_hash: bytes, *, actor: str
    ) -> None:
        details = {"cert_hash": cert_hash.hex()}
        async with self._write(actor, "delete_auth_cert", server.to_colon(), details) as c:
            validation.server(server, await _lookup.instance(c))
            server_id = await _lookup.server_id(c, server)
            deleted = await c.execute(
                t.auth_certs.delete().where(
                    t.auth_certs.c.server_id == server_id, t.auth_certs.c.cert_hash == cert_hash
                )
            )
            if deleted.rowcount == 0:
                raise not_found(f"Security server {server} has no such authentication certificate")

    async def add_server_client(
        self, server: SecurityServerId, client: ClientId, *, actor: str
    ) -> None:
        details = {"client": client.to_colon()}
        async with self._write(actor, "add_server_client", server.to_colon(), details) as c:
            instance = await _lookup.instance(c)
            validation.server(server, instance)
            validation.client(client, instance)
            server_id = await _lookup.server_id(c, server)
            member, sub = await _lookup.client_ref(c, client)
            clients = t.server_clients
            if await _lookup.count(
                c,
                clients,
                clients.c.server_id == server_id,
                _lookup.same_client(clients, member, sub),
            ):
                raise conflict(f"{client} is already a client of {server}")
            await c.execute(
                clients.insert().values(server_id=server_id, member_id=member, subsystem_id=sub)
            )

    async def remove_server_client(
        self, server: SecurityServerId, client: ClientId, *, actor: str
    ) -> None:
        details = {"client": client.to_colon()}
        async with self._write(actor, "remove_server_client", server.to_colon(), details) as c:
            instance = await _lookup.instance(c)
            validation.server(server, instance)
            validation.client(client, instance)
            server_id = await _lookup.server_id(c, server)
            member, sub = await _lookup.client_ref(c, client)
            clients = t.server_clients
            deleted = await c.execute(
                clients.delete().where(
                    clients.c.server_id == server_id, _lookup.same_client(clients, member, sub)
                )
            )
            if deleted.rowcount == 0:
                raise not_found(f"{client} is not a client of {server}")

    async def list_security_servers(self) -> list[SecurityServerInfo]:
        async with self._read() as conn:
            instance = await _lookup.instance(conn)
            return [] if instance is None else await read_servers(conn, instance)

    async def get_security_server(self, server: SecurityServerId) -> SecurityServerInfo:
        for found in await self.list_security_servers():
            if found.server_id == server:
                return found
        raise not_found(f"Security server {server} does not exist")


async def read_servers(conn: AsyncConnection, instance: str) -> list[SecurityServerInfo]:
    """Every server with sorted certificate hashes and clients, ordered by identifier."""
    servers = t.security_servers
    rows = await conn.execute(
        sa.select(
            servers.c.id,
            t.member_classes.c.code,
            t.members.c.member_code,
            servers.c.server_code,
            servers.c.address,
            servers.c.in_maintenance,
            servers.c.maintenance_message,
        )
        .join(t.members, servers.c.owner_id == t.members.c.id)
        .join(t.member_classes)
    )
    hashes: dict[int, list[bytes]] = {}
    for server_id, digest in await conn.execute(
        sa.select(t.auth_certs.c.server_id, t.auth_certs.c.cert_hash)
    ):
        hashes.setdefault(server_id, []).append(bytes(digest))
    clients: dict[int, list[ClientId]] = {}
    disabled: dict[int, list[ClientId]] = {}
    query = _lookup.client_select(t.server_clients).add_columns(
        t.server_clients.c.server_id, t.server_clients.c.enabled
    )
    for class_code, member_code, sub_code, server_id, enabled in await conn.execute(query):
        (clients if enabled else disabled).setdefault(server_id, []).append(
            ClientId(instance, class_code, member_code, sub_code)
        )
    found = [
        SecurityServerInfo(
            server_id=SecurityServerId(ClientId(instance, class_code, member_code), code),
            address=address,
            auth_cert_hashes=tuple(sorted(hashes.get(row_id, []))),
            clients=tuple(sorted(clients.get(row_id, []), key=validation.client_sort_key)),
            in_maintenance=bool(maintenance),
            maintenance_message=message,
            disabled_clients=tuple(
                sorted(disabled.get(row_id, []), key=validation.client_sort_key)
            ),
        )
        for row_id, class_code, member_code, code, address, maintenance, message in rows
    ]
    return sorted(
        found,
        key=lambda s: (*validation.client_sort_key(s.server_id.owner), s.server_id.server_code),
    )
