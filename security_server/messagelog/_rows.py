"""Rows of the message log tables <-> the log's values (pure mapping, used by ``store``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from security_server.messagelog.model import LogEntry, StoredRecord, TimestampRecord
from security_server.storage.tables import messagelog_timestamps as T  # noqa: N812 - table alias
from vdx.crypto import digests
from vdx.identifiers.model import ClientId, ServiceId

SIGNATURE_HASH_METHOD = digests.SHA512


def to_utc(value: datetime) -> datetime:
    """Times go in as UTC: SQLite keeps no offset, so every stored time must share one."""
    if value.tzinfo is None:
        raise ValueError("message log times must carry a time zone")
    return value.astimezone(UTC)


def from_db(value: datetime) -> datetime:
    """Times come back aware (SQLite returns them naive, in the UTC they were stored in)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def entry_row(entry: LogEntry) -> dict[str, Any]:
    """The column values of one record (the signature digest included)."""
    client, provider, owner = entry.client, entry.service.provider, entry.owner
    return {
        "query_id": entry.query_id,
        "x_request_id": entry.x_request_id,
        "client_key": client.to_colon(),
        "client_instance": client.instance,
        "client_member_class": client.member_class,
        "client_member_code": client.member_code,
        "client_subsystem_code": client.subsystem_code,
        "service_instance": provider.instance,
        "service_member_class": provider.member_class,
        "service_member_code": provider.member_code,
        "service_subsystem_code": provider.subsystem_code,
        "service_code": entry.service.service_code,
        "service_version": entry.service.service_version,
        "owner_key": owner.to_colon(),
        "owner_instance": owner.instance,
        "owner_member_class": owner.member_class,
        "owner_member_code": owner.member_code,
        "owner_subsystem_code": owner.subsystem_code,
        "response": entry.response,
        "rest": entry.rest,
        "message": entry.message,
        "body": entry.body,
        "signature": entry.signature,
        "signature_hash": digests.digest(SIGNATURE_HASH_METHOD, entry.signature),
        "hash_chain_result": entry.hash_chain_result,
        "hash_chain": entry.hash_chain,
        "created_at": to_utc(entry.created_at),
        "archived": False,
    }


def _client_id(m: Any, prefix: str) -> ClientId:
    return ClientId(
        m[f"{prefix}_instance"],
        m[f"{prefix}_member_class"],
        m[f"{prefix}_member_code"],
        m[f"{prefix}_subsystem_code"],
    )


def entry_from(row: sa.Row[Any]) -> LogEntry:
    m = row._mapping
    provider = _client_id(m, "service")
    return LogEntry(
        query_id=m["query_id"],
        x_request_id=m["x_request_id"],
        client=_client_id(m, "client"),
        service=ServiceId(provider, m["service_code"], m["service_version"]),
        owner=_client_id(m, "owner"),
        response=m["response"],
        rest=m["rest"],
        message=m["message"],
        body=m["body"],
        signature=m["signature"],
        hash_chain_result=m["hash_chain_result"],
        hash_chain=m["hash_chain"],
        created_at=from_db(m["created_at"]),
    )


def record_from(row: sa.Row[Any]) -> StoredRecord:
    m = row._mapping
    return StoredRecord(
        id=m["id"],
        entry=entry_from(row),
        timestamp_id=m["timestamp_id"],
        timestamp_hash_chain=m["timestamp_hash_chain"],
        archived=m["archived"],
    )


def timestamp_from(row: sa.Row[Any]) -> TimestampRecord:
    m = row._mapping
    return TimestampRecord(
        id=m["ts_id"],
        token=m["ts_token"],
        hash_chain_result=m["ts_hash_chain_result"],
        created_at=from_db(m["ts_created_at"]),
    )


TS_COLUMNS = (
    T.c.id.label("ts_id"),
    T.c.token.label("ts_token"),
    T.c.hash_chain_result.label("ts_hash_chain_result"),
    T.c.created_at.label("ts_created_at"),
)
