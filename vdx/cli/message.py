"""``vdx message ...``: offline tools for X-Road messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vdx.errors import XRoadError
from vdx.message.check import CheckedRequest, check_rest, check_soap

app = typer.Typer(help="Inspect X-Road messages offline.", no_args_is_help=True)


@app.command("check")
def check(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Request file.")
    ],
    content_type: Annotated[
        str | None,
        typer.Option(
            "--content-type",
            help="Content-Type the request travels with; guessed from the file when omitted.",
        ),
    ] = None,
    rest: Annotated[
        bool, typer.Option("--rest", help="FILE is a raw HTTP request to the REST protocol (/r1/).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Parse a request as the client proxy would and print its X-Road headers or its error."""
    body = file.read_bytes()
    try:
        checked = check_rest(body) if rest else check_soap(body, content_type)
    except XRoadError as error:
        _print_error(error, as_json=as_json)
        raise typer.Exit(1) from None
    _print_ok(checked, as_json=as_json)


def _print_ok(checked: CheckedRequest, *, as_json: bool) -> None:
    fields = checked.fields()
    if as_json:
        print(json.dumps({"valid": True, **fields}, indent=2))
        return
    width = max(len(key) for key in fields)
    print("valid X-Road request")
    for key, value in fields.items():
        print(f"  {key.ljust(width)}  {value}")


def _print_error(error: XRoadError, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"valid": False, "code": error.fault_code, "message": error.message}))
        return
    print(f"refused: {error.fault_code}")
    print(f"  {error.message}")
