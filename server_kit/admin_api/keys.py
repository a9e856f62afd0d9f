"""API keys of an admin REST API: created with roles, stored as SHA-256 hashes, revocable.

The plaintext key is returned once by :meth:`ApiKeyStore.create` and never stored. Keys are
256-bit random tokens, so looking one up by its hash leaks nothing useful through timing.
Creating and revoking a key writes an audit-log row in the same transaction, as every change
of the server's state does.

Each server passes what is its own in a :class:`KeySchema`: the role enum (its user guide's
roles), its ``api_keys`` and ``audit_log`` tables and its refusal constructors, so a refused
key operation raises the same error type as the rest of that server.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vdx.clock import utc_now

KEY_PREFIX = "vdx_"
# Key names become audit-log actors: no ':' so a key cannot pose as ``cli:<user>``.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# The reference admin APIs' header form: ``Authorization: X-Road-ApiKey token=<key>``.
_AUTHORIZATION = re.compile(r"\s*X-Road-ApiKey\s+token=(\S+)\s*", re.IGNORECASE)

R = TypeVar("R", bound=enum.StrEnum)
Refuse = Callable[[str], Exception]


@dataclass(frozen=True, slots=True)
class KeySchema(Generic[R]):
    """One server's side of its API keys: its roles, its tables (the same columns in both
    servers) and the constructors of its own refusals (its error type with a code)."""

    roles: type[R]
    api_keys: sa.Table
    audit_log: sa.Table
    invalid: Refuse
    conflict: Refuse
    not_found: Refuse


@dataclass(frozen=True, slots=True)
class ApiKeyInfo(Generic[R]):
    id: int
    name: str
    roles: frozenset[R]
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


def parse_roles(names: Iterable[str], roles: type[R], invalid: Refuse) -> frozenset[R]:
    """The roles named, each one of ``roles``; at least one."""
    found: set[R] = set()
    for name in names:
        try:
            found.add(roles(name))
        except ValueError:
            known = ", ".join(r.value for r in roles)
            raise invalid(f"Unknown role {name[:60]!r}; known: {known}") from None
    if not found:
        raise invalid("An API key needs at least one role")
    return frozenset(found)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class ApiKeyStore(Generic[R]):
    """``ApiKeyStore(schema, engine, clock=utc_now)``: create, list, revoke and authenticate
    the keys of one server's ``api_keys`` table; every change names its ``actor``."""

    def __init__(
        self,
        schema: KeySchema[R],
        engine: AsyncEngine,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._roles = schema.roles
        self._role_names = frozenset(r.value for r in schema.roles)
        self._keys = schema.api_keys
        self._audit_log = schema.audit_log
        self._schema = schema
        k = schema.api_keys.c
        self._columns = (k.id, k.name, k.roles, k.created_at, k.revoked_at)

    async def create(
        self, name: str, roles: Iterable[R | str], *, actor: str
    ) -> tuple[ApiKeyInfo[R], str]:
        """A new key: its description and the plaintext key, shown to the caller once."""
        if not _NAME.fullmatch(name):
            raise self._schema.invalid("An API key name is 1-64 letters, digits, '.', '_' or '-'")
        granted = parse_roles((str(r) for r in roles), self._roles, self._schema.invalid)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        role_list = sorted(r.value for r in granted)
        keys = self._keys
        try:
            async with self._engine.begin() as conn:
                taken = await conn.scalar(
                    sa.select(sa.func.count()).select_from(keys).where(keys.c.name == name)
                )
                if taken:
                    raise self._schema.conflict(f"An API key named {name!r} already exists")
                key_id = (
                    await conn.execute(
                        keys.insert()
                        .values(name=name, key_hash=key_hash(key), roles=role_list, created_at=now)
                        .returning(keys.c.id)
                    )
                ).scalar_one()
                await self._audit(conn, actor, "create_api_key", name, {"roles": role_list})
        except IntegrityError:
            raise self._schema.conflict(f"An API key named {name!r} already exists") from None
        return ApiKeyInfo(key_id, name, granted, now), key

    async def list(self) -> list[ApiKeyInfo[R]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(sa.select(*self._columns).order_by(self._keys.c.id))
            return [self._info(row) for row in rows]

    async def revoke(self, key_id: int, *, actor: str) -> ApiKeyInfo[R]:
        keys = self._keys
        now = self._clock()
        async with self._engine.begin() as conn:
            row = (await conn.execute(sa.select(*self._columns).where(keys.c.id == key_id))).first()
            if row is None:
                raise self._schema.not_found(f"API key {key_id} does not exist")
            if row.revoked_at is not None:
                raise self._schema.conflict(f"API key {key_id} is already revoked")
            await conn.execute(keys.update().where(keys.c.id == key_id).values(revoked_at=now))
            await self._audit(conn, actor, "revoke_api_key", row.name, {"id": key_id})
        info = self._info(row)
        return ApiKeyInfo(info.id, info.name, info.roles, info.created_at, now)

    async def authenticate(self, key: str) -> ApiKeyInfo[R] | None:
        """The active key ``key`` is, or ``None``."""
        keys = self._keys
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(*self._columns).where(
                        keys.c.key_hash == key_hash(key), keys.c.revoked_at.is_(None)
                    )
                )
            ).first()
        return None if row is None else self._info(row)

    def _info(self, row: Any) -> ApiKeyInfo[R]:  # an api_keys row: id, name, roles, times
        key_id, name, roles, created, revoked = row
        created_at = _utc(created)
        assert created_at is not None  # noqa: S101 - the column is NOT NULL
        return ApiKeyInfo(
            key_id,
            name,
            # A role a newer version stored and this one does not know grants nothing.
            frozenset(self._roles(r) for r in roles if r in self._role_names),
            created_at,
            _utc(revoked),
        )

    async def _audit(
        self,
        conn: AsyncConnection,
        actor: str,
        action: str,
        target: str,
        details: dict[str, object],
    ) -> None:
        if not actor.strip():
            raise self._schema.invalid("actor must not be empty")
        await conn.execute(
            self._audit_log.insert().values(
                at=self._clock(), actor=actor, action=action, target=target, details=details
            )
        )
