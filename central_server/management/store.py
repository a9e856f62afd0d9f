"""The ``management_requests`` table: rows in, :class:`RequestRecord` out (the I/O shell).

The message id, identifiers and evidence live in the JSON ``payload``; replay look-ups use the
JSON path ``payload.message_id`` (SQLite ``json_extract``, PostgreSQL ``->>``), so the schema
of migration 0001 suffices.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from central_server.management.states import State
from central_server.management.verify import VerifiedRequest
from central_server.storage import tables as t
from vdx.identifiers import ClientId, SecurityServerId, parse_client, parse_security_server
from vdx.message.management import ManagementBody, RequestType

_table = t.management_requests


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One stored request as the operator and the polling security server see it."""

    id: int
    type: RequestType
    state: State
    origin: str
    body: ManagementBody
    message_id: str
    signer: ClientId | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def payload_of(verified: VerifiedRequest) -> dict[str, Any]:
    """The JSON payload: the body's fields, the signer and the evidence, base64 for bytes."""
    request = verified.request
    body = request.body
    return {
        "message_id": request.message_id,
        "server": body.server.to_colon(),
        "client": body.client.to_colon() if body.client else None,
        "address": body.address,
        "auth_cert": _b64(body.auth_cert),
        "subsystem_name": body.subsystem_name,
        "message": body.message,
        "signer": verified.signer.to_colon(),
        "evidence": {
            "soap": _b64(request.soap.xml),
            "owner_signature": _b64(request.owner_signature.value)
            if request.owner_signature
            else None,
            "owner_signature_algorithm": request.owner_signature.algorithm_id
            if request.owner_signature
            else None,
            "owner_cert": _b64(request.owner_cert),
            "owner_ocsp": _b64(request.owner_ocsp),
        },
    }


def _body_of(kind: RequestType, payload: dict[str, Any]) -> ManagementBody:
    server: SecurityServerId = parse_security_server(payload["server"], ":")
    client = parse_client(payload["client"], ":") if payload.get("client") else None
    cert = payload.get("auth_cert")
    return ManagementBody(
        type=kind,
        server=server,
        client=client,
        address=payload.get("address"),
        auth_cert=base64.b64decode(cert) if cert else None,
        subsystem_name=payload.get("subsystem_name"),
        message=payload.get("message"),
    )


def _record(row: sa.Row[Any]) -> RequestRecord:
    kind = RequestType(row.type)
    payload = dict(row.payload)
    signer = payload.get("signer")
    return RequestRecord(
        id=row.id,
        type=kind,
        state=State(row.state),
        origin=row.origin,
        body=_body_of(kind, payload),
        message_id=str(payload.get("message_id", "")),
        signer=parse_client(signer, ":") if signer else None,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


async def message_id_seen(conn: AsyncConnection, message_id: str) -> bool:
    query = sa.select(sa.func.count()).where(
        _table.c.payload["message_id"].as_string() == message_id
    )
    return bool((await conn.execute(query)).scalar_one())


async def insert(
    conn: AsyncConnection, verified: VerifiedRequest, origin: str, now: dt.datetime
) -> int:
    result = await conn.execute(
        _table.insert()
        .values(
            type=str(verified.request.body.type),
            state=str(State.PENDING),
            payload=payload_of(verified),
            origin=origin[:32],
            created_at=now,
        )
        .returning(_table.c.id)
    )
    return int(result.scalar_one())


async def get(conn: AsyncConnection, request_id: int) -> RequestRecord | None:
    row = (await conn.execute(sa.select(_table).where(_table.c.id == request_id))).first()
    return None if row is None else _record(row)


async def list_records(
    conn: AsyncConnection, state: State | None = None, limit: int = 100, offset: int = 0
) -> list[RequestRecord]:
    query = sa.select(_table).order_by(_table.c.id).limit(limit).offset(offset)
    if state is not None:
        query = query.where(_table.c.state == str(state))
    return [_record(row) for row in await conn.execute(query)]


async def decide(
    conn: AsyncConnection,
    request_id: int,
    *,
    old: State,
    new: State,
    actor: str,
    now: dt.datetime,
) -> bool:
    """Move a request from ``old`` to ``new``; False when another decision came first."""
    result = await conn.execute(
        _table.update()
        .where(_table.c.id == request_id, _table.c.state == str(old))
        .values(state=str(new), decided_at=now, decided_by=actor[:255])
    )
    return bool(result.rowcount)


async def audit(
    conn: AsyncConnection,
    *,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any],
    now: dt.datetime,
) -> None:
    """A row in the registry's audit log for a decision that changes no registry table."""
    await conn.execute(
        t.audit_log.insert().values(
            at=now, actor=actor, action=action, target=target, details=details
        )
    )
