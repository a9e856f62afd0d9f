"""``vdx demo-provider serve``: the demo provider information system (SOAP and REST) for the
sandbox, tutorials and end-to-end tests; see :mod:`adapters.demo_provider`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from adapters.demo_provider import create_app
from adapters.demo_provider.app import OPENAPI_PATH, SOAP_PATH
from vdx.cli._serve import listening, wait_for_stop

app = typer.Typer(help="Demo provider services (SOAP getRandom/helloService, REST).")


@app.callback()
def demo_provider() -> None:
    """Demo provider services."""


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on --host; 0 picks a free one.")] = 8088,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Serve the SOAP service (WSDL at /soap?wsdl) and the REST service (OpenAPI at
    /rest/openapi.json) until Ctrl-C or SIGTERM."""
    asyncio.run(_serve(host, port))


async def _serve(host: str, port: int) -> None:
    async with listening({"demo-provider": (create_app(), port, None)}, host) as ports:
        base = f"http://{host}:{ports['demo-provider']}"
        typer.echo(f"wsdl          {base}{SOAP_PATH}?wsdl")
        typer.echo(f"openapi       {base}{OPENAPI_PATH}")
        typer.echo("demo provider running; Ctrl-C stops it")
        await wait_for_stop()
    typer.echo("demo provider stopped")
