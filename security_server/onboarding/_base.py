"""What the onboarding operations share: the token, the configuration, audit and errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.confclient.decisions import ConfClientStatus
from security_server.confclient.model import GlobalConfiguration
from security_server.onboarding import tokens
from security_server.serverconf import validation
from security_server.serverconf.errors import conflict, unavailable
from security_server.serverconf.model import ServerIdentity
from security_server.serverconf.service import ServerConfService
from security_server.signer.ocsp_client import CachedResponse
from vdx.clock import utc_now
from vdx.errors import XRoadError
from vdx.globalconf import ConfigurationAnchor
from vdx.globalconf.private_params import ManagementService
from vdx.tokens import Token

log = structlog.get_logger("vdx.security_server.onboarding")
_R = TypeVar("_R")


class GlobalConfSource(Protocol):
    """What the service reads of the configuration client (``ConfigurationClient`` is one)."""

    @property
    def anchor(self) -> ConfigurationAnchor: ...

    @property
    def current(self) -> GlobalConfiguration | None: ...

    def status(self) -> ConfClientStatus: ...


class OnboardingBase:
    def __init__(
        self,
        *,
        serverconf: ServerConfService,
        engine: AsyncEngine,
        conf: GlobalConfSource,
        token_dir: Path,
        clock: Callable[[], datetime] = utc_now,
        on_keys_changed: Callable[[], Awaitable[None]] | None = None,
        management_service_url: str | None = None,
        ocsp_cache: dict[tuple[bytes, int], CachedResponse] | None = None,
    ) -> None:
        self._serverconf = serverconf
        self._engine = engine
        self._conf = conf
        self._token_dir = token_dir
        self._clock = clock
        self._on_keys_changed = on_keys_changed
        self._management_service_url = management_service_url
        self._ocsp_cache = {} if ocsp_cache is None else ocsp_cache
        self._token: Token | None = None
        # One management request at a time: its state check, sending and state change
        # must not interleave with another's for the same certificate or client.
        self._requests = asyncio.Lock()

    @property
    def token(self) -> Token | None:
        """The software token (logged in or not), None before initialisation."""
        if self._token is None and tokens.keystore_exists(self._token_dir):
            # Made by an earlier run (or another process): opened, not logged in.
            self._token = tokens.open_existing(self._token_dir)
        return self._token

    async def _token_call(self, call: Callable[..., _R], *args: Any) -> _R:
        """A blocking token call in a thread, its refusal as ServerConfError."""
        try:
            return await asyncio.to_thread(call, *args)
        except XRoadError as error:
            raise tokens.as_serverconf_error(error) from None

    def _require_token(self) -> Token:
        token = self.token
        if token is None:
            raise conflict("The security server is not initialised: no software token yet")
        return token

    async def _require_identity(self) -> ServerIdentity:
        identity = await self._serverconf.get_identity()
        if identity is None:
            raise conflict("The security server is not initialised")
        return identity

    def _require_conf(self) -> GlobalConfiguration:
        current = self._conf.current
        if current is None:
            raise unavailable("No global configuration has been downloaded yet")
        return current

    def _management_params(self, conf: GlobalConfiguration) -> ManagementService:
        if conf.private is None:
            raise unavailable("The global configuration carries no private parameters")
        return conf.private.management_service

    async def _keys_changed(self) -> None:
        """Tell the composition root; the change itself is done, so a failure to reload
        is logged (the keys loop retries) rather than reported as the change's failure."""
        if self._on_keys_changed is None:
            return
        try:
            await self._on_keys_changed()
        except Exception:
            log.exception("keys_reload_failed")

    @asynccontextmanager
    async def _audited(
        self, actor: str, action: str, target: str, details: dict[str, Any] | None = None
    ) -> AsyncIterator[None]:
        """Run the operation, then record it in the server's audit log (the admin API's
        ``/audit-log``, alongside the server configuration's changes)."""
        validation.actor(actor)
        yield
        await self._serverconf.record(actor, action, target, details)
        log.info("onboarding_change", actor=actor, action=action, target=target)
