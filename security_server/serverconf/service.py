"""``ServerConfService``: the one service layer of the server configuration.

For the admin REST API and the CLI: every change is validated (pure checks in
:mod:`security_server.serverconf.validation`), runs in one transaction together with its
audit-log row, and either happens completely or raises
:class:`~security_server.serverconf.errors.ServerConfError` having written nothing. The proxies
read :meth:`ServerConfService.snapshot` and ask :mod:`security_server.serverconf.decisions`.
"""

from __future__ import annotations

from security_server.serverconf._acl import AclOps
from security_server.serverconf._clients import ClientsOps
from security_server.serverconf._descriptions import DescriptionsOps
from security_server.serverconf._read import read_audit, read_snapshot
from security_server.serverconf._services import ServicesOps
from security_server.serverconf.errors import invalid
from security_server.serverconf.model import AuditEntry
from security_server.serverconf.snapshot import ServerConfSnapshot


class ServerConfService(ClientsOps, DescriptionsOps, ServicesOps, AclOps):
    """``ServerConfService(engine, clock=utc_now, on_change=None)``; writes take ``actor=``."""

    async def snapshot(self) -> ServerConfSnapshot:
        """The whole configuration, read in one consistent transaction."""
        options = {"isolation_level": "REPEATABLE READ"}
        if self._engine.dialect.name == "sqlite":
            options = {}  # BEGIN IMMEDIATE already holds the database still
        async with self._engine.connect() as plain:
            conn = await plain.execution_options(**options)
            async with conn.begin():
                return await read_snapshot(conn)

    async def audit_log(self, *, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        if not 1 <= limit <= 10_000 or offset < 0:
            raise invalid("limit must be 1..10000 and offset not negative")
        async with self._read() as conn:
            return await read_audit(conn, limit, offset)
