"""``RegistryService``: the one service layer of the registry, for the REST API and the CLI.

Every change is validated (pure checks in :mod:`central_server.registry.validation`), runs in
one transaction together with its audit-log row, and either happens completely or raises
:class:`~central_server.registry.errors.RegistryError` having written nothing.
"""

from __future__ import annotations

from central_server.registry._changes import ChangesOps
from central_server.registry._groups import GroupsOps
from central_server.registry._members import MembersOps
from central_server.registry._servers import ServersOps
from central_server.registry._trust import TrustOps
from central_server.registry.snapshot import read_snapshot
from vdx.globalconf.model import SharedParameters


class RegistryService(MembersOps, ServersOps, GroupsOps, TrustOps, ChangesOps):
    """``RegistryService(engine, clock=utc_now, on_change=None)``; every write takes ``actor=``."""

    async def snapshot(self) -> SharedParameters:
        """The registry as shared parameters, read in one consistent transaction."""
        options = {"isolation_level": "REPEATABLE READ"}
        if self._engine.dialect.name == "sqlite":
            options = {}  # BEGIN IMMEDIATE already holds the database still
        async with self._engine.connect() as plain:
            conn = await plain.execution_options(**options)
            async with conn.begin():
                return await read_snapshot(conn)
