"""``vdx ss description|service ...``: what a client provides.

A service description (WSDL, OpenAPI 3 or a plain REST base URL) brings the client's services;
each service then gets its backend URL, timeout and TLS check, REST services their endpoints
(ug-ss §6). Who may call them is ``vdx ss access`` (:mod:`vdx.cli._ss_access`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer

from vdx.cli._ss_clients import ClientArg, client_path
from vdx.cli._ss_http import AdminClient, segment
from vdx.cli._ss_session import (
    JsonOption,
    Result,
    cell,
    fields,
    run,
    table,
    usage,
)
from vdx.errors import XRoadError
from vdx.identifiers import parse_service

description_app = typer.Typer(help="Service descriptions of a client.", no_args_is_help=True)
service_app = typer.Typer(help="Services: backend URL, timeout, endpoints.", no_args_is_help=True)
endpoint_app = typer.Typer(help="Endpoints of a REST service.", no_args_is_help=True)
service_app.add_typer(endpoint_app, name="endpoint")

ServiceArg = Annotated[str, typer.Argument(help="INST:CLASS:CODE[:SUB]:SERVICECODE[.VERSION]")]
DescriptionArg = Annotated[int, typer.Argument(help="The description's id.")]


class DescriptionType(StrEnum):
    WSDL = "WSDL"
    OPENAPI3 = "OPENAPI3"
    REST = "REST"


def service_path(service: str, tail: str = "") -> str:
    try:
        parsed = parse_service(service, ":")
    except XRoadError as error:
        raise usage(f"{service!r:.80}: {error.message}") from None
    return f"/services/{segment(parsed.to_colon())}{tail}"


def description_text(data: Any) -> str:
    lines = [fields(data, skip=("services", "changes"))]
    services = data.get("services") or []
    rows = [(s.get("id", ""), s.get("url", ""), cell(s.get("timeout"))) for s in services]
    lines.append(table(rows, ("SERVICE", "URL", "TIMEOUT")))
    changes = data.get("changes")
    if isinstance(changes, dict):
        lines.append(f"Added:    {cell(changes.get('added')) or '-'}")
        lines.append(f"Removed:  {cell(changes.get('removed')) or '-'}")
    return "\n".join(lines)


def call(
    ctx: typer.Context,
    as_json: bool,
    method: str,
    path: Callable[[], str],
    render: Callable[[Any], str],
    *,
    body: Any = None,
) -> None:
    # ``path`` is called inside ``run`` so that a bad identifier exits 2 with its message.
    def work(api: AdminClient) -> Result:
        data = api.call(method, path(), body=body).json()
        return Result(render(data), data)

    run(ctx, as_json, work)


# ------------------------------------------------------------------------ descriptions


@description_app.command("list")
def description_list(ctx: typer.Context, client: ClientArg, as_json: JsonOption = False) -> None:
    """List the client's service descriptions."""

    def render(data: Any) -> str:
        rows = [
            (
                cell(d.get("id")),
                cell(d.get("type")),
                cell(d.get("url")),
                "disabled" if d.get("disabled") else "enabled",
                ", ".join(s.get("service_code", "") for s in d.get("services") or []),
            )
            for d in data or []
        ]
        return table(rows, ("ID", "TYPE", "URL", "STATE", "SERVICES"))

    path = lambda: client_path(client, "/service-descriptions")  # noqa: E731 - a deferred path
    call(ctx, as_json, "GET", path, render)


