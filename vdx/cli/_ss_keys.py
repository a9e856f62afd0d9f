"""``vdx ss api-key ...``: keys of the admin REST API.

``list`` and ``revoke`` go through the API like every other command. ``create`` works on the
server's database directly (settings from ``--config`` and ``VDX_SS_*``), so the first key can
be made before any key exists to call the API with; ``--via-api`` sends it to the API instead.
The key is printed this once: only its hash is stored.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from vdx.cli._ss_http import AdminClient, segment
from vdx.cli._ss_session import (
    ROLES,
    CliError,
    JsonOption,
    Result,
    actor,
    local,
    records,
    refused,
    run,
    usage,
)

app = typer.Typer(help="Admin REST API keys.", no_args_is_help=True)


def _created_text(data: Any) -> str:
    roles = ", ".join(data.get("roles") or [])
    return f"API key {data.get('name')!r} ({roles}), shown this once:\n{data.get('key')}"


@app.command("create")
def key_create(
    ctx: typer.Context,
    *,
    name: Annotated[str, typer.Option("--name", help="Shown as the actor in the audit log.")],
    role: Annotated[
        list[str], typer.Option("--role", help=f"One of {', '.join(ROLES)}; repeat for several.")
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Settings file (.toml or .json); VDX_SS_* variables override."
        ),
    ] = None,
    via_api: Annotated[
        bool, typer.Option("--via-api", help="Create it through the running API instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create an API key (on the database: works without a running server)."""
    unknown = [r for r in role if r not in ROLES]
    if unknown:
        raise typer.BadParameter(f"unknown role {unknown[0]!r}; known: {', '.join(ROLES)}")
    if via_api:
        if config is not None:
            raise typer.BadParameter("--config is for the database; --via-api uses --url")

        def remote(api: AdminClient) -> Result:
            data = api.call("POST", "/api-keys", body={"name": name, "roles": role}).json()
            return Result(_created_text(data), data)

        run(ctx, as_json, remote)
        return

    def direct() -> Result:
        data = asyncio.run(_create_in_database(config, name, role))
        return Result(_created_text(data), data)

    local(ctx, as_json, direct)


async def _create_in_database(config: Path | None, name: str, roles: list[str]) -> dict[str, Any]:
    # Imported here: the rest of `vdx ss` is an HTTP client and needs no server code.
    from pydantic import ValidationError  # noqa: PLC0415
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from security_server.admin_api.keys import ApiKeyStore  # noqa: PLC0415
    from security_server.serverconf.errors import ServerConfError  # noqa: PLC0415
    from security_server.settings import load_settings  # noqa: PLC0415
    from security_server.storage import open_engine  # noqa: PLC0415

    try:
        settings = load_settings(config)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)
        )
        raise usage(f"Invalid settings: {problems}") from None
    except (OSError, ValueError) as error:
        raise usage(f"Cannot read the settings: {error}") from None
    try:
        engine = await open_engine(settings.db_url)  # migrates: the table may be new
        try:
            info, key = await ApiKeyStore(engine).create(name, roles, actor=actor())
        finally:
            await engine.dispose()
    except ServerConfError as error:
        raise refused(error.message, error.code.value) from None
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error  # the driver's message, not the SQL
        raise refused(f"Database error: {str(cause)[:300]}", "database") from None
    except OSError as error:
        raise CliError(1, "os", str(error.strerror or error)) from None
    return {
        "id": info.id,
        "name": info.name,
        "roles": sorted(r.value for r in info.roles),
        "created_at": info.created_at.isoformat(),
        "key": key,
    }


@app.command("list")
def key_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List API keys (never the keys themselves)."""

    def work(api: AdminClient) -> Result:
        data = api.call("GET", "/api-keys").json()
        return Result(records(data, ("id", "name", "roles", "created_at", "revoked_at")), data)

    run(ctx, as_json, work)


@app.command("revoke")
def key_revoke(ctx: typer.Context, key_id: int, as_json: JsonOption = False) -> None:
    """Revoke an API key by its id."""

    def work(api: AdminClient) -> Result:
        data = api.call("DELETE", f"/api-keys/{segment(str(key_id))}").json()
        return Result(f"API key {key_id} revoked", data)

    run(ctx, as_json, work)
