"""Errors of an admin REST API and their one rendering: ``{"status", "error": {code, message}}``.

A server's own refusals map by their code's text to a status (its table); aiohttp's own HTTP
errors (no route, wrong method, body too large) keep their status; anything else, and a code
the server's table does not map, is a 500 with a fixed message, logged with its trace
server-side and never sent to the client (ARCHITECTURE rule 3).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware

_HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}
MAX_MESSAGE = 500
_E = TypeVar("_E", bound=Exception)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A refused API call: HTTP status, a stable code and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> web.Response:
    body = {"status": status, "error": {"code": code, "message": message[:MAX_MESSAGE]}}
    response = web.json_response(body, status=status, dumps=json.dumps)
    if status == 401:
        response.headers["WWW-Authenticate"] = "X-Road-ApiKey"
    return response


def _internal() -> web.Response:
    return error_response(500, "internal", "Internal error; see the server log")


def error_middleware(
    refusal: type[_E],
    describe: Callable[[_E], tuple[str, str]],
    statuses: Mapping[str, int],
    log: Any,
) -> Middleware:
    """The middleware rendering every error of one server's API.

    ``refusal`` is the server's own error type, ``describe`` gives its (code, message) and
    ``statuses`` maps the code's text to the HTTP status; ``log`` is the server's structlog
    logger, which records what the client is not shown.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error.status, error.code, error.message)
        except refusal as error:
            code, message = describe(error)
            status = statuses.get(code)
            if status is None:
                log.error("admin_api_unmapped_code", code=code, path=request.path)
                return _internal()
            return error_response(status, code, message)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            code = _HTTP_CODES.get(error.status, "error")
            return error_response(error.status, code, error.reason)
        except Exception:  # the boundary: log the trace here, send none of it
            log.exception("admin_api_error", method=request.method, path=request.path)
            return _internal()

    return middleware
