"""The message log's database shell (SQLAlchemy Core, async): records and batch timestamps.

Writes come in batches (one transaction per group commit, see ``writer``). Exactly one timestamp
per record, also with several nodes on one database: every save sets a timestamp only on
records that still have none, after locking them (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` already serialises writers), and a node that finds its batch
stamped already gets :class:`StaleBatchError` and drops its token (see ``save_timestamp``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from security_server.messagelog._rows import (
    SIGNATURE_HASH_METHOD,
    TS_COLUMNS,
    entry_row,
    from_db,
    record_from,
    timestamp_from,
    to_utc,
)
from security_server.messagelog.model import (
    LogEntry,
    PendingRecord,
    StaleBatchError,
    StoredRecord,
    TimestampRecord,
)
from security_server.storage.tables import messagelog_records as R  # noqa: N812 - table alias
from security_server.storage.tables import messagelog_timestamps as T  # noqa: N812 - table alias
from vdx.crypto import digests
from vdx.identifiers.model import ClientId

# Bound parameters per statement stay well below SQLite's 32766 and asyncpg's 32767.
CHUNK = 5_000


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _update_params(
    proofs: Mapping[int, bytes | None], ids: Sequence[int]
) -> list[dict[str, object]]:
    return [{"rid": i, "proof": proofs[i]} for i in ids]


class MessageLogStore:
    """Records and timestamps of the message log on one engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, *, chunk: int = CHUNK) -> None:
        self._engine = engine
        self._chunk = chunk

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def write(self, entries: Sequence[LogEntry]) -> list[int]:
        """Insert ``entries`` in one transaction; their ids, in order. Durable on return."""
        if not entries:
            return []
        rows = [entry_row(e) for e in entries]
        # One multi-row INSERT ... RETURNING in parameter order (SQLAlchemy's "insertmanyvalues"),
        # one commit and one fsync for the whole batch.
        statement = sa.insert(R).returning(R.c.id, sort_by_parameter_order=True)
        async with self._engine.begin() as conn:
            return list((await conn.execute(statement, rows)).scalars())

    async def unstamped(self, limit: int) -> list[StoredRecord]:
        """The oldest ``limit`` records without a timestamp, whole."""
        query = sa.select(R).where(R.c.timestamp_id.is_(None)).order_by(R.c.id).limit(limit)
        async with self._engine.connect() as conn:
            return [record_from(row) for row in await conn.execute(query)]

    async def unstamped_hashes(self, limit: int, after_id: int = 0) -> list[PendingRecord]:
        """Ids and signature digests of unstamped records with id > ``after_id`` (for paging)."""
        query = (
            sa.select(R.c.id, R.c.signature_hash, R.c.created_at)
            .where(R.c.timestamp_id.is_(None), R.c.id > after_id)
            .order_by(R.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [
                PendingRecord(r.id, r.signature_hash, from_db(r.created_at))
                for r in await conn.execute(query)
            ]

    async def _lock_unstamped(self, conn: AsyncConnection, ids: Sequence[int]) -> set[int]:
        """Which of ``ids`` (one chunk) have no timestamp yet, locked until the commit."""
        query = (
            sa.select(R.c.id)
            .where(R.c.id.in_(ids), R.c.timestamp_id.is_(None))
            .order_by(R.c.id)  # one lock order for every node: no deadlock between them
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return set((await conn.execute(query)).scalars())

    async def save_timestamp(
        self,
        token: bytes,
        hash_chain_result: bytes | None,
        proofs: Mapping[int, bytes | None],
        now: datetime,
    ) -> int:
        """Store ``token`` and set it, with its proof, on every record of ``proofs`` that has
        no timestamp yet (record id -> its ``ts-hashchain.xml``); returns the timestamp's id.

        Raises :class:`StaleBatchError`, storing nothing, when the first chunk of records is
        stamped already: another node saved its token for the same batch first.

        The records are updated in transactions of ``chunk`` records, the first one storing the
        token: one transaction over a whole interval's records would hold SQLite's write lock
        (and so every exchange's log commit) for seconds. Each record still gets exactly one
        timestamp, as every update is conditional on the record having none, and the token's
        hash chain proves each record on its own; after a crash between chunks, the records not
        reached are simply stamped by the next round. ``proofs`` may render its values lazily:
        a chunk is rendered in a worker thread, before its transaction, so a batch of 200,000
        records never holds every proof at once nor blocks the event loop.
        """
        ids = sorted(proofs)
        if not ids:
            raise ValueError("a timestamp must cover at least one record")
        timestamp_id: int | None = None
        for part in _chunks(ids, self._chunk):
            params = await asyncio.to_thread(_update_params, proofs, part)
            async with self._engine.begin() as conn:
                free = await self._lock_unstamped(conn, part)
                if timestamp_id is None:
                    if not free:
                        raise StaleBatchError(f"records {part[0]}... were stamped meanwhile")
                    timestamp_id = await self._insert_timestamp(
                        conn, token, hash_chain_result, len(ids), now
                    )
                if free:
                    update = (
                        sa.update(R)
                        .where(R.c.id == sa.bindparam("rid"))
                        .values(
                            timestamp_id=timestamp_id,
                            timestamp_hash_chain=sa.bindparam("proof"),
                        )
                    )
                    await conn.execute(update, [p for p in params if p["rid"] in free])
        if timestamp_id is None:  # unreachable: ids is not empty
            raise StaleBatchError("nothing to stamp")
        return timestamp_id

    async def _insert_timestamp(
        self,
        conn: AsyncConnection,
        token: bytes,
        hash_chain_result: bytes | None,
        count: int,
        now: datetime,
    ) -> int:
        inserted = await conn.execute(
            sa.insert(T)
            .values(
                token=token,
                hash_chain_result=hash_chain_result,
                record_count=count,
                created_at=to_utc(now),
            )
            .returning(T.c.id)
        )
        timestamp_id: int = inserted.scalar_one()
        return timestamp_id

    async def record_signature(self, record_id: int) -> bytes | None:
        """The signature XML of an unstamped record (None when stamped meanwhile or gone)."""
        query = sa.select(R.c.signature).where(R.c.id == record_id, R.c.timestamp_id.is_(None))
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def save_single_timestamp(
        self, record_id: int, token: bytes, signature: bytes, now: datetime
    ) -> int:
        """Store the token of a record stamped on its own, and its signature that now embeds
        the token (``xades:SignatureTimeStamp``, as the reference's ``SingleTimestampRequest``).

        Raises :class:`StaleBatchError` when the record has a timestamp already.
        """
        async with self._engine.begin() as conn:
            if not await self._lock_unstamped(conn, [record_id]):
                raise StaleBatchError(f"record {record_id} was stamped meanwhile")
            timestamp_id = await self._insert_timestamp(conn, token, None, 1, now)
            await conn.execute(
                sa.update(R)
                .where(R.c.id == record_id)
                .values(
                    timestamp_id=timestamp_id,
                    timestamp_hash_chain=None,
                    signature=signature,
                    signature_hash=digests.digest(SIGNATURE_HASH_METHOD, signature),
                )
            )
        return timestamp_id

    async def last_timestamp_at(self) -> datetime | None:
        """When the newest timestamp was saved (the metric's age after a restart)."""
        async with self._engine.connect() as conn:
            value = (await conn.execute(sa.select(sa.func.max(T.c.created_at)))).scalar_one()
        return None if value is None else from_db(value)

    async def stamped_unarchived(self, limit: int) -> list[tuple[StoredRecord, TimestampRecord]]:
        """The oldest ``limit`` timestamped records not yet archived, with their timestamps."""
        query = (
            sa.select(R, *TS_COLUMNS)
            .join(T, R.c.timestamp_id == T.c.id)
            .where(R.c.archived.is_(False))
            .order_by(R.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [(record_from(row), timestamp_from(row)) for row in await conn.execute(query)]

    async def mark_archived(self, record_ids: Sequence[int]) -> None:
        async with self._engine.begin() as conn:
            for part in _chunks(list(record_ids), self._chunk):
                await conn.execute(sa.update(R).where(R.c.id.in_(part)).values(archived=True))

    async def delete_archived(self, older_than: datetime) -> int:
        """Delete archived records created before ``older_than``, then timestamps left unused."""
        async with self._engine.begin() as conn:
            deleted = await conn.execute(
                sa.delete(R).where(R.c.archived.is_(True), R.c.created_at < to_utc(older_than))
            )
            still_used = sa.exists().where(R.c.timestamp_id == T.c.id)
            await conn.execute(sa.delete(T).where(~still_used))
        return deleted.rowcount

    async def find(
        self, query_id: str, client: ClientId
    ) -> list[tuple[StoredRecord, TimestampRecord | None]]:
        """Every record of message ``query_id`` filed under ``client`` (request and response).

        The reference files a record under the client on the client side and under the
        service's provider on the server side (``LogManager.createMessageRecord``), so each
        side's client downloads its own records with its own identifier (UG-SIGDOC §2); the
        record's owner columns keep whom it is filed under.
        """
        query = (
            sa.select(R, *TS_COLUMNS)
            .outerjoin(T, R.c.timestamp_id == T.c.id)
            .where(R.c.query_id == query_id, R.c.owner_key == client.to_colon())
            .order_by(R.c.id)
        )
        async with self._engine.connect() as conn:
            rows = list(await conn.execute(query))
        return [(record_from(r), timestamp_from(r) if r.ts_id is not None else None) for r in rows]

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many records wait for a timestamp, and when the oldest of them was logged."""
        query = sa.select(sa.func.count(), sa.func.min(R.c.created_at)).where(
            R.c.timestamp_id.is_(None)
        )
        async with self._engine.connect() as conn:
            count, oldest = (await conn.execute(query)).one()
        return int(count), None if oldest is None else from_db(oldest)
