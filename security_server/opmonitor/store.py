"""The operational monitoring database shell (SQLAlchemy Core, async): table ``op_records``.

Records are written in batches, one transaction each, stamped with ``monitoring_data_ts`` (the
write time in seconds, as the reference's daemon stamps what it stores); a query therefore
sees every record stamped before ``now - offset`` as long as a write takes less than the
offset (pr-opmon §2 ``recordsTo``). Paging follows the reference's record manager
(UC OPMON_02 4b): at most ``limit`` records ordered by (``monitoring_data_ts``, id), then every
other record of the last included second, and ``next_records_from`` = that second + 1 when
records are left over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from security_server.opmonitor.model import OpRecord, SearchCriteria
from security_server.storage.tables import op_records as T  # noqa: N812 - table alias
from vdx.identifiers import ClientId

_LENGTHS = {
    column.name: column.type.length
    for column in T.columns
    if isinstance(column.type, sa.String) and column.type.length is not None
}


@dataclass(frozen=True, slots=True)
class QueryResult:
    records: tuple[OpRecord, ...]
    next_records_from: int | None = None


def _seconds(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("operational monitoring times must carry a time zone")
    return int(now.timestamp())


def record_row(record: OpRecord, monitoring_data_ts: int) -> dict[str, Any]:
    """Column values of ``record``; text longer than its column (Annex B maxLength) is cut,
    so one overlong fault string can never make a whole batch fail."""
    row: dict[str, Any] = {}
    for name in T.columns.keys():  # noqa: SIM118 - ColumnCollection is not a dict
        if name == "id":
            continue
        value = getattr(record, name)
        if isinstance(value, str) and name in _LENGTHS:
            value = value[: _LENGTHS[name]]
        row[name] = value
    row["security_server_type"] = str(record.security_server_type)
    if record.monitoring_data_ts is None:
        row["monitoring_data_ts"] = monitoring_data_ts
    return row


def _party(client: ClientId, side: str) -> sa.ColumnElement[bool]:
    c = T.c
    subsystem = c[f"{side}_subsystem_code"]
    return sa.and_(
        c[f"{side}_xroad_instance"] == client.instance,
        c[f"{side}_member_class"] == client.member_class,
        c[f"{side}_member_code"] == client.member_code,
        subsystem.is_(None)
        if client.subsystem_code is None
        else subsystem == client.subsystem_code,
    )


def _filters(criteria: SearchCriteria, client_filter: ClientId | None) -> list[Any]:
    """The reference's record query filters: the caller (a regular client) in either role,
    and the search criteria's client in the service provider's role."""
    conditions: list[Any] = []
    if client_filter is not None:
        conditions.append(sa.or_(_party(client_filter, "client"), _party(client_filter, "service")))
    if criteria.client is not None:
        conditions.append(_party(criteria.client, "service"))
    return conditions


class OpRecordStore:
    """Writes, pages and expires operational monitoring records."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def write_batch(self, records: Sequence[OpRecord], now: datetime) -> None:
        """Store ``records`` in one transaction, stamped with ``now`` (seconds)."""
        if not records:
            return
        stamp = _seconds(now)
        rows = [record_row(record, stamp) for record in records]
        async with self._engine.begin() as conn:
            await conn.execute(T.insert(), rows)

    async def query(
        self, criteria: SearchCriteria, client_filter: ClientId | None, limit: int
    ) -> QueryResult:
        """Records of seconds ``records_from``..``records_to`` (inclusive), paged by ``limit``."""
        if limit <= 0:
            raise ValueError("limit must be positive")
        filters = _filters(criteria, client_filter)
        ts = T.c.monitoring_data_ts
        async with self._engine.connect() as conn:
            page = await _select(
                conn,
                [*filters, ts.between(criteria.records_from, criteria.records_to)],
                limit,
            )
            if len(page) < limit:
                return QueryResult(page)
            last = page[-1].monitoring_data_ts
            assert last is not None  # noqa: S101 - the column is NOT NULL
            # The whole last second goes into this answer, so the next one starts after it.
            same_second = await _select(conn, [*filters, ts == last], None)
            kept = tuple(r for r in page if r.monitoring_data_ts != last) + same_second
            if last >= criteria.records_to:
                return QueryResult(kept)
            rest = await _select(conn, [*filters, ts.between(last + 1, criteria.records_to)], 1)
            return QueryResult(kept, last + 1 if rest else None)

    async def delete_older_than(self, cutoff: datetime) -> int:
        """Remove records stamped before ``cutoff``; returns how many went."""
        async with self._engine.begin() as conn:
            result = await conn.execute(T.delete().where(T.c.monitoring_data_ts < _seconds(cutoff)))
        return int(result.rowcount or 0)


async def _select(
    conn: AsyncConnection, conditions: list[Any], limit: int | None
) -> tuple[OpRecord, ...]:
    statement = sa.select(T).where(*conditions).order_by(T.c.monitoring_data_ts, T.c.id)
    if limit is not None:
        statement = statement.limit(limit)
    result = await conn.execute(statement)
    return tuple(OpRecord.from_mapping(dict(row._mapping)) for row in result)
