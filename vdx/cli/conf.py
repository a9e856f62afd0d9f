"""``vdx conf ...``: offline tools for the signed global configuration (pr-gconf)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Annotated
from urllib.parse import urlsplit

import typer

from vdx.clock import utc_now
from vdx.errors import Code, XRoadError
from vdx.globalconf.anchor import (
    AnchorSource,
    ConfigurationAnchor,
    anchor_hash,
    parse_anchor,
    produce_anchor,
)
from vdx.globalconf.directory import SignedDirectory, parse_directory, verify_directory
from vdx.globalconf.shared_params import parse_shared_params

app = typer.Typer(help="Inspect and verify X-Road global configuration.", no_args_is_help=True)

MAX_FILE_BYTES = 64 * 1024 * 1024


@app.callback()
def conf() -> None:
    """Inspect and verify X-Road global configuration."""


def resolve_location(folder: Path, location: str) -> Path | None:
    """Find the file a Content-location names, next to the directory file.

    The reference serves ``/V6/<timestamp>/shared-params.xml`` from the folder that holds the
    version's ``internalconf``, so leading path segments are dropped until a file matches.
    """
    segments = [s for s in PurePosixPath(urlsplit(location).path).parts if s != "/"]
    if any(s in {"..", "."} or "\\" in s for s in segments):
        return None
    for start in range(len(segments)):
        candidate = folder.joinpath(*segments[start:])
        if candidate.is_file():
            return candidate
    return None


def _read_parts(file: Path, directory: SignedDirectory) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in directory.parts:
        path = resolve_location(file.parent, part.content_location)
        if path is None:
            raise XRoadError(Code.IO_ERROR, f"Configuration file {part.content_location} not found")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise XRoadError(Code.IO_ERROR, f"{part.content_location} is too large")
        found[part.content_location] = path.read_bytes()
    return found


def _parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give a time zone, e.g. 2030-01-01T00:00:00Z")
    return moment


@app.command("verify")
def verify(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="Directory file."),
    ],
    anchor: Annotated[
        Path,
        typer.Option(
            "--anchor", exists=True, dir_okay=False, readable=True, help="Configuration anchor."
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option("--at", help="Verify as of this ISO 8601 time instead of now."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Verify a signed directory (e.g. internalconf) and the files it lists against an anchor.

    The files are read from FILE's folder by their Content-location. Exit status: 0 valid,
    1 refused (the X-Road error code and the reason are printed).
    """
    now = _parse_time(at) if at else utc_now()
    try:
        trusted = parse_anchor(anchor.read_bytes())
        directory = parse_directory(file.read_bytes())
        verify_directory(directory, None, trusted, now, files=_read_parts(file, directory))
    except XRoadError as error:
        if as_json:
            print(json.dumps({"valid": False, "code": str(error.code), "message": error.message}))
        else:
            print(f"refused: {error.code}")
            print(f"  {error.message}")
        raise typer.Exit(1) from None
    _print_ok(trusted.instance, directory, as_json=as_json)


def _print_ok(instance: str, directory: SignedDirectory, *, as_json: bool) -> None:
    parts = [
        {
            "content_identifier": p.content_identifier,
            "instance": p.instance,
            "location": p.content_location,
        }
        for p in directory.parts
    ]
    summary = {
        "valid": True,
        "instance": instance,
        "version": directory.version,
        "expires": directory.expire_date.isoformat(),
        "parts": parts,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    print("valid configuration directory")
    print(f"  instance  {instance}")
    print(f"  version   {directory.version if directory.version is not None else '-'}")
    print(f"  expires   {summary['expires']}")
    print("  parts")
    for part in parts:
        print(f"    {part['content_identifier']} ({part['instance']})  {part['location']}  hash ok")


@app.command("anchor")
def anchor_from_parameters(
    shared_params: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="A shared-params.xml of the instance."),
    ],
    url: Annotated[
        str, typer.Option("--url", help="Download URL of the directory the anchor points at.")
    ],
    external: Annotated[
        bool,
        typer.Option("--external", help="Trust the external (federation) signing keys instead."),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the anchor here.")] = None,
) -> None:
    """Make an anchor trusting the signing certificates a shared-params.xml lists.

    For checking a downloaded configuration by hand; a production anchor comes from the central
    server operator (`vdx cs anchor export`), whose hash you compare out of band.
    """
    try:
        params = parse_shared_params(shared_params.read_bytes())
        certs = params.verification_certs(internal=not external)
        anchor = ConfigurationAnchor(
            instance=params.instance,
            sources=(AnchorSource(download_url=url, verification_certs=certs),),
            generated_at=utc_now(),
        )
        data = produce_anchor(anchor)
    except XRoadError as error:
        typer.echo(f"refused: {error.fault_code}\n  {error.message}")
        raise typer.Exit(1) from None
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    out.write_bytes(data)
    typer.echo(f"anchor for {params.instance} with {len(certs)} certificate(s) written to {out}")
    typer.echo(f"  hash {anchor_hash(data)}")
