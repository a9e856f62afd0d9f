"""``vdx ss client ...`` and ``vdx ss local-group ...``: the server's clients and their groups.

A client is added here first, then registered: the registration request goes to the central
server (pr-mserv ``clientReg``), which approves it; the client's state follows through the
global configuration. Local groups are access-right subjects of one client (ug-ss §7).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from vdx.cli._ss_http import AdminClient, segment
from vdx.cli._ss_session import (
    JsonOption,
    Result,
    client_id,
    fields,
    read_file,
    records,
    run,
)
from vdx.cli._ss_token import MAX_CERT, request_text

client_app = typer.Typer(
    help="Clients (members and subsystems) of this server.", no_args_is_help=True
)
tls_app = typer.Typer(
    help="TLS certificates of a client's information systems.", no_args_is_help=True
)
group_app = typer.Typer(help="Local groups of a client.", no_args_is_help=True)
client_app.add_typer(tls_app, name="tls-cert")

ClientArg = Annotated[str, typer.Argument(help="INST:CLASS:CODE[:SUBSYSTEM]")]
CLIENT_COLUMNS = ("id", "state", "connection_type")


class ConnectionType(StrEnum):
    """How information systems connect to the client proxy (ug-ss §9.1)."""

    HTTP = "HTTP"
    HTTPS = "HTTPS"
    HTTPS_NO_AUTH = "HTTPS_NO_AUTH"


def client_path(client: str, tail: str = "") -> str:
    return f"/clients/{segment(client_id(client).to_colon())}{tail}"


def _client(
    ctx: typer.Context, as_json: bool, method: str, path: Callable[[], str], done: str
) -> None:
    # ``path`` is called inside ``run`` so that a bad identifier exits 2 with its message.
    def work(api: AdminClient) -> Result:
        data = api.call(method, path()).json()
        if isinstance(data, dict) and "request_id" in data:
            return Result(request_text(data), data)
        return Result("\n".join(x for x in (done, fields(data) if data else "") if x), data)

    run(ctx, as_json, work)


# ------------------------------------------------------------------------ clients


@client_app.command("list")
def client_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the clients with their states."""

    def work(api: AdminClient) -> Result:
        data = api.call("GET", "/clients").json()
        return Result(records(data, CLIENT_COLUMNS), data)

    run(ctx, as_json, work)


