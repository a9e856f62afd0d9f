"""``vdx ss token|key|cert ...``: the software token, its keys and their certificates.

The order of onboarding (ug-ss §3): log in to the token, generate an auth key and a sign key,
make a CSR for each, have the CA sign them, import the certificates, register the auth
certificate with the central server, then activate it once the registration is approved.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from vdx.cli._ss_http import AdminClient, segment
from vdx.cli._ss_pin import PinFileOption, PinOption, read_pin
from vdx.cli._ss_session import (
    JsonOption,
    Result,
    fields,
    member_id,
    read_file,
    refused,
    run,
    table,
    usage,
)

token_app = typer.Typer(help="The software token holding the keys.", no_args_is_help=True)
key_app = typer.Typer(help="Authentication and signing keys.", no_args_is_help=True)
cert_app = typer.Typer(help="Certificates of the keys.", no_args_is_help=True)

MAX_CERT = 64 * 1024  # a DER or PEM certificate is a few kilobytes


class Usage(StrEnum):
    AUTH = "auth"
    SIGN = "sign"


def request_text(data: Any) -> str:
    """A management request the central server accepted (pr-mserv)."""
    return (
        f"Management request {data.get('request_id')} ({data.get('type')}) "
        f"sent to {data.get('sent_to')}"
    )


def cert_text(data: Any) -> str:
    return fields(data)


def token_text(data: Any) -> str:
    state = "logged in" if data.get("logged_in") else "logged out"
    rows: list[tuple[str, ...]] = []
    for key in data.get("keys") or []:
        certs = key.get("certificates") or []
        rows.append((key.get("id", ""), key.get("usage", ""), key.get("label", ""), "", ""))
        rows.extend(
            (
                "",
                "",
                f"  cert {str(c.get('id', ''))[:16]}",
                str(c.get("status", "")),
                "active" if c.get("active") else "inactive",
            )
            for c in certs
        )
    header = ("KEY", "USAGE", "LABEL / CERTIFICATE", "STATUS", "ACTIVE")
    return f"Token {data.get('id')} ({state})\n" + table(rows, header)


# ------------------------------------------------------------------------ token


@token_app.command("login")
def token_login(
    ctx: typer.Context,
    pin: PinOption = None,
    pin_file: PinFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Log in to the token (the PIN is kept in the server's memory only)."""

    def work(api: AdminClient) -> Result:
        api.call("POST", "/tokens/login", body={"pin": read_pin(pin, pin_file, confirm=False)})
        return Result("Token logged in", None)

    run(ctx, as_json, work)


