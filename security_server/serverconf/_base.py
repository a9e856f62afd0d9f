"""What every group of server-configuration operations shares: engine, clock, transactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from security_server.serverconf import validation
from security_server.serverconf.errors import conflict
from security_server.storage import tables as t
from vdx.clock import utc_now

Clock = Callable[[], dt.datetime]


class ServiceBase:
    """Holds the engine and clock; ``_write`` is one transaction with its audit row.

    ``on_change`` is called after every committed change (e.g. to rebuild the proxies'
    snapshot), so a change takes effect without waiting for a poll.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock = utc_now,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._on_change = on_change

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with self._engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _write(
        self, actor: str, action: str, target: str, details: dict[str, Any] | None = None
    ) -> AsyncIterator[AsyncConnection]:
        """A transaction ending with its audit-log row; any error rolls back both.

        Constraint violations the checks before them did not catch (a concurrent writer)
        surface as ``conflict``.
        """
        validation.actor(actor)
        try:
            async with self._engine.begin() as conn:
                yield conn
                await self._insert_audit(conn, actor, action, target, details)
        except IntegrityError:
            raise conflict(f"{action} {target}: conflicts with a concurrent change") from None
        if self._on_change is not None:
            self._on_change()

    async def record(
        self, actor: str, action: str, target: str, details: dict[str, Any] | None = None
    ) -> None:
        """An audit-log row for a change made outside the server configuration (token, keys,
        management requests), so that ``/audit-log`` shows every administrative action."""
        validation.actor(actor)
        async with self._engine.begin() as conn:
            await self._insert_audit(conn, actor, action, target, details)

    async def _insert_audit(
        self,
        conn: AsyncConnection,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None,
    ) -> None:
        await conn.execute(
            t.audit_log.insert().values(
                at=self._clock(),
                actor=actor,
                action=action,
                target=target[: t.NAME],
                details=details or {},
            )
        )
