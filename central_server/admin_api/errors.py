"""Errors of the admin REST API and their one rendering: ``{"status", "error": {code, message}}``.

Registry errors map by code (not_found 404, conflict 409, invalid 400); aiohttp's own HTTP
errors (no route, wrong method, body too large) keep their status; anything else is a 500 with
a fixed message, logged with its trace server-side and never sent to the client.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from central_server.registry import ErrorCode, RegistryError

log = structlog.get_logger("central_server.admin_api")

REGISTRY_STATUS = {ErrorCode.NOT_FOUND: 404, ErrorCode.CONFLICT: 409, ErrorCode.INVALID: 400}
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


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message)
    except RegistryError as error:
        return error_response(REGISTRY_STATUS[error.code], error.code.value, error.message)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _HTTP_CODES.get(error.status, "error")
        return error_response(error.status, code, error.reason)
    except Exception:  # the boundary: log the trace here, send none of it
        log.exception("admin_api_error", method=request.method, path=request.path)
        return error_response(500, "internal", "Internal error; see the server log")