@token_app.command("logout")
def token_logout(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Log out of the token: signing stops until the next login."""

    def work(api: AdminClient) -> Result:
        api.call("POST", "/tokens/logout")
        return Result("Token logged out", None)

    run(ctx, as_json, work)


@token_app.command("show")
def token_show(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the token with its keys and their certificates."""

    def work(api: AdminClient) -> Result:
        data = api.call("GET", "/tokens").json()
        return Result(token_text(data), data)

    run(ctx, as_json, work)


# ------------------------------------------------------------------------ keys


@key_app.command("add")
def key_add(
    ctx: typer.Context,
    key_usage: Annotated[Usage, typer.Option("--usage", help="auth or sign.")],
    label: Annotated[str, typer.Option("--label", help="A label for people.")],
    algorithm: Annotated[
        str | None, typer.Option("--algorithm", help="Key algorithm (the API's default: RSA2048).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a key on the token (the token must be logged in)."""

    def work(api: AdminClient) -> Result:
        body = {"usage": key_usage.value, "label": label}
        if algorithm is not None:
            body["algorithm"] = algorithm
        data = api.call("POST", "/keys", body=body).json()
        text = f"Key {data.get('id')} ({data.get('usage')}, {data.get('label')!r}) generated"
        return Result(text, data)

    run(ctx, as_json, work)


@key_app.command("delete")
def key_delete(ctx: typer.Context, key_id: str, as_json: JsonOption = False) -> None:
    """Delete a key and its certificates from the token."""

    def work(api: AdminClient) -> Result:
        api.call("DELETE", f"/keys/{segment(key_id)}")
        return Result(f"Key {key_id} deleted", None)

    run(ctx, as_json, work)


@key_app.command("csr")
def key_csr(
    ctx: typer.Context,
    key_id: str,
    out: Annotated[Path, typer.Option("--out", help="Where to write the PEM CSR ('-': stdout).")],
    member: Annotated[
        str | None,
        typer.Option("--member", help="Sign keys: the member INST:CLASS:CODE the CSR is for."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a certificate signing request (PKCS#10) for a key, for the CA."""

    def work(api: AdminClient) -> Result:
        body = {} if member is None else {"member": member_id(member).to_colon()}
        reply = api.call("POST", f"/keys/{segment(key_id)}/csr", body=body)
        pem = reply.text()
        if "-----BEGIN CERTIFICATE REQUEST-----" not in pem:
            raise refused("the API did not answer a PEM certificate request")
        if str(out) == "-":
            sys.stdout.write(pem)
            return Result("", None)
        try:
            out.write_text(pem, encoding="ascii")
        except OSError as error:
            raise usage(f"Cannot write {out}: {error.strerror or error}") from None
        return Result(f"CSR of key {key_id} written to {out}", {"key_id": key_id, "file": str(out)})

    run(ctx, as_json, work)


# ------------------------------------------------------------------------ certificates


@cert_app.command("import")
def cert_import(ctx: typer.Context, file: Path, as_json: JsonOption = False) -> None:
    """Import a certificate the CA issued (PEM or DER) onto its key."""

    def work(api: AdminClient) -> Result:
        data = read_file(file, "certificate", MAX_CERT)
        kind = "application/x-pem-file" if b"-----BEGIN" in data else "application/pkix-cert"
        found = api.call("POST", "/certificates", raw=data, content_type=kind).json()
        text = f"Certificate {found.get('id')} imported\n" + cert_text(found)
        return Result(text, found)

    run(ctx, as_json, work)


def _cert_action(ctx: typer.Context, as_json: bool, method: str, path: str, done: str) -> None:
    def work(api: AdminClient) -> Result:
        found = api.call(method, path).json()
        if found is None:
            return Result(done, None)
        return Result(f"{done}\n{cert_text(found)}" if done else cert_text(found), found)

    run(ctx, as_json, work)


@cert_app.command("show")
def cert_show(ctx: typer.Context, cert_id: str, as_json: JsonOption = False) -> None:
    """Show a certificate with its status and OCSP status."""
    _cert_action(ctx, as_json, "GET", f"/certificates/{segment(cert_id)}", "")


@cert_app.command("activate")
def cert_activate(ctx: typer.Context, cert_id: str, as_json: JsonOption = False) -> None:
    """Activate a certificate (auth: after its registration was approved)."""
    path = f"/certificates/{segment(cert_id)}/activate"
    _cert_action(ctx, as_json, "POST", path, f"Certificate {cert_id} activated")


@cert_app.command("disable")
def cert_disable(ctx: typer.Context, cert_id: str, as_json: JsonOption = False) -> None:
    """Disable a certificate: it is kept but not used."""
    path = f"/certificates/{segment(cert_id)}/disable"
    _cert_action(ctx, as_json, "POST", path, f"Certificate {cert_id} disabled")


@cert_app.command("delete")
def cert_delete(ctx: typer.Context, cert_id: str, as_json: JsonOption = False) -> None:
    """Delete a certificate from the token."""
    path = f"/certificates/{segment(cert_id)}"
    _cert_action(ctx, as_json, "DELETE", path, f"Certificate {cert_id} deleted")


@cert_app.command("register")
def cert_register(
    ctx: typer.Context,
    cert_id: str,
    address: Annotated[str, typer.Option("--address", help="Host name or IP of this server.")],
    as_json: JsonOption = False,
) -> None:
    """Send the auth certificate's registration request to the central server."""

    def work(api: AdminClient) -> Result:
        path = f"/certificates/{segment(cert_id)}/register"
        data = api.call("POST", path, body={"address": address}).json()
        return Result(request_text(data), data)

    run(ctx, as_json, work)


@cert_app.command("unregister")
def cert_unregister(ctx: typer.Context, cert_id: str, as_json: JsonOption = False) -> None:
    """Send the auth certificate's deletion request to the central server."""

    def work(api: AdminClient) -> Result:
        data = api.call("POST", f"/certificates/{segment(cert_id)}/unregister").json()
        return Result(request_text(data), data)

    run(ctx, as_json, work)
