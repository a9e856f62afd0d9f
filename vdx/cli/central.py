"""``vdx central-server run --config FILE``: run a central server node until interrupted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from aiohttp import web

from central_server.app import build
from central_server.settings import CentralServerSettings, load_settings

app = typer.Typer(help="Run the central server.", no_args_is_help=True)


@app.callback()
def central() -> None:
    """Run the central server."""


@app.command()
def run(
    config: Annotated[
        Path | None, typer.Option("--config", exists=True, dir_okay=False, help="Settings file.")
    ] = None,
) -> None:
    """Start every listener of the central server; stop cleanly on Ctrl-C or SIGTERM."""
    try:
        settings = load_settings(config)
    except ValueError as error:
        typer.echo(f"error: invalid settings: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        asyncio.run(_run(settings))
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


async def _run(settings: CentralServerSettings) -> None:
    server = await build(settings)
    runners: list[web.AppRunner] = []
    try:
        for name, (application, port, tls_context) in server.apps.items():
            runner = web.AppRunner(application, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, settings.listen_host, port, ssl_context=tls_context)
            await site.start()
            runners.append(runner)
            bound = runner.addresses[0][1]
            scheme = "https" if tls_context else "http"
            typer.echo(f"{name:12} {scheme}://{settings.listen_host}:{bound}")
        typer.echo("central server running; Ctrl-C stops it")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        await server.engine.dispose()
        typer.echo("central server stopped")
