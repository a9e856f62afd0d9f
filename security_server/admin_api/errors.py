"""Errors of the security server's admin REST API, rendered by
:mod:`server_kit.admin_api.errors` as ``{"status", "error": {code, message}}``.

Server-configuration and onboarding errors map by code (not_found 404, conflict 409,
invalid 400, unavailable 503); aiohttp's own HTTP errors (no route, wrong method, body too
large) keep their status; anything else is a 500 with a fixed message, logged with its trace
server-side and never sent to the client (ARCHITECTURE rule 3).
"""

from __future__ import annotations

import structlog

from security_server.serverconf.errors import ServerConfError
from server_kit.admin_api.errors import ApiError, error_response
from server_kit.admin_api.errors import error_middleware as _error_middleware

__all__ = ["SERVERCONF_STATUS", "ApiError", "error_middleware", "error_response"]

log = structlog.get_logger("security_server.admin_api")

# By the code's text, so a code added to ErrorCode later is a 500 until mapped here.
SERVERCONF_STATUS = {"not_found": 404, "conflict": 409, "invalid": 400, "unavailable": 503}


def _describe(error: ServerConfError) -> tuple[str, str]:
    return error.code.value, error.message


error_middleware = _error_middleware(ServerConfError, _describe, SERVERCONF_STATUS, log)