@description_app.command("add")
def description_add(
    ctx: typer.Context,
    *,
    client: ClientArg,
    kind: Annotated[DescriptionType, typer.Option("--type", help="WSDL, OPENAPI3 or REST.")],
    url: Annotated[str, typer.Option("--url", help="Where the server downloads it from.")],
    service_code: Annotated[
        str | None, typer.Option("--service-code", help="OPENAPI3 and REST: the service code.")
    ] = None,
    service_url: Annotated[
        str | None,
        typer.Option("--service-url", help="OPENAPI3: the backend URL if the document has none."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a service description; the server downloads WSDL and OpenAPI documents."""
    body: dict[str, Any] = {"type": kind.value, "url": url}
    if service_code is not None:
        body["service_code"] = service_code
    if service_url is not None:
        body["service_url"] = service_url
    path = lambda: client_path(client, "/service-descriptions")  # noqa: E731 - a deferred path
    call(ctx, as_json, "POST", path, lambda d: described(d, "added"), body=body)


def _past(action: str) -> str:
    return {"refresh": "refreshed", "enable": "enabled", "disable": "disabled"}[action]


def described(data: Any, done: str) -> str:
    return f"Service description {data.get('id')} {done}\n{description_text(data)}"


def _description(ctx: typer.Context, as_json: bool, number: int, action: str, body: Any) -> None:
    call(
        ctx,
        as_json,
        "POST",
        lambda: f"/service-descriptions/{number}/{action}",
        lambda d: described(d, _past(action)),
        body=body,
    )


@description_app.command("refresh")
def description_refresh(
    ctx: typer.Context, number: DescriptionArg, as_json: JsonOption = False
) -> None:
    """Download the description again and update its services."""
    _description(ctx, as_json, number, "refresh", None)


@description_app.command("enable")
def description_enable(
    ctx: typer.Context, number: DescriptionArg, as_json: JsonOption = False
) -> None:
    """Enable the description's services."""
    _description(ctx, as_json, number, "enable", None)


@description_app.command("disable")
def description_disable(
    ctx: typer.Context,
    number: DescriptionArg,
    notice: Annotated[
        str | None, typer.Option("--notice", help="Told to callers while disabled.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Disable the description's services (callers get the notice)."""
    _description(ctx, as_json, number, "disable", {} if notice is None else {"notice": notice})


@description_app.command("delete")
def description_delete(
    ctx: typer.Context, number: DescriptionArg, as_json: JsonOption = False
) -> None:
    """Delete the description with its services and their access rights."""
    path = lambda: f"/service-descriptions/{number}"  # noqa: E731 - a deferred path
    call(ctx, as_json, "DELETE", path, lambda _: f"Service description {number} deleted")


# ------------------------------------------------------------------------ services


def service_text(data: Any) -> str:
    lines = [fields(data, skip=("endpoints",))]
    rows = [
        (e.get("method", ""), e.get("path", ""), "generated" if e.get("generated") else "")
        for e in data.get("endpoints") or []
    ]
    if rows:
        lines.append(table(rows, ("METHOD", "PATH", "")))
    return "\n".join(lines)


@service_app.command("show")
def service_show(ctx: typer.Context, service: ServiceArg, as_json: JsonOption = False) -> None:
    """Show a service: backend URL, timeout, TLS check, endpoints."""
    call(ctx, as_json, "GET", lambda: service_path(service), service_text)


@service_app.command("set")
def service_set(
    ctx: typer.Context,
    *,
    service: ServiceArg,
    url: Annotated[str | None, typer.Option("--url", help="The backend URL.")] = None,
    timeout: Annotated[
        int | None, typer.Option("--timeout", min=1, max=86400, help="Seconds.")
    ] = None,
    tls_verify: Annotated[
        bool | None,
        typer.Option("--tls-verify/--no-tls-verify", help="Check the backend's certificate."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a service's backend URL, timeout or TLS check."""
    body = {
        k: v
        for k, v in (("url", url), ("timeout", timeout), ("tls_verify", tls_verify))
        if v is not None
    }
    if not body:
        raise typer.BadParameter("give --url, --timeout or --[no-]tls-verify")
    call(ctx, as_json, "PATCH", lambda: service_path(service), service_text, body=body)


def _endpoint(
    ctx: typer.Context,
    *,
    as_json: bool,
    method: str,
    service: str,
    verb: str,
    http_method: str,
    path: str,
) -> None:
    body = {"method": http_method, "path": path}
    done = f"Endpoint {http_method} {path} {verb}"
    target = lambda: service_path(service, "/endpoints")  # noqa: E731 - a deferred path
    call(ctx, as_json, method, target, lambda _: done, body=body)


@endpoint_app.command("add")
def endpoint_add(
    ctx: typer.Context,
    service: ServiceArg,
    method: Annotated[str, typer.Option("--method", help="HTTP method, or *.")],
    path: Annotated[str, typer.Option("--path", help="Path pattern, e.g. /pets/*.")],
    as_json: JsonOption = False,
) -> None:
    """Add an endpoint to a REST service."""
    _endpoint(
        ctx,
        as_json=as_json,
        method="POST",
        service=service,
        verb="added",
        http_method=method,
        path=path,
    )


@endpoint_app.command("delete")
def endpoint_delete(
    ctx: typer.Context,
    service: ServiceArg,
    method: Annotated[str, typer.Option("--method", help="HTTP method, or *.")],
    path: Annotated[str, typer.Option("--path", help="Path pattern.")],
    as_json: JsonOption = False,
) -> None:
    """Delete an endpoint of a REST service."""
    _endpoint(
        ctx,
        as_json=as_json,
        method="DELETE",
        service=service,
        verb="deleted",
        http_method=method,
        path=path,
    )
