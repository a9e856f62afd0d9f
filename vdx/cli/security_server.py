"""``vdx security-server run --config FILE``: run a security server node until interrupted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from security_server.settings import SecurityServerSettings, load_settings
from vdx.cli._serve import listening, wait_for_stop
from vdx.errors import XRoadError

app = typer.Typer(help="Run the security server.", no_args_is_help=True)


@app.callback()
def security_server() -> None:
    """Run the security server."""


@app.command()
def run(
    config: Annotated[
        Path | None, typer.Option("--config", exists=True, dir_okay=False, help="Settings file.")
    ] = None,
) -> None:
    """Start every listener of the security server; stop cleanly on Ctrl-C or SIGTERM."""
    try:
        settings = load_settings(config)
    except ValueError as error:
        typer.echo(f"error: invalid settings: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        asyncio.run(_run(settings))
    except (ValueError, OSError, XRoadError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


async def _run(settings: SecurityServerSettings) -> None:
    # Imported here: the servers' modules are heavy and every other `vdx` command would pay
    # for them at start-up (the end-to-end tests run dozens of commands).
    from security_server.app import build  # noqa: PLC0415

    server = await build(settings)
    try:
        async with listening(server.apps, settings.listen_host):
            for name, reason in server.skipped.items():
                typer.echo(f"{name:13} not started: {reason}")
            typer.echo("security server running; Ctrl-C stops it")
            await wait_for_stop()
    finally:
        await server.engine.dispose()
        typer.echo("security server stopped")


if __name__ == "__main__":
    app()
