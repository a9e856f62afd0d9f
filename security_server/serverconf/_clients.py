"""The server's identity, its clients, their states, connection types and IS certificates."""

from __future__ import annotations

import sqlalchemy as sa

from security_server.serverconf import _lookup, validation
from security_server.serverconf._base import ServiceBase
from security_server.serverconf.errors import conflict, not_found
from security_server.serverconf.model import (
    DEFAULT_CONNECTION_TYPE,
    ClientInfo,
    ClientState,
    ConnectionType,
    ServerIdentity,
)
from security_server.storage import tables as t
from vdx.identifiers import ClientId, SecurityServerId

_C = t.clients


def _client_values(client: ClientId, connection_type: ConnectionType) -> dict[str, object]:
    return {
        "client_key": _lookup.client_key(client),
        "instance": client.instance,
        "member_class": client.member_class,
        "member_code": client.member_code,
        "subsystem_code": client.subsystem_code,
        "state": ClientState.SAVED.value,
        "connection_type": connection_type.value,
    }


class ClientsOps(ServiceBase):
    async def get_identity(self) -> ServerIdentity | None:
        async with self._read() as conn:
            return await _lookup.identity(conn)

    async def set_identity(self, server: SecurityServerId, *, actor: str) -> ServerIdentity:
        """Initialise the owner member and server code (once); the owner becomes a client."""
        owner = server.owner
        validation.code(owner.instance, "xRoadInstance")
        validation.client(owner, owner.instance)
        validation.code(server.server_code, "serverCode")
        async with self._write(actor, "set_identity", server.to_colon()) as conn:
            if await _lookup.identity(conn) is not None:
                raise conflict("The server identity is already initialised")
            await conn.execute(
                t.server_identity.insert().values(
                    id=1,
                    instance=owner.instance,
                    member_class=owner.member_class,
                    member_code=owner.member_code,
                    server_code=server.server_code,
                )
            )
            if not await _lookup.count(conn, _C, _C.c.client_key == _lookup.client_key(owner)):
                await conn.execute(
                    _C.insert().values(_client_values(owner, DEFAULT_CONNECTION_TYPE))
                )
        return ServerIdentity(server)

    async def add_client(
        self,
        client: ClientId,
        *,
        actor: str,
        connection_type: ConnectionType = DEFAULT_CONNECTION_TYPE,
    ) -> ClientInfo:
        details = {"connection_type": str(connection_type)}
        async with self._write(actor, "add_client", client.to_colon(), details) as conn:
            validation.client(client, await _lookup.instance(conn))
            if await _lookup.count(conn, _C, _C.c.client_key == _lookup.client_key(client)):
                raise conflict(f"Client {client} is already on this server")
            await conn.execute(_C.insert().values(_client_values(client, connection_type)))
        return ClientInfo(client, ClientState.SAVED, connection_type)

    async def delete_client(self, client: ClientId, *, actor: str) -> None:
        async with self._write(actor, "delete_client", client.to_colon()) as conn:
            row, state = await _lookup.client_state(conn, client)
            identity = await _lookup.identity(conn)
            if identity is not None and identity.owner == client:
                raise conflict(f"{client} owns this server and cannot be deleted")
            validation.deletable(state, f"Client {client}")
            await conn.execute(_C.delete().where(_C.c.id == row))

    async def set_client_state(self, client: ClientId, state: ClientState, *, actor: str) -> None:
        details = {"state": str(state)}
        async with self._write(actor, "set_client_state", client.to_colon(), details) as conn:
            row, current = await _lookup.client_state(conn, client)
            validation.transition(current, ClientState(state))
            await conn.execute(_C.update().where(_C.c.id == row).values(state=str(state)))

    async def set_connection_type(
        self, client: ClientId, connection_type: ConnectionType, *, actor: str
    ) -> None:
        kind = ConnectionType(connection_type)
        details = {"connection_type": str(kind)}
        async with self._write(actor, "set_connection_type", client.to_colon(), details) as conn:
            row = await _lookup.client_id(conn, client)
            await conn.execute(_C.update().where(_C.c.id == row).values(connection_type=str(kind)))

    async def add_is_cert(self, client: ClientId, cert: bytes, *, actor: str) -> bytes:
        """Store an information system's TLS certificate (DER or PEM); returns its SHA-256."""
        der = validation.certificate(cert, "The information system certificate")
        digest = validation.cert_hash(der)
        details = {"cert_hash": digest.hex()}
        async with self._write(actor, "add_is_cert", client.to_colon(), details) as conn:
            row = await _lookup.client_id(conn, client)
            ic = t.is_certs
            if await _lookup.count(conn, ic, ic.c.client_id == row, ic.c.cert_hash == digest):
                raise conflict(f"The certificate is already stored for {client}")
            await conn.execute(ic.insert().values(client_id=row, cert_der=der, cert_hash=digest))
        return digest

    async def delete_is_cert(self, client: ClientId, cert_hash: bytes, *, actor: str) -> None:
        details = {"cert_hash": cert_hash.hex()}
        async with self._write(actor, "delete_is_cert", client.to_colon(), details) as conn:
            row = await _lookup.client_id(conn, client)
            ic = t.is_certs
            deleted = await conn.execute(
                ic.delete().where(ic.c.client_id == row, ic.c.cert_hash == cert_hash)
            )
            if deleted.rowcount == 0:
                raise not_found(f"{client} has no certificate with that hash")

    async def is_certs(self, client: ClientId) -> tuple[bytes, ...]:
        """DER of the client's information-system certificates."""
        async with self._read() as conn:
            row = await _lookup.client_id(conn, client)
            found = await conn.scalars(
                sa.select(t.is_certs.c.cert_der)
                .where(t.is_certs.c.client_id == row)
                .order_by(t.is_certs.c.id)
            )
            return tuple(found)

    async def list_clients(self) -> list[ClientInfo]:
        async with self._read() as conn:
            hashes: dict[int, list[bytes]] = {}
            rows = await conn.execute(
                sa.select(t.is_certs.c.client_id, t.is_certs.c.cert_hash).order_by(t.is_certs.c.id)
            )
            for owner, digest in rows:
                hashes.setdefault(owner, []).append(digest)
            found = [
                ClientInfo(
                    _lookup.client_from_key(row.client_key),
                    ClientState(row.state),
                    ConnectionType(row.connection_type),
                    tuple(hashes.get(row.id, ())),
                )
                for row in await conn.execute(sa.select(_C))
            ]
        return sorted(found, key=lambda c: validation.client_sort_key(c.client_id))

    async def get_client(self, client: ClientId) -> ClientInfo:
        for found in await self.list_clients():
            if found.client_id == client:
                return found
        raise not_found(f"Client {client} is not on this server")
