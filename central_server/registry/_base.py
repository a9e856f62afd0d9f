"""What every group of registry operations shares: the engine, the clock, transactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from central_server.registry import validation
from central_server.registry.errors import conflict
from central_server.storage import tables as t
from vdx.clock import utc_now

Clock = Callable[[], dt.datetime]


class ServiceBase:
    """Holds the engine and clock; ``_write`` is one transaction with its audit row.

    ``on_change`` is called after every committed change (e.g. the configuration publisher's
    ``request_regeneration``), so a change is published without waiting for the next round.
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

        Constraint violations that the checks before them did not catch (a concurrent
        writer) surface as ``conflict``.
        """
        validation.actor(actor)
        try:
            async with self._engine.begin() as conn:
                yield conn
                await conn.execute(
                    t.audit_log.insert().values(
                        at=self._clock(),
                        actor=actor,
                        action=action,
                        target=target,
                        details=details or {},
                    )
                )
        except IntegrityError:
            raise conflict(f"{action} {target}: conflicts with a concurrent change") from None
        if self._on_change is not None:
            self._on_change()
