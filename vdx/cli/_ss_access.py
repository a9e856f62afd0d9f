"""``vdx ss access ...``: who may call a service (ug-ss §7, access rights).

A subject is a client (``INST:CLASS:CODE[:SUB]``), a global group (``globalgroup:INST:CODE``)
or one of the provider's local groups (``localgroup:CODE``); for REST services a right can be
narrowed to one endpoint (``--method``, ``--path``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from vdx.cli._ss_services import ServiceArg, call, service_path
from vdx.cli._ss_session import JsonOption, records

access_app = typer.Typer(help="Access rights to services.", no_args_is_help=True)

MethodOption = Annotated[str | None, typer.Option("--method", help="HTTP method, or *.")]
PathOption = Annotated[str | None, typer.Option("--path", help="Path pattern, e.g. /pets/*.")]

# ------------------------------------------------------------------------ access rights


@access_app.command("list")
def access_list(ctx: typer.Context, service: ServiceArg, as_json: JsonOption = False) -> None:
    """List who may call a service."""
    columns = ("subject", "method", "path", "granted_at")
    path = lambda: service_path(service, "/access-rights")  # noqa: E731 - a deferred path
    call(ctx, as_json, "GET", path, lambda data: records(data, columns))


def _access(
    ctx: typer.Context,
    *,
    as_json: bool,
    method: str,
    service: str,
    subject: str,
    http_method: str | None,
    path: str | None,
) -> None:
    body = {"subject": subject}
    if http_method is not None:
        body["method"] = http_method
    if path is not None:
        body["path"] = path
    verb = "granted to" if method == "POST" else "revoked from"
    done = f"Access to {service} {verb} {subject}"
    target = lambda: service_path(service, "/access-rights")  # noqa: E731 - a deferred path
    call(ctx, as_json, method, target, lambda _: done, body=body)


SubjectOption = Annotated[
    str,
    typer.Option(
        "--subject", help="INST:CLASS:CODE[:SUB], globalgroup:INST:CODE or localgroup:CODE."
    ),
]


@access_app.command("grant")
def access_grant(
    ctx: typer.Context,
    *,
    service: ServiceArg,
    subject: SubjectOption,
    method: MethodOption = None,
    path: PathOption = None,
    as_json: JsonOption = False,
) -> None:
    """Allow a subject to call a service (REST: optionally one endpoint)."""
    _access(
        ctx,
        as_json=as_json,
        method="POST",
        service=service,
        subject=subject,
        http_method=method,
        path=path,
    )


@access_app.command("revoke")
def access_revoke(
    ctx: typer.Context,
    *,
    service: ServiceArg,
    subject: SubjectOption,
    method: MethodOption = None,
    path: PathOption = None,
    as_json: JsonOption = False,
) -> None:
    """Take back a subject's right to call a service."""
    _access(
        ctx,
        as_json=as_json,
        method="DELETE",
        service=service,
        subject=subject,
        http_method=method,
        path=path,
    )
