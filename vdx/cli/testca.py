"""``vdx testca ...``: the development CA, OCSP responder and TSA.

Production deployments use a real CA and TSA; this one speaks the same protocols so that tests,
the sandbox and tutorials exercise the real code paths.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from pathlib import Path
from typing import Annotated

import typer
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from trust_services import issuance, profiles
from trust_services.app import create_app
from trust_services.store import CaDirectory, StoreError
from trust_services.tsa import DEFAULT_POLICY
from vdx.cli._serve import wait_for_stop
from vdx.clock import utc_now

app = typer.Typer(help="Development CA, OCSP responder and time-stamping authority.")

DirOption = Annotated[Path, typer.Option("--dir", help="The test CA's directory.")]
REASONS = sorted(flag.name for flag in x509.ReasonFlags if flag.name not in ("unspecified",))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@app.command()
def init(
    directory: DirOption,
    intermediate: Annotated[
        bool, typer.Option("--intermediate", help="Issue from an intermediate CA.")
    ] = False,
    key_kind: Annotated[
        str, typer.Option("--key", help="Key type: rsa2048, rsa3072 or ec-p256.")
    ] = "rsa2048",
    tsa_policy: Annotated[
        str, typer.Option("--tsa-policy", help="Policy OID the TSA puts in its tokens.")
    ] = DEFAULT_POLICY,
) -> None:
    """Create the root CA (and intermediate), OCSP responder and TSA certificates."""
    if not re.fullmatch(r"[0-2](\.(0|[1-9][0-9]*))+", tsa_policy):
        raise _fail(f"--tsa-policy must be a dotted OID, got {tsa_policy!r}")
    try:
        manifest = CaDirectory(directory).init(
            utc_now(), intermediate=intermediate, key_kind=key_kind, tsa_policy=tsa_policy
        )
    except (StoreError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"test CA created in {directory}")
    for key in ("ca_cert", "intermediate_cert", "ocsp_cert", "tsa_cert"):
        if key in manifest:
            typer.echo(f"  {key:18} {manifest[key]}")


@app.command()
def serve(
    directory: DirOption,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 8899,
) -> None:
    """Serve issuance, OCSP and TSA until interrupted; URLs go into testca.json."""
    store = CaDirectory(directory)
    try:
        store.manifest()
    except StoreError as exc:
        raise _fail(str(exc)) from None
    asyncio.run(_serve(store, host, port))


async def _serve(store: CaDirectory, host: str, port: int) -> None:
    runner = web.AppRunner(create_app(store), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    base = f"http://{host}:{bound}"
    manifest = store.manifest()
    manifest.update(
        {"issue_url": f"{base}/issue", "ocsp_url": f"{base}/ocsp", "tsa_url": f"{base}/tsa"}
    )
    store.write_manifest(manifest)
    typer.echo(f"test CA serving on {base}", err=False)
    for key in ("issue_url", "ocsp_url", "tsa_url"):
        typer.echo(f"  {key:10} {manifest[key]}")
    try:
        await wait_for_stop()
    finally:
        await runner.cleanup()
        typer.echo("test CA stopped")


@app.command()
def issue(
    directory: DirOption,
    csr: Annotated[Path, typer.Option("--csr", exists=True, dir_okay=False, help="CSR file.")],
    profile: Annotated[str, typer.Option("--profile", help="auth or sign.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the PEM here.")] = None,
) -> None:
    """Issue a certificate from a CSR file (PEM or DER)."""
    store = CaDirectory(directory)
    try:
        cert = issuance.issue(store, store.load(), csr.read_bytes(), profile, utc_now())
    except (StoreError, profiles.CsrRejectedError) as exc:
        raise _fail(str(exc)) from None
    pem = cert.public_bytes(serialization.Encoding.PEM)
    if out is None:
        typer.echo(pem.decode("ascii"), nl=False)
    else:
        out.write_bytes(pem)
        typer.echo(f"issued serial {cert.serial_number:X} to {out}")


@app.command()
def revoke(
    directory: DirOption,
    serial: Annotated[str, typer.Option("--serial", help="Serial in hex (openssl x509 -serial).")],
    reason: Annotated[
        str, typer.Option("--reason", help=f"One of: {', '.join(REASONS)}.")
    ] = "key_compromise",
) -> None:
    """Revoke an issued certificate; the OCSP responder reports it at the next request."""
    if reason not in REASONS:
        raise _fail(f"unknown reason {reason!r}; use one of: {', '.join(REASONS)}")
    try:
        CaDirectory(directory).revoke(serial, x509.ReasonFlags[reason], utc_now())
    except (StoreError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"revoked {serial.upper()} ({reason})")


@app.command("list")
def list_issued(
    directory: DirOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the certificates this CA issued, with their revocation state."""
    try:
        rows = CaDirectory(directory).issued()
    except (StoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(row) for row in rows], indent=2))
        return
    for row in rows:
        state = f"revoked {row.revoked_at} ({row.reason})" if row.revoked_at else "valid"
        typer.echo(
            f"{row.serial_hex}  {row.profile:4}  {row.subject}  until {row.not_after}  {state}"
        )
