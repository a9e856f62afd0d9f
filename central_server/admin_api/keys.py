"""API keys of the admin REST API: created with roles, stored as SHA-256 hashes, revocable.

The plaintext key is returned once by :meth:`ApiKeyStore.create` and never stored. Keys are
256-bit random tokens, so looking one up by its hash leaks nothing useful through timing.
Creating and revoking a key writes an audit-log row in the same transaction, as every registry
change does.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from central_server.registry.errors import conflict, invalid, not_found
from central_server.storage import tables as t
from vdx.clock import utc_now

KEY_PREFIX = "vdx_"
# Key names become audit-log actors: no ':' so a key cannot pose as ``cli:<user>``.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# The reference admin APIs' header form: ``Authorization: X-Road-ApiKey token=<key>``.
_AUTHORIZATION = re.compile(r"\s*X-Road-ApiKey\s+token=(\S+)\s*", re.IGNORECASE)


class Role(enum.StrEnum):
    """The central server's roles (X-Road central server user guide, user roles)."""

    REGISTRATION_OFFICER = "registration-officer"  # members, subsystems, servers, groups
    SECURITY_OFFICER = "security-officer"  # approved CAs, TSAs, signing keys
    SYSTEM_ADMINISTRATOR = "system-administrator"  # instance, classes, parameters, API keys


_ROLE_NAMES = frozenset(r.value for r in Role)


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    id: int
    name: str
    roles: frozenset[Role]
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def parse_authorization(header: str | None) -> str | None:
    """The key of an ``X-Road-ApiKey token=...`` header; ``None`` when absent or malformed."""
    if header is None or len(header) > 512:
        return None
    match = _AUTHORIZATION.fullmatch(header)
    return None if match is None else match.group(1)


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise invalid(f"Unknown role {name[:60]!r}; known: {known}") from None
    if not roles:
        raise invalid("An API key needs at least one role")
    return frozenset(roles)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _info(row: Any) -> ApiKeyInfo:  # an api_keys row: id, name, roles, created, revoked
    key_id, name, roles, created, revoked = row
    created_at = _utc(created)
    assert created_at is not None  # noqa: S101 - the column is NOT NULL
    return ApiKeyInfo(
        key_id,
        name,
        frozenset(Role(r) for r in roles if r in _ROLE_NAMES),
        created_at,
        _utc(revoked),
    )


class ApiKeyStore:
    """``ApiKeyStore(engine, clock=utc_now)``: create, list, revoke and authenticate keys."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    async def create(
        self, name: str, roles: Iterable[Role | str], *, actor: str = "system"
    ) -> tuple[ApiKeyInfo, str]:
        """A new key: its description and the plaintext key, shown to the caller once."""
        if not _NAME.fullmatch(name):
            raise invalid("An API key name is 1-64 letters, digits, '.', '_' or '-'")
        granted = parse_roles(str(r) for r in roles)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        role_list = sorted(r.value for r in granted)
        try:
            async with self._engine.begin() as conn:
                taken = await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(t.api_keys)
                    .where(t.api_keys.c.name == name)
                )
                if taken:
                    raise conflict(f"An API key named {name!r} already exists")
                key_id = (
                    await conn.execute(
                        t.api_keys.insert()
                        .values(name=name, key_hash=key_hash(key), roles=role_list, created_at=now)
                        .returning(t.api_keys.c.id)
                    )
                ).scalar_one()
                await self._audit(conn, actor, "create_api_key", name, {"roles": role_list})
        except IntegrityError:
            raise conflict(f"An API key named {name!r} already exists") from None
        return ApiKeyInfo(key_id, name, granted, now), key

    async def list(self) -> list[ApiKeyInfo]:
        keys = t.api_keys
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                sa.select(
                    keys.c.id, keys.c.name, keys.c.roles, keys.c.created_at, keys.c.revoked_at
                ).order_by(keys.c.id)
            )
            return [_info(row) for row in rows]

    async def revoke(self, key_id: int, *, actor: str = "system") -> ApiKeyInfo:
        keys = t.api_keys
        now = self._clock()
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        keys.c.id, keys.c.name, keys.c.roles, keys.c.created_at, keys.c.revoked_at
                    ).where(keys.c.id == key_id)
                )
            ).first()
            if row is None:
                raise not_found(f"API key {key_id} does not exist")
            if row.revoked_at is not None:
                raise conflict(f"API key {key_id} is already revoked")
            await conn.execute(keys.update().where(keys.c.id == key_id).values(revoked_at=now))
            await self._audit(conn, actor, "revoke_api_key", row.name, {"id": key_id})
        info = _info(row)
        return ApiKeyInfo(info.id, info.name, info.roles, info.created_at, now)

    async def authenticate(self, key: str) -> ApiKeyInfo | None:
        """The active key ``key`` is, or ``None``."""
        keys = t.api_keys
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        keys.c.id, keys.c.name, keys.c.roles, keys.c.created_at, keys.c.revoked_at
                    ).where(keys.c.key_hash == key_hash(key), keys.c.revoked_at.is_(None))
                )
            ).first()
        return None if row is None else _info(row)

    async def _audit(
        self,
        conn: AsyncConnection,
        actor: str,
        action: str,
        target: str,
        details: dict[str, object],
    ) -> None:
        if not actor.strip():
            raise invalid("actor must not be empty")
        await conn.execute(
            t.audit_log.insert().values(
                at=self._clock(), actor=actor, action=action, target=target, details=details
            )
        )
