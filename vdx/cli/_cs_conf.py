"""``vdx cs conf status`` and ``vdx cs anchor export``: read what the running central server
keeps in its data folder (``conf/``, ``conf-signing/cert.pem``); no server connection."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from central_server.admin_api import conf
from central_server.admin_api.convert import MAX_CERTIFICATE_CHARS
from central_server.conf_keys.service import active_certificate
from central_server.distribution import PersistedGenerationError, load_generation
from central_server.registry.validation import certificate
from vdx.cli._cs_session import (
    ConfigOption,
    JsonOption,
    Result,
    Session,
    execute,
    open_session,
    read_file,
    refused,
    settings_or_exit,
)
from vdx.clock import utc_now

conf_app = typer.Typer(help="The published global configuration.", no_args_is_help=True)
anchor_app = typer.Typer(help="Configuration anchors.", no_args_is_help=True)


@conf_app.command("status")
def conf_status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The configuration the central server last generated (read from its data folder)."""
    settings = settings_or_exit(config, as_json)
    folder = conf.generation_dir(settings.data_dir)

    async def work() -> Result:
        try:
            generation = await asyncio.to_thread(load_generation, folder)
        except PersistedGenerationError as error:
            raise refused(f"{folder}: {error}") from None
        status = conf.conf_status(generation, utc_now())
        if not status.available:
            text = (
                f"No configuration generated yet in {folder}; the central server writes it "
                "when it runs (vdx central-server run)."
            )
        else:
            text = "\n".join(
                [
                    f"Generated:  {status.generated_at}",
                    f"Expires:    {status.expire_date}" + (" (EXPIRED)" if status.expired else ""),
                    f"Versions:   {', '.join(str(v) for v in status.versions)}",
                    *[f"File:       {f}" for f in status.files],
                ]
            )
        return Result(text, status)

    execute(as_json, work)


@anchor_app.command("export")
def anchor_export(
    url: Annotated[str, typer.Option("--url", help="Download URL, http://host/internalconf")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the anchor XML.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export the configuration anchor security servers start from, and print its hash.

    Made from the last generated configuration in the data folder; before the first one,
    from the registry and the active internal signing key's certificate (keys on the token),
    else the legacy one at <data_dir>/conf-signing/cert.pem.
    """
    try:
        conf.check_download_url(url)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--url") from None
    settings = settings_or_exit(config, as_json)
    folder = conf.generation_dir(settings.data_dir)

    async def from_registry(s: Session) -> bytes:
        on_token = await active_certificate(s.engine)
        if on_token is not None:
            return conf.anchor_from_snapshot(await s.registry.snapshot(), on_token, url, utc_now())
        cert_file = conf.signing_cert_path(s.settings.data_dir)
        if not cert_file.is_file():
            raise refused(
                f"No configuration generated yet and no signing certificate at {cert_file}; "
                "start the central server once (it creates both) and retry",
                "unavailable",
            )
        cert = certificate(
            read_file(cert_file, "signing certificate", MAX_CERTIFICATE_CHARS),
            "The signing certificate",
        )
        return conf.anchor_from_snapshot(await s.registry.snapshot(), cert, url, utc_now())

    async def work() -> Result:
        try:
            generation = await asyncio.to_thread(load_generation, folder)
        except PersistedGenerationError as error:
            raise refused(f"{folder}: {error}") from None
        if generation is not None:
            return _write_anchor(conf.anchor_from_generation(generation, url), out, "generation")
        session = await open_session(settings, migrate=False)
        try:
            return _write_anchor(await from_registry(session), out, "registry")
        finally:
            await session.engine.dispose()

    execute(as_json, work)


def _write_anchor(xml: bytes, out: Path, source: str) -> Result:
    exported = conf.export(xml)
    try:
        out.write_bytes(exported.xml)
    except OSError as error:
        raise refused(f"Cannot write {out}: {error.strerror or error}") from None
    text = f"Anchor written to {out} (from the {source})\nHash (SHA-224): {exported.hash}"
    return Result(text, {"file": str(out), "hash": exported.hash, "source": source})
