"""Errors of the central server's admin REST API, rendered by :mod:`server_kit.admin_api.errors`
as ``{"status", "error": {code, message}}``.

Registry errors map by code (not_found 404, conflict 409, invalid 400); aiohttp's own HTTP
errors keep their status; anything else is a 500 with a fixed message, logged with its trace
server-side and never sent to the client.
"""

from __future__ import annotations

import structlog

from central_server.registry import ErrorCode, RegistryError
from server_kit.admin_api.errors import ApiError, error_response
from server_kit.admin_api.errors import error_middleware as _error_middleware

__all__ = ["REGISTRY_STATUS", "ApiError", "error_middleware", "error_response"]

log = structlog.get_logger("central_server.admin_api")

REGISTRY_STATUS: dict[str, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID: 400,
}


def _describe(error: RegistryError) -> tuple[str, str]:
    return error.code.value, error.message


error_middleware = _error_middleware(RegistryError, _describe, REGISTRY_STATUS, log)
