"""What every ``vdx ss`` command shares: the API connection, output, errors, exit codes.

Exit codes (contract §3): 0 done, 1 refused (the API's 4xx/5xx, or no answer at all), 2 usage
(bad options or identifiers, unreadable files). Messages for people go to stderr as
``error: ...``; with ``--json`` stdout carries the API's JSON, or its error body
``{"status", "error": {"code", "message"}}`` (the same shape, with ``"status": null``, for the
CLI's own errors: usage, unreachable API).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer

from vdx.cli._common import (
    CliError,
    Result,
    actor,
    client_id,
    member_id,
    read_file,
    refused,
    table,
    usage,
)
from vdx.cli._ss_http import AdminClient, ApiError, UnreachableError

__all__ = [
    "ROLES",
    "CliError",
    "Connection",
    "JsonOption",
    "Result",
    "actor",
    "cell",
    "client_id",
    "connection",
    "fields",
    "local",
    "member_id",
    "read_file",
    "records",
    "refused",
    "run",
    "show",
    "table",
    "usage",
]

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON.")]

# The roles of the security server's users (ug-ss §2 "user roles"); the API names the one it
# wants in its 403 message, and this list lets the CLI check --role before sending anything.
ROLES = (
    "security-officer",
    "registration-officer",
    "service-administrator",
    "system-administrator",
    "observer",
)


@dataclass(frozen=True, slots=True)
class Connection:
    """The global options of ``vdx ss``, kept in the Typer context."""

    url: str
    api_key: str | None
    timeout: float
    as_json: bool


def connection(ctx: typer.Context) -> Connection:
    found = ctx.find_object(Connection)
    if found is None:  # only when a sub-app is invoked on its own, as some tests may do
        raise usage("run the command as `vdx ss ...`")
    return found


def _fail(error: CliError, as_json: bool, body: Any = None) -> NoReturn:
    if as_json:
        shown = body
        if not isinstance(shown, dict):  # the CLI's own error: no HTTP status to show
            shown = {"status": None, "error": {"code": error.code, "message": error.message}}
        print(json.dumps(shown))
    typer.echo(f"error: {error.message}", err=True)
    raise typer.Exit(error.exit_code)


def _refused(error: ApiError, api_key: str | None) -> CliError:
    if error.status == 401:
        hint = (
            "no API key given: use --api-key or VDX_SS_API_KEY"
            if not api_key
            else "the API key was not accepted (unknown or revoked)"
        )
        return CliError(1, error.code, f"{hint} (HTTP 401: {error.message})")
    if error.status == 403:
        # The API says which role the operation needs ("This needs the role ..."): show it.
        return CliError(1, error.code, f"the API key lacks the role (HTTP 403): {error.message}")
    return CliError(1, error.code, f"{error.message} (HTTP {error.status})")


def run(ctx: typer.Context, as_json: bool, work: Callable[[AdminClient], Result]) -> None:
    """Call ``work`` with a client of the API; print its result or the refusal; exit 0/1/2."""
    conn = connection(ctx)
    as_json = as_json or conn.as_json
    client = AdminClient(conn.url, conn.api_key, conn.timeout)
    try:
        result = work(client)
    except CliError as error:
        _fail(error, as_json)
    except ApiError as error:
        _fail(_refused(error, conn.api_key), as_json, error.body)
    except UnreachableError as error:
        _fail(CliError(1, "unreachable", error.message), as_json)
    show(result, as_json)


def local(ctx: typer.Context, as_json: bool, work: Callable[[], Result]) -> None:
    """Like :func:`run` for work done here (no API): map CLI errors to exit codes."""
    found = ctx.find_object(Connection)
    as_json = as_json or (found is not None and found.as_json)
    try:
        result = work()
    except CliError as error:
        _fail(error, as_json)
    show(result, as_json)


def show(result: Result, as_json: bool) -> None:
    if as_json:
        print(json.dumps({} if result.data is None else result.data, indent=2, default=str))
    elif result.text:
        print(result.text)


# ------------------------------------------------------------------------ arguments


# ------------------------------------------------------------------------ output


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def records(items: Any, columns: Sequence[str] | None = None) -> str:
    """A table of a JSON list of objects: the given columns, or every scalar key of the first."""
    if not isinstance(items, list) or not items:
        return "(none)"
    dicts = [i for i in items if isinstance(i, dict)]
    if columns is None:
        first = dicts[0] if dicts else {}
        columns = [k for k, v in first.items() if not isinstance(v, list | dict)]
    rows = [[cell(d.get(c)) for c in columns] for d in dicts]
    return table(rows, [c.upper().replace("_", " ") for c in columns])


def fields(data: Any, skip: Sequence[str] = ()) -> str:
    """``key: value`` lines of a JSON object (nested lists shown by count)."""
    if not isinstance(data, dict):
        return cell(data)
    width = max((len(k) for k in data), default=0) + 2
    lines = []
    for key, value in data.items():
        if key in skip:
            continue
        shown = (
            f"{len(value)} item(s)"
            if isinstance(value, list) and value and isinstance(value[0], dict)
            else cell(value)
        )
        lines.append(f"{(key + ':').ljust(width)}{shown}")
    return "\n".join(lines)
