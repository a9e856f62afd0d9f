"""``ConfSigningKeys``: configuration signing keys on a token, their states in the database.

A key is ``announced`` when generated: its certificate is listed among the source's
verification certificates (shared parameters ``internalVerificationCert`` /
``externalVerificationCert``) so that security servers trust it before it signs (pr-gconf §2.2
key rotation). ``activate`` makes it the source's one ``active`` key and retires the previous
one; the next generation is signed with it. A ``retired`` key is never listed again. The
active key cannot be retired: activate its successor instead.

Token calls block (key generation, signing): they run in a thread. Every change writes an
audit-log row in its transaction and then calls ``on_change`` (a new generation soon).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from central_server.conf_keys.model import (
    SOURCES,
    KeyState,
    SigningKeyError,
    SigningKeyInfo,
    row_info,
    subject_for,
)
from central_server.conf_keys.token_signer import TokenDirectorySigner, self_signed_certificate
from central_server.confgen.sources import SigningKeys
from central_server.storage import tables as t
from vdx.clock import utc_now
from vdx.tokens import KeyAlgorithm, KeyUsage, Token, TokenError

_KEYS = t.configuration_signing_keys


class ConfSigningKeys:
    """See the module docstring; ``token`` must be logged in to generate or sign."""

    def __init__(
        self,
        engine: AsyncEngine,
        token: Token,
        instance: str,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        algorithm: KeyAlgorithm = KeyAlgorithm.RSA3072,
        hash_name: str = "sha512",
        on_change: Callable[[], None] | None = None,
        pin: str | None = None,
    ) -> None:
        """``pin``: to reload a software token whose keystore another process (``vdx cs key
        generate``) changed; a soft token holds its keys in memory from login on."""
        self._engine = engine
        self._pin = pin
        self._known = {k.key_id for k in token.list_keys()}
        self._token = token
        self._instance = instance
        self._clock = clock
        self._algorithm = algorithm
        self._hash = hash_name
        self.on_change = on_change
        self._lock = asyncio.Lock()

    async def list_keys(self) -> list[SigningKeyInfo]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(sa.select(_KEYS).order_by(_KEYS.c.id))
            return [row_info(row) for row in rows]

    async def get(self, key_id: str) -> SigningKeyInfo:
        for key in await self.list_keys():
            if key.key_id == key_id:
                return key
        raise SigningKeyError("not_found", f"No configuration signing key {key_id!r}")

    def _reload(self) -> None:
        """Log in again: the token's keys in memory become those in its files (blocks)."""
        if self._pin is not None:
            self._token.login(self._pin)
            self._known = {k.key_id for k in self._token.list_keys()}

    def _make_key(self, source: str, now: dt.datetime) -> tuple[str, bytes]:
        self._reload()  # never write back a keystore that misses another process's key
        label = f"conf-signing-{source}-{now:%Y%m%d%H%M%S}"
        record = self._token.generate_key(label, KeyUsage.SIGNING, self._algorithm)
        signer = self._token.signer(record.key_id, self._hash)
        cert = self_signed_certificate(
            subject_for(self._instance, source), record.public_key_der, signer, now
        )
        self._known.add(record.key_id)
        return record.key_id, cert.public_bytes(Encoding.DER)

    async def generate(self, source: str, *, actor: str, activate: bool = False) -> SigningKeyInfo:
        """A new key for ``source`` on the token, announced (or active at once, for the very
        first key of a source only: nothing could have announced it)."""
        if source not in SOURCES:
            raise SigningKeyError("invalid", f"source must be one of {', '.join(SOURCES)}")
        now = self._clock()
        try:
            key_id, cert_der = await asyncio.to_thread(self._make_key, source, now)
        except TokenError as error:
            raise SigningKeyError("conflict", f"The token refused: {error}") from None
        try:
            return await self._record(source, key_id, cert_der, now, actor=actor, activate=activate)
        except IntegrityError:
            # Another node made the first active key meanwhile: this one is only announced.
            return await self._record(source, key_id, cert_der, now, actor=actor, activate=False)

    async def _record(
        self,
        source: str,
        key_id: str,
        cert_der: bytes,
        now: dt.datetime,
        *,
        actor: str,
        activate: bool,
    ) -> SigningKeyInfo:
        async with self._lock, self._engine.begin() as conn:
            state = KeyState.ANNOUNCED
            if activate and await self._active(conn, source) is None:
                state = KeyState.ACTIVE
            await conn.execute(
                _KEYS.insert().values(
                    source=source,
                    token_id=self._token.token_id,
                    key_id=key_id,
                    cert_der=cert_der,
                    state=state,
                    created_at=now,
                    activated_at=now if state is KeyState.ACTIVE else None,
                )
            )
            await self._audit(
                conn, actor, "generate_conf_signing_key", key_id=key_id, source=source, state=state
            )
        self._changed()
        return await self.get(key_id)

    async def activate(self, key_id: str, *, actor: str) -> SigningKeyInfo:
        """Make an announced key the active one of its source; the previous one is retired."""
        async with self._lock, self._engine.begin() as conn:
            key = await self._row(conn, key_id)
            if key.state is not KeyState.ANNOUNCED:
                raise SigningKeyError("conflict", f"Key {key_id} is {key.state}, not announced")
            now = self._clock()
            await conn.execute(
                _KEYS.update()
                .where(_KEYS.c.source == key.source, _KEYS.c.state == KeyState.ACTIVE)
                .values(state=KeyState.RETIRED)
            )
            await conn.execute(
                _KEYS.update()
                .where(_KEYS.c.key_id == key_id)
                .values(state=KeyState.ACTIVE, activated_at=now)
            )
            await self._audit(
                conn, actor, "activate_conf_signing_key", key_id=key_id, source=key.source
            )
        self._changed()
        return await self.get(key_id)

    async def retire(self, key_id: str, *, actor: str) -> SigningKeyInfo:
        """Withdraw an announced key (the active one cannot be retired; activate another)."""
        async with self._lock, self._engine.begin() as conn:
            key = await self._row(conn, key_id)
            if key.state is not KeyState.ANNOUNCED:
                raise SigningKeyError(
                    "conflict",
                    f"Key {key_id} is {key.state}; only an announced key can be retired "
                    "(activate a successor to retire the active one)",
                )
            await conn.execute(
                _KEYS.update().where(_KEYS.c.key_id == key_id).values(state=KeyState.RETIRED)
            )
            await self._audit(
                conn, actor, "retire_conf_signing_key", key_id=key_id, source=key.source
            )
        self._changed()
        return await self.get(key_id)

    async def ensure_active(self, *, actor: str) -> list[SigningKeyInfo]:
        """First start: generate and activate a key for each source that has none."""
        made: list[SigningKeyInfo] = []
        for source in SOURCES:
            async with self._engine.connect() as conn:
                present = await self._active(conn, source)
            if present is None:
                made.append(await self.generate(source, actor=actor, activate=True))
        return made

    async def signing_keys(self) -> SigningKeys:
        """The active signer of each source and the announced certificates (the publisher's
        key provider, read at every generation)."""
        keys = await self.list_keys()
        if any(k.state is KeyState.ACTIVE and k.key_id not in self._known for k in keys):
            await asyncio.to_thread(self._reload)  # made by another process
        signers: dict[str, TokenDirectorySigner] = {}
        announced: dict[str, list[bytes]] = {source: [] for source in SOURCES}
        for key in keys:
            if key.state is KeyState.ACTIVE:
                signers[key.source] = self.signer(key)
            elif key.state is KeyState.ANNOUNCED:
                announced[key.source].append(key.cert_der)
        missing = [source for source in SOURCES if source not in signers]
        if missing:
            raise SigningKeyError("not_found", f"No active signing key for {', '.join(missing)}")
        return SigningKeys(
            internal=signers["internal"],
            external=signers["external"],
            next_internal=tuple(announced["internal"]),
            next_external=tuple(announced["external"]),
        )

    def signer(self, key: SigningKeyInfo) -> TokenDirectorySigner:
        if key.token_id != self._token.token_id:
            raise SigningKeyError(
                "not_found", f"Key {key.key_id} is on token {key.token_id}, not on this node's"
            )
        return TokenDirectorySigner(
            self._token.signer(key.key_id, self._hash), x509.load_der_x509_certificate(key.cert_der)
        )

    # --- internals ----------------------------------------------------------------------------

    async def _active(self, conn: AsyncConnection, source: str) -> str | None:
        found = await conn.scalar(
            sa.select(_KEYS.c.key_id).where(
                _KEYS.c.source == source, _KEYS.c.state == KeyState.ACTIVE
            )
        )
        return None if found is None else str(found)

    async def _row(self, conn: AsyncConnection, key_id: str) -> SigningKeyInfo:
        row = (await conn.execute(sa.select(_KEYS).where(_KEYS.c.key_id == key_id))).first()
        if row is None:
            raise SigningKeyError("not_found", f"No configuration signing key {key_id!r}")
        return row_info(row)

    async def _audit(
        self,
        conn: AsyncConnection,
        actor: str,
        action: str,
        *,
        key_id: str,
        source: str,
        state: str | None = None,
    ) -> None:
        details = {"source": source} if state is None else {"source": source, "state": state}
        await conn.execute(
            t.audit_log.insert().values(
                at=self._clock(),
                actor=actor,
                action=action,
                target=f"conf-signing-key:{key_id}",
                details=details,
            )
        )

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


async def active_certificate(engine: AsyncEngine, source: str = "internal") -> bytes | None:
    """The DER certificate of ``source``'s active key, if keys are on a token (no token needed:
    for anchors exported before the first generation)."""
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(_KEYS.c.cert_der).where(
                _KEYS.c.source == source, _KEYS.c.state == KeyState.ACTIVE
            )
        )
    return None if found is None else bytes(found)
