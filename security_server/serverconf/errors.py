"""The server configuration's error type; its code maps to an HTTP status in the admin API."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    """What went wrong, for the boundary to map (404 / 409 / 400 / 503)."""

    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    # A party this server depends on cannot answer now: the central server is unreachable,
    # or there is no global configuration yet (the admin API answers 503).
    UNAVAILABLE = "unavailable"


class ServerConfError(Exception):
    """A refused server-configuration operation; nothing was written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = ErrorCode(code)
        self.message = message


class DescriptionError(ServerConfError):
    """A WSDL or OpenAPI document that cannot be used: the one error its parsers raise."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INVALID, message)


def not_found(message: str) -> ServerConfError:
    return ServerConfError(ErrorCode.NOT_FOUND, message)


def conflict(message: str) -> ServerConfError:
    return ServerConfError(ErrorCode.CONFLICT, message)


def invalid(message: str) -> ServerConfError:
    return ServerConfError(ErrorCode.INVALID, message)


def unavailable(message: str) -> ServerConfError:
    return ServerConfError(ErrorCode.UNAVAILABLE, message)
