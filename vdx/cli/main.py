"""Entry point of the ``vdx`` console script."""

from __future__ import annotations

from typing import Annotated

import typer

from vdx import __version__
from vdx.cli import (
    central,
    conf,
    cs,
    demo,
    evidence,
    logs,
    message,
    sandbox,
    security_server,
    ss,
    testca,
)

app = typer.Typer(
    name="vdx",
    help="VDX: an open implementation of the X-Road data-exchange platform.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(message.app, name="message")
app.add_typer(conf.app, name="conf", help="Verify global configuration directories.")
app.add_typer(testca.app, name="testca")
app.add_typer(central.app, name="central-server")
app.add_typer(security_server.app, name="security-server")
app.add_typer(cs.app, name="cs", help="Administer the central server's registry.")
app.add_typer(ss.app, name="ss", help="Administer a security server over its admin API.")
app.add_typer(demo.app, name="demo-provider")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(evidence.asic_app, name="asic", help="Verify ASiC-E evidence containers.")
app.add_typer(evidence.archive_app, name="archive", help="Verify message-log archives.")


def _version(value: bool) -> None:
    if value:
        print(f"vdx {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """VDX command line."""
    del version  # handled by its eager callback
    logs.configure()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
