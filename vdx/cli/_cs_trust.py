"""``vdx cs ca ...`` and ``vdx cs tsa ...``: approved CAs and timestamping authorities."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from central_server.admin_api import convert
from central_server.admin_api.convert import MAX_CERTIFICATE_CHARS
from central_server.registry import CaSpec, IntermediateCaSpec, OcspResponderSpec
from vdx.cli._cs_session import (
    ConfigOption,
    JsonOption,
    Result,
    Session,
    read_file,
    table,
    with_db,
)
from vdx.crypto.cert_profile import DEFAULT_PROVIDER

ca_app = typer.Typer(help="Approved certification authorities.", no_args_is_help=True)
tsa_app = typer.Typer(help="Approved timestamping authorities.", no_args_is_help=True)


def _cert(path: Path, what: str) -> bytes:
    return read_file(path, what, MAX_CERTIFICATE_CHARS)


@ca_app.command("add")
def ca_add(  # noqa: PLR0917 - a Typer command's options are its parameters
    name: Annotated[str, typer.Option("--name", help="The CA's name.")],
    cert: Annotated[Path, typer.Option("--cert", help="Top CA certificate (PEM or DER).")],
    intermediate: Annotated[
        list[Path] | None,
        typer.Option("--intermediate", help="Intermediate CA certificate; repeat, top first."),
    ] = None,
    ocsp_url: Annotated[
        list[str] | None,
        typer.Option("--ocsp-url", help="OCSP responder of the issuing CA (the last given)."),
    ] = None,
    ocsp_cert: Annotated[
        list[Path] | None,
        typer.Option("--ocsp-cert", help="Delegated responder certificate, per --ocsp-url."),
    ] = None,
    auth_only: Annotated[
        bool, typer.Option("--auth-only", help="Issues authentication certificates only.")
    ] = False,
    profile: Annotated[
        str, typer.Option("--profile", help="Certificate profile (provider name).")
    ] = DEFAULT_PROVIDER,
    csr_format: Annotated[
        str | None, typer.Option("--csr-format", help="PEM or DER (configuration v6).")
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a CA with its intermediates and OCSP responders.

    The OCSP responders belong to the CA that issues member certificates: the last
    --intermediate when there are any, else the top CA.
    """
    urls, certs = ocsp_url or [], ocsp_cert or []
    if len(certs) > len(urls):
        raise typer.BadParameter("each --ocsp-cert needs its --ocsp-url", param_hint="--ocsp-cert")

    async def work(s: Session) -> Result:
        responders = tuple(
            OcspResponderSpec(url, _cert(certs[n], "OCSP certificate") if n < len(certs) else None)
            for n, url in enumerate(urls)
        )
        chain = [_cert(p, "intermediate certificate") for p in intermediate or []]
        intermediates = tuple(
            IntermediateCaSpec(der, responders if n == len(chain) - 1 else ())
            for n, der in enumerate(chain)
        )
        spec = CaSpec(
            name=name,
            top_ca_der=_cert(cert, "CA certificate"),
            certificate_profile_info=profile,
            authentication_only=auth_only,
            ocsp=() if chain else responders,
            intermediates=intermediates,
            csr_format=csr_format,
        )
        await s.registry.add_ca(spec, actor=s.actor)
        found = next(convert.ca(c) for c in await s.registry.list_cas() if c.name == name)
        text = f"CA {name!r} approved ({found.certificate.subject})"
        return Result(text, found)

    with_db(config, as_json, work)


@ca_app.command("list")
def ca_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List approved CAs."""

    async def work(s: Session) -> Result:
        found = [convert.ca(c) for c in await s.registry.list_cas()]
        rows = [
            (
                c.name,
                c.certificate.subject or "",
                str(len(c.intermediates)),
                "yes" if c.authentication_only else "no",
            )
            for c in found
        ]
        return Result(table(rows, ("NAME", "SUBJECT", "INTERMEDIATES", "AUTH ONLY")), found)

    with_db(config, as_json, work)


@tsa_app.command("add")
def tsa_add(  # noqa: PLR0917 - a Typer command's options are its parameters
    name: Annotated[str, typer.Option("--name", help="The TSA's name.")],
    url: Annotated[str, typer.Option("--url", help="Where security servers send requests.")],
    cert: Annotated[Path, typer.Option("--cert", help="TSA certificate (PEM or DER).")],
    priority: Annotated[int, typer.Option("--priority", help="Lower is tried first.")] = 0,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a timestamping authority."""

    async def work(s: Session) -> Result:
        await s.registry.add_tsa(
            name, url, _cert(cert, "TSA certificate"), priority=priority, actor=s.actor
        )
        found = next(convert.tsa(t) for t in await s.registry.list_tsas() if t.name == name)
        return Result(f"TSA {name!r} approved ({url})", found)

    with_db(config, as_json, work)


@tsa_app.command("list")
def tsa_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List approved TSAs."""

    async def work(s: Session) -> Result:
        found = [convert.tsa(t) for t in await s.registry.list_tsas()]
        rows = [(t.name, t.url, str(t.priority)) for t in found]
        return Result(table(rows, ("NAME", "URL", "PRIORITY")), found)

    with_db(config, as_json, work)
