"""``vdx cs request list|approve|reject``: management requests from security servers.

Decisions go through :class:`central_server.management.ManagementService`, the same service
the security servers' requests arrive through; approving applies the change to the registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from central_server.admin_api.handlers_requests import request_record
from central_server.management import ManagementService, RequestNotFoundError
from central_server.management.states import InvalidTransitionError, State
from vdx.cli._cs_session import ConfigOption, JsonOption, Result, Session, refused, table, with_db

app = typer.Typer(help="Management requests from security servers.", no_args_is_help=True)


def _service(s: Session) -> ManagementService:
    return ManagementService(s.engine, s.registry)


@app.command("list")
def request_list(
    state: Annotated[
        str | None, typer.Option("--state", help="pending, approved, rejected or revoked.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List management requests, newest first."""
    if state is not None and state not in {s.value for s in State}:
        raise typer.BadParameter(
            "one of pending, approved, rejected, revoked", param_hint="--state"
        )

    async def work(s: Session) -> Result:
        found = await _service(s).list_requests(
            None if state is None else State(state), limit=limit
        )
        data = [request_record(r) for r in found]
        rows = [
            (str(r.id), r.type, r.state, r.server, r.client or "", r.created_at.isoformat())
            for r in data
        ]
        return Result(table(rows, ("ID", "TYPE", "STATE", "SERVER", "CLIENT", "CREATED")), data)

    with_db(config, as_json, work)


def _decide(
    request_id: int, approve: bool, reason: str, config: Path | None, as_json: bool
) -> None:
    async def work(s: Session) -> Result:
        service = _service(s)
        try:
            if approve:
                record = await service.approve(request_id, actor=s.actor)
            else:
                record = await service.reject(request_id, actor=s.actor, reason=reason)
        except RequestNotFoundError:
            raise refused(f"Management request {request_id} does not exist", "not_found") from None
        except InvalidTransitionError as error:
            raise refused(f"Management request {request_id}: {error}", "conflict") from None
        return Result(
            f"Management request {request_id} {record.state.value}", request_record(record)
        )

    with_db(config, as_json, work)


@app.command("approve")
def request_approve(
    request_id: int, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Approve a pending request: its change is applied to the registry."""
    _decide(request_id, True, "", config, as_json)


@app.command("reject")
def request_reject(
    request_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the request).")] = "",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Reject a pending request; the registry is not changed."""
    _decide(request_id, False, reason, config, as_json)
