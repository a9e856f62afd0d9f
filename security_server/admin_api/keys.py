"""API keys of the security server's admin REST API: the five roles of the security server
user guide, over the shared store of :mod:`server_kit.admin_api.keys` (SHA-256 hashes, shown
once, revocable, written to the server configuration's audit log in the same transaction)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.serverconf.errors import conflict, invalid, not_found
from security_server.storage import tables as t
from server_kit.admin_api import keys as kit
from server_kit.admin_api.keys import KEY_PREFIX, key_hash, parse_authorization
from vdx.clock import utc_now

__all__ = [
    "KEY_PREFIX",
    "ApiKeyInfo",
    "ApiKeyStore",
    "Role",
    "key_hash",
    "parse_authorization",
    "parse_roles",
]


class Role(enum.StrEnum):
    """The security server's user roles (security server user guide §2.1, user roles)."""

    SECURITY_OFFICER = "security-officer"  # token, keys, certificates
    REGISTRATION_OFFICER = "registration-officer"  # clients and their registration
    SERVICE_ADMINISTRATOR = "service-administrator"  # services, access rights, local groups
    SYSTEM_ADMINISTRATOR = "system-administrator"  # initialisation, API keys
    OBSERVER = "observer"  # reads only


ApiKeyInfo = kit.ApiKeyInfo[Role]
_SCHEMA = kit.KeySchema(
    Role, t.api_keys, t.audit_log, invalid=invalid, conflict=conflict, not_found=not_found
)


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    return kit.parse_roles(names, Role, invalid)


class ApiKeyStore(kit.ApiKeyStore[Role]):
    """``ApiKeyStore(engine, clock=utc_now)``: create, list, revoke and authenticate keys;
    every change names its ``actor``."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], dt.datetime] = utc_now) -> None:
        super().__init__(_SCHEMA, engine, clock)
