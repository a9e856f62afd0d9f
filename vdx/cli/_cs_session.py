"""What every ``vdx cs`` command shares: settings, the database, the actor, output, errors.

Exit codes: 0 done, 1 refused (registry errors, database problems, missing data), 2 usage
(bad options, identifiers, settings). With ``--json`` the result, or ``{"error": ...}``, is
printed to stdout as JSON; messages for people go to stderr.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from alembic.script import ScriptDirectory
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from central_server.admin_api import ApiKeyStore
from central_server.registry import RegistryError, RegistryService
from central_server.settings import CentralServerSettings, load_settings
from central_server.storage import create_engine, open_engine
from central_server.storage.migrate import alembic_config, current_revision
from vdx.cli import _common
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
from vdx.errors import XRoadError
from vdx.identifiers import SecurityServerId, parse_security_server

__all__ = [
    "CliError",
    "ConfigOption",
    "JsonOption",
    "Result",
    "Session",
    "actor",
    "client_id",
    "dump",
    "execute",
    "member_id",
    "open_session",
    "read_file",
    "refused",
    "safe_url",
    "server_id",
    "settings",
    "settings_or_exit",
    "table",
    "usage",
    "with_db",
]

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings file (.toml or .json); VDX_CS_* variables override."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@dataclass(frozen=True, slots=True)
class Session:
    settings: CentralServerSettings
    engine: AsyncEngine
    registry: RegistryService
    keys: ApiKeyStore
    actor: str


def settings(config: Path | None) -> CentralServerSettings:
    return _common.load_settings(load_settings, config)


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def server_id(text: str) -> SecurityServerId:
    try:
        return parse_security_server(text, ":")
    except XRoadError as error:
        raise usage(f"{text!r:.80}: {error.message}") from None


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def open_session(settings_: CentralServerSettings, *, migrate: bool) -> Session:
    """Open the database; ``migrate`` brings it to the newest schema, otherwise it must be."""
    if migrate:
        engine = await open_engine(settings_.db_url)
    else:
        engine = create_engine(settings_.db_url)
        try:
            async with engine.connect() as conn:
                revision = await conn.run_sync(current_revision)
        except BaseException:
            await engine.dispose()
            raise
        if revision != _head():
            await engine.dispose()
            raise refused(
                f"The database {safe_url(settings_.db_url)} is not initialised or not up to "
                "date; run `vdx cs init` first",
                "not_initialised",
            )
    return Session(settings_, engine, RegistryService(engine), ApiKeyStore(engine), actor())


def dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value


def _print(result: Result, as_json: bool) -> None:
    if as_json:
        print(json.dumps(dump(result.data), indent=2, sort_keys=False, default=str))
    elif result.text:
        print(result.text)


def _fail(error: CliError, as_json: bool) -> NoReturn:
    if as_json:
        print(json.dumps({"error": {"code": error.code, "message": error.message}}))
    typer.echo(f"error: {error.message}", err=True)
    raise typer.Exit(error.exit_code)


def execute(as_json: bool, work: Callable[[], Awaitable[Result]]) -> None:
    """Run ``work`` on a fresh event loop and print its result; map errors to exit codes."""
    try:
        result = asyncio.run(_awaited(work))
    except CliError as error:
        _fail(error, as_json)
    except RegistryError as error:
        _fail(CliError(1, error.code.value, error.message), as_json)
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error  # the driver's message, not the SQL
        message = (str(cause).splitlines() or ["unknown"])[0]
        _fail(CliError(1, "database", f"Database error: {message[:300]}"), as_json)
    except OSError as error:
        _fail(CliError(1, "os", f"{error.strerror or error}"), as_json)
    _print(result, as_json)


async def _awaited(work: Callable[[], Awaitable[Result]]) -> Result:
    # asyncio.run wants a coroutine; ``work`` may return any awaitable.
    return await work()


def with_db(
    config: Path | None,
    as_json: bool,
    work: Callable[[Session], Awaitable[Result]],
    *,
    migrate: bool = False,
) -> None:
    """Run ``work`` with a session on the configured database."""
    settings_ = settings_or_exit(config, as_json)

    async def run() -> Result:
        session = await open_session(settings_, migrate=migrate)
        try:
            return await work(session)
        finally:
            await session.engine.dispose()

    execute(as_json, run)


def settings_or_exit(config: Path | None, as_json: bool) -> CentralServerSettings:
    """The settings, or exit 2 with the problem."""
    try:
        return settings(config)
    except CliError as error:
        _fail(error, as_json)
