"""API keys of the central server's admin REST API: its roles, over the shared store of
:mod:`server_kit.admin_api.keys` (SHA-256 hashes, shown once, revocable, audit-logged in the
same transaction as every registry change)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncEngine

from central_server.registry.errors import conflict, invalid, not_found
from central_server.storage import tables as t
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
    """The central server's roles (X-Road central server user guide, user roles)."""

    REGISTRATION_OFFICER = "registration-officer"  # members, subsystems, servers, groups
    SECURITY_OFFICER = "security-officer"  # approved CAs, TSAs, signing keys
    SYSTEM_ADMINISTRATOR = "system-administrator"  # instance, classes, parameters, API keys


ApiKeyInfo = kit.ApiKeyInfo[Role]
_SCHEMA = kit.KeySchema(
    Role, t.api_keys, t.audit_log, invalid=invalid, conflict=conflict, not_found=not_found
)


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    return kit.parse_roles(names, Role, invalid)


class ApiKeyStore(kit.ApiKeyStore[Role]):
    """``ApiKeyStore(engine, clock=utc_now)``: create, list, revoke and authenticate keys."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], dt.datetime] = utc_now) -> None:
        super().__init__(_SCHEMA, engine, clock)

    async def create(
        self, name: str, roles: Iterable[Role | str], *, actor: str = "system"
    ) -> tuple[ApiKeyInfo, str]:
        return await super().create(name, roles, actor=actor)

    async def revoke(self, key_id: int, *, actor: str = "system") -> ApiKeyInfo:
        return await super().revoke(key_id, actor=actor)
