"""Generations kept in the database, so that several central server nodes serve the same bytes.

At each round one node, the holder of the ``conf-generation`` lease, generates, signs and
stores the generation; every node serves the newest stored one. The lease is a row
(``leases``: holder and expiry) taken with a conditional UPDATE, or an INSERT when there is no
row yet, so it works the same on PostgreSQL and SQLite: under PostgreSQL's READ COMMITTED a
second UPDATE waits for the first and re-checks its condition, and two INSERTs collide on the
primary key. The holder renews at every round; when it stops, another node takes over once
the lease expires (a few intervals), and clients keep the last configuration meanwhile.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from central_server.confgen import GeneratedConfiguration
from central_server.distribution.persistence import decode_generation, encode_generation
from central_server.storage import tables as t
from vdx.clock import utc_now

LEASE = "conf-generation"
KEEP = 5  # generations kept: the served one and a few before it (files of the previous)
_GEN = t.configuration_generations
_LEASES = t.leases


def default_node_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SharedGenerations:
    """The stored generations of one database and this node's claim on generating them."""

    def __init__(
        self,
        engine: AsyncEngine,
        node_id: str,
        *,
        lease_seconds: float,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self.node_id = node_id
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._clock = clock
        self._loaded_id: int | None = None

    async def acquire(self) -> bool:
        """Take or renew the generation lease; whether this node generates this round."""
        now = self._clock()
        expires = now + self._lease
        async with self._engine.begin() as conn:
            updated = await conn.execute(
                _LEASES.update()
                .where(
                    _LEASES.c.name == LEASE,
                    sa.or_(_LEASES.c.holder == self.node_id, _LEASES.c.expires_at < now),
                )
                .values(holder=self.node_id, expires_at=expires)
            )
            if updated.rowcount == 1:
                return True
            exists = await conn.scalar(sa.select(_LEASES.c.holder).where(_LEASES.c.name == LEASE))
        if exists is not None:
            return False
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    _LEASES.insert().values(name=LEASE, holder=self.node_id, expires_at=expires)
                )
        except IntegrityError:
            return False  # another node inserted first
        return True

    async def release(self) -> None:
        """Give the lease up (a stopping node), so another node need not wait for expiry."""
        async with self._engine.begin() as conn:
            await conn.execute(
                _LEASES.delete().where(_LEASES.c.name == LEASE, _LEASES.c.holder == self.node_id)
            )

    async def save(self, generation: GeneratedConfiguration) -> None:
        """Store ``generation`` as the newest; older ones beyond :data:`KEEP` are deleted."""
        async with self._engine.begin() as conn:
            inserted = await conn.execute(
                _GEN.insert()
                .values(
                    generated_at=generation.generated_at,
                    body=encode_generation(generation),
                    node=self.node_id,
                )
                .returning(_GEN.c.id)
            )
            new_id = int(inserted.scalar_one())
            await conn.execute(_GEN.delete().where(_GEN.c.id <= new_id - KEEP))
        self._loaded_id = new_id

    async def newer(self) -> GeneratedConfiguration | None:
        """The newest stored generation when it is not the one this node last saw, else None."""
        async with self._engine.connect() as conn:
            newest = await conn.scalar(sa.select(sa.func.max(_GEN.c.id)))
            if newest is None or newest == self._loaded_id:
                return None
            body = await conn.scalar(sa.select(_GEN.c.body).where(_GEN.c.id == newest))
        if body is None:  # pruned meanwhile: the next round reads the newer one
            return None
        generation = decode_generation(bytes(body))
        self._loaded_id = int(newest)
        return generation
