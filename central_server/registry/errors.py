"""The registry's one error type; its code maps to an HTTP status in the REST API later."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    """What went wrong, for the boundary to map (404 / 409 / 400)."""

    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"


class RegistryError(Exception):
    """A refused registry operation; nothing was written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = ErrorCode(code)
        self.message = message


def not_found(message: str) -> RegistryError:
    return RegistryError(ErrorCode.NOT_FOUND, message)


def conflict(message: str) -> RegistryError:
    return RegistryError(ErrorCode.CONFLICT, message)


def invalid(message: str) -> RegistryError:
    return RegistryError(ErrorCode.INVALID, message)
