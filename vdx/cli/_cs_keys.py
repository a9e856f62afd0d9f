"""``vdx cs key list|generate|activate|retire``: configuration signing keys on the token.

The keys live on the software token in ``<data_dir>/tokens`` (the central server creates it,
with a first active key per source, when started with ``token_pin``); their states are in the
database. ``generate`` needs the PIN (``token_pin`` / ``VDX_CS_TOKEN_PIN``) and announces the
new key; ``activate`` makes it sign from the next generation on.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from central_server.admin_api.handlers_keys import signing_key
from central_server.app import TOKEN_ID, open_token
from central_server.conf_keys import SOURCES, ConfSigningKeys, SigningKeyError
from vdx.cli._cs_session import ConfigOption, JsonOption, Result, Session, refused, table, with_db
from vdx.tokens import Token, TokenError, open_soft_token

app = typer.Typer(help="Configuration signing keys (on the token).", no_args_is_help=True)


async def _keys(s: Session, *, login: bool) -> ConfSigningKeys:
    folder = s.settings.data_dir / "tokens"
    pin = None if s.settings.token_pin is None else s.settings.token_pin.get_secret_value()
    if not (folder / f"{TOKEN_ID}.keystore").exists():
        raise refused(
            f"No signing token in {folder}: start the central server once with token_pin set",
            "unavailable",
        )
    if login and pin is None:
        raise refused("Set the token PIN (token_pin or VDX_CS_TOKEN_PIN)", "unavailable")
    try:
        if login and pin is not None:
            token: Token = await asyncio.to_thread(open_token, folder, pin)
        else:
            token = await asyncio.to_thread(open_soft_token, folder, TOKEN_ID)
    except TokenError as error:
        raise refused(f"The token refused: {error}", "token") from None
    instance = await s.registry.get_instance() or ""
    return ConfSigningKeys(s.engine, token, instance, pin=pin)


@app.command("list")
def key_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List the signing keys with their source and state."""

    async def work(s: Session) -> Result:
        data = [signing_key(k) for k in await (await _keys(s, login=False)).list_keys()]
        rows = [
            (k.key_id, k.source, k.state, k.cert_hash[:16], k.created_at.isoformat()) for k in data
        ]
        return Result(table(rows, ("KEY", "SOURCE", "STATE", "CERT SHA-256", "CREATED")), data)

    with_db(config, as_json, work)


def _run(action: str, key_id: str, config: Path | None, as_json: bool) -> None:
    async def work(s: Session) -> Result:
        keys = await _keys(s, login=False)
        try:
            info = await (keys.activate if action == "activate" else keys.retire)(
                key_id, actor=s.actor
            )
        except SigningKeyError as error:
            raise refused(error.message, error.code) from None
        note = " (signs from the next generation)" if action == "activate" else ""
        return Result(f"Key {key_id} is {info.state}{note}", signing_key(info))

    with_db(config, as_json, work)


@app.command("generate")
def key_generate(
    source: Annotated[str, typer.Option("--source", help="internal or external.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a key on the token; it is announced (listed for verification) until activated."""
    if source not in SOURCES:
        raise typer.BadParameter("internal or external", param_hint="--source")

    async def work(s: Session) -> Result:
        keys = await _keys(s, login=True)
        try:
            info = await keys.generate(source, actor=s.actor)
        except SigningKeyError as error:
            raise refused(error.message, error.code) from None
        return Result(f"Key {info.key_id} ({source}) announced", signing_key(info))

    with_db(config, as_json, work)


@app.command("activate")
def key_activate(key_id: str, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Make an announced key its source's active key; the previous one is retired."""
    _run("activate", key_id, config, as_json)


@app.command("retire")
def key_retire(key_id: str, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Withdraw an announced key (the active key is retired by activating a successor)."""
    _run("retire", key_id, config, as_json)