@client_app.command("add")
def client_add(
    ctx: typer.Context,
    client: ClientArg,
    connection_type: Annotated[
        ConnectionType | None, typer.Option("--connection-type", help="HTTP, HTTPS, HTTPS_NO_AUTH.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a client (a member or subsystem known to the global configuration)."""

    def work(api: AdminClient) -> Result:
        body: dict[str, Any] = {"id": client_id(client).to_colon()}
        if connection_type is not None:
            body["connection_type"] = connection_type.value
        data = api.call("POST", "/clients", body=body).json()
        return Result(f"Client {data.get('id')} added\n{fields(data)}", data)

    run(ctx, as_json, work)


@client_app.command("show")
def client_show(ctx: typer.Context, client: ClientArg, as_json: JsonOption = False) -> None:
    """Show a client."""
    _client(ctx, as_json, "GET", lambda: client_path(client), "")


@client_app.command("delete")
def client_delete(ctx: typer.Context, client: ClientArg, as_json: JsonOption = False) -> None:
    """Delete a client from this server."""
    _client(ctx, as_json, "DELETE", lambda: client_path(client), f"Client {client} deleted")


@client_app.command("register")
def client_register(ctx: typer.Context, client: ClientArg, as_json: JsonOption = False) -> None:
    """Send the client's registration request to the central server."""
    _client(ctx, as_json, "POST", lambda: client_path(client, "/register"), "")


@client_app.command("unregister")
def client_unregister(ctx: typer.Context, client: ClientArg, as_json: JsonOption = False) -> None:
    """Send the client's deletion request to the central server."""
    _client(ctx, as_json, "POST", lambda: client_path(client, "/unregister"), "")


@client_app.command("set-connection-type")
def client_set_connection_type(
    ctx: typer.Context,
    client: ClientArg,
    connection_type: Annotated[ConnectionType, typer.Argument(help="HTTP, HTTPS, HTTPS_NO_AUTH.")],
    as_json: JsonOption = False,
) -> None:
    """Set how the client's information systems must connect."""

    def work(api: AdminClient) -> Result:
        body = {"connection_type": connection_type.value}
        data = api.call("PATCH", client_path(client), body=body).json()
        return Result(f"Client {data.get('id')}: {data.get('connection_type')}", data)

    run(ctx, as_json, work)


# ------------------------------------------------------------------------ TLS certificates


@tls_app.command("add")
def tls_add(ctx: typer.Context, client: ClientArg, file: Path, as_json: JsonOption = False) -> None:
    """Trust an information system's TLS certificate (PEM or DER) for the client."""

    def work(api: AdminClient) -> Result:
        data = read_file(file, "certificate", MAX_CERT)
        kind = "application/x-pem-file" if b"-----BEGIN" in data else "application/pkix-cert"
        path = client_path(client, "/tls-certificates")
        found = api.call("POST", path, raw=data, content_type=kind).json()
        return Result(f"TLS certificate added\n{fields(found)}", found)

    run(ctx, as_json, work)


@tls_app.command("list")
def tls_list(ctx: typer.Context, client: ClientArg, as_json: JsonOption = False) -> None:
    """List the client's trusted TLS certificates."""

    def work(api: AdminClient) -> Result:
        data = api.call("GET", client_path(client, "/tls-certificates")).json()
        return Result(records(data), data)

    run(ctx, as_json, work)


@tls_app.command("delete")
def tls_delete(
    ctx: typer.Context,
    client: ClientArg,
    sha256: Annotated[str, typer.Argument(help="The certificate's SHA-256, hex.")],
    as_json: JsonOption = False,
) -> None:
    """Stop trusting a TLS certificate."""

    def path() -> str:
        return client_path(client, f"/tls-certificates/{segment(sha256.lower())}")

    _client(ctx, as_json, "DELETE", path, f"TLS certificate {sha256} deleted")


# ------------------------------------------------------------------------ local groups


def group_path(client: str, code: str, tail: str = "") -> str:
    return client_path(client, f"/local-groups/{segment(code)}{tail}")


@group_app.command("list")
def group_list(ctx: typer.Context, client: ClientArg, as_json: JsonOption = False) -> None:
    """List the client's local groups and their members."""

    def work(api: AdminClient) -> Result:
        data = api.call("GET", client_path(client, "/local-groups")).json()
        return Result(records(data, ("code", "description", "members")), data)

    run(ctx, as_json, work)


@group_app.command("add")
def group_add(
    ctx: typer.Context,
    client: ClientArg,
    code: str,
    description: Annotated[str, typer.Option("--description", help="What the group is for.")],
    as_json: JsonOption = False,
) -> None:
    """Add a local group."""

    def work(api: AdminClient) -> Result:
        body = {"code": code, "description": description}
        data = api.call("POST", client_path(client, "/local-groups"), body=body).json()
        return Result(f"Local group {code} added", data)

    run(ctx, as_json, work)


@group_app.command("delete")
def group_delete(
    ctx: typer.Context, client: ClientArg, code: str, as_json: JsonOption = False
) -> None:
    """Delete a local group."""
    _client(ctx, as_json, "DELETE", lambda: group_path(client, code), f"Local group {code} deleted")


def _member(
    ctx: typer.Context, *, as_json: bool, method: str, client: str, code: str, member: str
) -> None:
    def work(api: AdminClient) -> Result:
        body = {"member": client_id(member).to_colon()}
        data = api.call(method, group_path(client, code, "/members"), body=body).json()
        verb = "added to" if method == "POST" else "removed from"
        return Result(f"{member} {verb} local group {code}", data)

    run(ctx, as_json, work)


@group_app.command("add-member")
def group_add_member(
    ctx: typer.Context,
    client: ClientArg,
    code: str,
    member: Annotated[str, typer.Argument(help="INST:CLASS:CODE[:SUBSYSTEM]")],
    as_json: JsonOption = False,
) -> None:
    """Add a member or subsystem to a local group."""
    _member(ctx, as_json=as_json, method="POST", client=client, code=code, member=member)


@group_app.command("remove-member")
def group_remove_member(
    ctx: typer.Context,
    client: ClientArg,
    code: str,
    member: Annotated[str, typer.Argument(help="INST:CLASS:CODE[:SUBSYSTEM]")],
    as_json: JsonOption = False,
) -> None:
    """Remove a member or subsystem from a local group."""
    _member(ctx, as_json=as_json, method="DELETE", client=client, code=code, member=member)
