"""``vdx message ...``: offline tools for X-Road messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vdx.errors import XRoadError
from vdx.message.check import (
    CheckedRequest,
    check_rest,
    check_soap,
    check_soap_response,
    decode_soap_request,
)
from vdx.message.soap_model import SoapFault

app = typer.Typer(help="Inspect X-Road messages offline.", no_args_is_help=True)

FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Message file.")
]


@app.command("check")
def check(
    file: FileArg,
    content_type: Annotated[
        str | None,
        typer.Option(
            "--content-type",
            help="Content-Type the message travels with; guessed from the file when omitted.",
        ),
    ] = None,
    rest: Annotated[
        bool, typer.Option("--rest", help="FILE is a raw HTTP request to the REST protocol (/r1/).")
    ] = False,
    response_to: Annotated[
        Path | None,
        typer.Option(
            "--response-to",
            exists=True,
            dir_okay=False,
            help="FILE is a service's answer to this request file; check it as a response.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Parse a message as the security server would; print its X-Road headers or its error.

    Exit status: 0 valid, 1 refused (the X-Road fault code and message are printed).
    """
    body = file.read_bytes()
    try:
        if response_to is not None:
            request = decode_soap_request(response_to.read_bytes(), None).message
            answer = check_soap_response(body, content_type, request)
            _print_answer(answer, as_json=as_json)
            return
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


def _print_answer(answer: object, *, as_json: bool) -> None:
    if isinstance(answer, SoapFault):
        verdict = {"valid": True, "fault": answer.code, "faultstring": answer.string}
        text = f"SOAP fault from the service, passed through: {answer.code}\n  {answer.string}"
    else:
        verdict = {"valid": True}
        text = "valid X-Road response, consistent with the request"
    print(json.dumps(verdict) if as_json else text)


def _print_error(error: XRoadError, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"valid": False, "code": error.fault_code, "message": error.message}))
        return
    print(f"refused: {error.fault_code}")
    print(f"  {error.message}")
