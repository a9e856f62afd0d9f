"""An admin REST API as an aiohttp application, built from a server's operation table.

Every route is wrapped by :func:`guard`: the API key is checked (401), then the operation's
role (403), then the handler runs with the key's name as the audit-log actor. An operation
marked ``public`` needs no key and runs as ``anonymous``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from server_kit.admin_api.errors import ApiError, Handler
from server_kit.admin_api.http import MAX_BODY
from server_kit.admin_api.keys import ApiKeyInfo, parse_authorization
from server_kit.admin_api.routes import Operation, check_table

HandlerMethod = Callable[[web.Request, str], Awaitable[web.StreamResponse]]
Authenticate = Callable[[str], Awaitable[ApiKeyInfo[Any] | None]]


def guard(op: Operation, method: HandlerMethod, authenticate: Authenticate) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        if op.public:
            return await method(request, "anonymous")
        key = parse_authorization(request.headers.get("Authorization"))
        info = None if key is None else await authenticate(key)
        if info is None:
            raise ApiError(
                401, "unauthorized", "Send a valid key: Authorization: X-Road-ApiKey token=<key>"
            )
        if op.role is not None and op.role not in info.roles:
            raise ApiError(403, "forbidden", f"This needs the role {op.role.value}")
        return await method(request, info.name)

    return handle


def build_api(
    operations: tuple[Operation, ...],
    handlers: object,
    authenticate: Authenticate,
    *,
    middleware: Middleware,
    client_max_size: int = MAX_BODY,
) -> web.Application:
    """The API as its own application: one guarded route per operation, each calling the
    ``handlers`` method the operation names; to mount at the API's prefix."""
    check_table(operations)
    api = web.Application(client_max_size=client_max_size, middlewares=[middleware])
    for op in operations:
        method: HandlerMethod = getattr(handlers, op.handler)
        api.router.add_route(op.method, op.path, guard(op, method, authenticate), name=op.handler)
    return api


def mount(
    app: web.Application, prefix: str, api: web.Application, key: web.AppKey[web.Application]
) -> web.Application:
    """Mount ``api`` at ``prefix`` on ``app`` and keep it under ``key``; returns ``api``."""
    app.add_subapp(prefix, api)
    app[key] = api
    return api
