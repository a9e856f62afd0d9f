"""Regenerate the global configuration on a schedule and on demand: the background task.

Each round takes a registry snapshot, generates and signs (in a worker thread: signing and
XML building may be slow, and a token may block), swaps the served generation, and persists it
when a data folder is set. A failing round leaves the previous generation served and is logged;
clients keep working until its Expire-date (pr-gconf §2.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

import structlog
from aiohttp import web

from central_server.confgen import (
    DEFAULT_EXPIRE_SECONDS,
    DEFAULT_VERSIONS,
    DirectorySigner,
    GeneratedConfiguration,
    SigningKeys,
    generate,
    with_source_certificates,
)
from central_server.confgen.signing import certificate_der
from central_server.distribution import persistence
from central_server.distribution.metrics import DistributionMetrics
from central_server.distribution.shared import SharedGenerations
from central_server.distribution.store import ConfigurationStore
from vdx.clock import utc_now
from vdx.globalconf import PrivateParameters, SharedParameters

TASK_NAME = "vdx-cs-conf-publisher"
DEFAULT_INTERVAL_SECONDS = 60.0
log = structlog.get_logger("central_server.distribution")


class ConfigurationPublisher:
    def __init__(
        self,
        *,
        store: ConfigurationStore,
        snapshot_provider: Callable[[], Awaitable[SharedParameters]],
        private: PrivateParameters | Callable[[], Awaitable[PrivateParameters]],
        signer: DirectorySigner | None = None,
        external_signer: DirectorySigner | None = None,
        key_provider: Callable[[], Awaitable[SigningKeys]] | None = None,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
        versions: Sequence[int] = DEFAULT_VERSIONS,
        source_address: str | None = None,
        next_internal_certs: Sequence[bytes] = (),
        next_external_certs: Sequence[bytes] = (),
        data_dir: Path | None = None,
        metrics: DistributionMetrics | None = None,
        clock: Callable[[], datetime] = utc_now,
        shared: SharedGenerations | None = None,
    ) -> None:
        """``source_address`` set: the snapshot's source at that address is made to list the
        signing certificates, then the ``next_*`` ones (key rotation, announced before use).
        Unset: the snapshot's sources must already list the signing certificates.

        ``key_provider`` (keys on a token, rotated by the operator) is asked at every round and
        replaces ``signer``, ``external_signer`` and the ``next_*`` certificates.

        ``shared``: generations live in the database; a round generates only on the node that
        holds the generation lease, and every node serves the newest stored generation."""
        if (signer is None) == (key_provider is None):
            raise ValueError("Give either a signer or a key provider")
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        self.store = store
        self._snapshot = snapshot_provider
        self._private = private
        self._signer = signer
        self._external_signer = external_signer
        self._key_provider = key_provider
        self._interval = interval_seconds
        self._expire_seconds = expire_seconds
        self._versions = tuple(versions)
        self._source = source_address
        self._next_internal = tuple(next_internal_certs)
        self._next_external = tuple(next_external_certs)
        self._data_dir = data_dir
        self._metrics = metrics
        self._clock = clock
        self._shared = shared
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def request_regeneration(self) -> None:
        """Ask for a round soon (the registry changed); safe to call from any coroutine."""
        self._wake.set()

    async def regenerate(self) -> GeneratedConfiguration | None:
        """Run one round now; the new generation, or ``None`` when it failed (logged)."""
        async with self._lock:
            started = time.monotonic()
            try:
                if self._shared is not None and not await self._shared_round():
                    return self.store.current  # another node generates: serve what it stored
                generation = await self._generate()
                if self._shared is not None:
                    await self._shared.save(generation)
            except Exception:  # any failure keeps the last generation served (logged, counted)
                if self._metrics is not None:
                    self._metrics.generation_failures.inc()
                log.exception("conf_generation_failed")
                await self._give_up_lease()
                return None
            self.store.publish(generation)
            if self._metrics is not None:
                self._metrics.generation_duration.observe(time.monotonic() - started)
            log.info(
                "conf_generated",
                generated_at=generation.generated_at.isoformat(),
                expires=generation.expire_date.isoformat(),
                locations=[f.location for f in generation.files],
            )
            await self._persist(generation)
            return generation

    async def _give_up_lease(self) -> None:
        """A node that failed to generate (say, its token lacks the active key) lets another
        node take the next round instead of holding the lease while failing."""
        if self._shared is not None:
            try:
                await self._shared.release()
            except Exception:  # best effort: the lease expires anyway; the operator sees why
                log.warning("conf_lease_release_failed", exc_info=True)

    async def _shared_round(self) -> bool:
        """Serve the newest stored generation; whether this node is to generate the next."""
        assert self._shared is not None  # noqa: S101 - only called with a shared store
        stored = await self._shared.newer()
        if stored is not None:
            self.store.publish(stored)  # also the ``previous`` the generator reuses files of
        return await self._shared.acquire()

    async def _generate(self) -> GeneratedConfiguration:
        shared = await self._snapshot()
        private = (
            self._private if isinstance(self._private, PrivateParameters) else await self._private()
        )
        keys = await self.signing_keys()
        if self._source is not None:
            shared = with_source_certificates(
                shared,
                self._source,
                (certificate_der(keys.internal), *keys.next_internal),
                (certificate_der(keys.external), *keys.next_external),
            )
        return await asyncio.to_thread(
            generate,
            shared,
            private,
            keys.internal,
            self._clock(),
            expire_seconds=self._expire_seconds,
            previous=self.store.current,
            external_signing=keys.external,
            versions=self._versions,
        )

    async def signing_keys(self) -> SigningKeys:
        """The keys the next round signs with (asked of the key provider when there is one)."""
        if self._key_provider is not None:
            return await self._key_provider()
        assert self._signer is not None  # noqa: S101 - checked in __init__
        return SigningKeys(
            self._signer,
            self._external_signer or self._signer,
            self._next_internal,
            self._next_external,
        )

    async def _persist(self, generation: GeneratedConfiguration) -> None:
        if self._data_dir is None:
            return
        try:
            await asyncio.to_thread(persistence.save_generation, self._data_dir, generation)
        except OSError:
            log.exception("conf_persist_failed", data_dir=str(self._data_dir))

    async def restore(self) -> None:
        """Serve the generation persisted by the last run, if any (before the first round)."""
        if self._shared is not None and self.store.current is None:
            try:
                stored = await self._shared.newer()
            except Exception:  # the database may be down at start: the first round retries
                log.exception("conf_restore_failed", source="database")
                stored = None
            if stored is not None:
                self.store.publish(stored)
                return
        if self._data_dir is None or self.store.current is not None:
            return
        try:
            stored = await asyncio.to_thread(persistence.load_generation, self._data_dir)
        except (OSError, persistence.PersistedGenerationError):
            log.exception("conf_restore_failed", data_dir=str(self._data_dir))
            return
        if stored is not None:
            self.store.publish(stored)
            log.info("conf_restored", generated_at=stored.generated_at.isoformat())

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # a request during the round below triggers the next one
            await self.regenerate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("The configuration publisher is already running")
        await self.restore()
        self._task = asyncio.create_task(self._run(), name=TASK_NAME)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():  # we were cancelled ourselves, not just the task
                raise
        await self._give_up_lease()

    async def cleanup_context(self, _app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: the task runs while the application does."""
        await self.start()
        yield
        await self.stop()
