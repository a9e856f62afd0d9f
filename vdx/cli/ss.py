"""``vdx ss ...``: administer a security server through its admin REST API.

Every command is an HTTP client of ``/api/v1`` on the admin listener (contract §2, §3): the
URL comes from ``--url`` / ``VDX_SS_ADMIN_URL`` (default ``http://127.0.0.1:4000``), the key
from ``--api-key`` / ``VDX_SS_API_KEY``. Only ``vdx ss api-key create`` works on the database
directly, to make the first key before anyone can call the API. Each command prints text for
people or, with ``--json``, the API's JSON. See ``docs/operations/security-server-cli.md``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from vdx.cli import _ss_access, _ss_clients, _ss_keys, _ss_services, _ss_token
from vdx.cli._ss_http import DEFAULT_URL, AdminClient, base_url
from vdx.cli._ss_pin import PinFileOption, PinOption, read_pin
from vdx.cli._ss_session import (
    Connection,
    JsonOption,
    Result,
    member_id,
    records,
    run,
    usage,
)

app = typer.Typer(
    help="Security server administration over its admin REST API.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(_ss_token.token_app, name="token")
app.add_typer(_ss_token.key_app, name="key")
app.add_typer(_ss_token.cert_app, name="cert")
app.add_typer(_ss_clients.client_app, name="client")
app.add_typer(_ss_clients.group_app, name="local-group")
app.add_typer(_ss_services.description_app, name="description")
app.add_typer(_ss_services.service_app, name="service")
app.add_typer(_ss_access.access_app, name="access")
app.add_typer(_ss_keys.app, name="api-key")


@app.callback()
def ss(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Option(
            "--url", envvar="VDX_SS_ADMIN_URL", help="The admin API, e.g. http://127.0.0.1:4000."
        ),
    ] = DEFAULT_URL,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", envvar="VDX_SS_API_KEY", help="An API key (prefer the variable)."
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each answer.")
    ] = 60.0,
    as_json: JsonOption = False,
) -> None:
    """Security server administration over its admin REST API."""
    try:
        checked = base_url(url)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--url") from None
    ctx.obj = Connection(checked, api_key or None, timeout, as_json)


# ------------------------------------------------------------------------ status, init


def status_text(data: Any) -> str:
    token = data.get("token") or {}
    conf = data.get("globalconf") or {}
    token_state = ", ".join(
        [
            "initialised" if token.get("initialized") else "not initialised",
            "logged in" if token.get("logged_in") else "logged out",
        ]
    )
    if conf.get("ok"):
        conf_state = "ok" + (f", expires {conf['expires']}" if conf.get("expires") else "")
    else:
        conf_state = "not ok" + (f": {conf['reason']}" if conf.get("reason") else "")
    lines = [
        f"Initialised:  {'yes' if data.get('initialized') else 'no'}",
        f"Server:       {data.get('server') or '-'}",
        f"Owner:        {data.get('owner') or '-'}",
        f"Instance:     {data.get('instance') or '-'}",
        f"Token:        {token.get('id', '-')} ({token_state})",
        f"Global conf:  {conf_state}",
    ]
    return "\n".join(lines)


@app.command()
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show whether the server is initialised, its token and its global configuration."""

    def work(api: AdminClient) -> Result:
        data = api.call("GET", "/system/status").json()
        return Result(status_text(data), data)

    run(ctx, as_json, work)


@app.command()
def init(
    ctx: typer.Context,
    *,
    owner: Annotated[str, typer.Option("--owner", help="The owner member, INST:CLASS:CODE.")],
    server_code: Annotated[str, typer.Option("--server-code", help="This server's code.")],
    pin: PinOption = None,
    pin_file: PinFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Initialise the server: its owner, its code and the software token's PIN."""

    def work(api: AdminClient) -> Result:
        member = member_id(owner)
        secret = read_pin(pin, pin_file, confirm=True)
        # The instance comes from the configuration anchor; the API takes class and code only,
        # so a different instance in --owner would otherwise be dropped without a word.
        instance = api.call("GET", "/system/status").json().get("instance")
        if instance and instance != member.instance:
            raise usage(f"--owner is in instance {member.instance}, this server in {instance}")
        body = {
            "owner_member_class": member.member_class,
            "owner_member_code": member.member_code,
            "server_code": server_code,
            "pin": secret,
        }
        data = api.call("POST", "/system/initialize", body=body).json()
        text = f"Security server {data.get('server')} initialised\n" + status_text(data)
        return Result(text, data)

    run(ctx, as_json, work)


@app.command("audit-log")
def audit_log(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many entries.")] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Entries to skip.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Show the audit log (newest first, as the API orders it)."""

    def work(api: AdminClient) -> Result:
        data = api.call("GET", "/audit-log", query={"limit": limit, "offset": offset}).json()
        return Result(records(data), data)

    run(ctx, as_json, work)


__all__ = ["app"]
