"""The security server's composition root: settings in, running listeners out.

The only place that reads settings and wires the parts (ARCHITECTURE rules 5, 6, 9): storage
(migrated at start), the server configuration and its snapshot, the configuration client
(from the anchor), the software token's keys and their OCSP responses, and the listeners:
client proxy (HTTP), server proxy (mutual TLS, only with a usable auth certificate), OCSP
responses for peers, and the admin listener with ``/health`` and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import structlog
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.app_health import health_handler, metrics_handler
from security_server.app_keys import KeyMaterial, load_material, open_token
from security_server.confclient import ConfigurationClient, setup_configuration_client
from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import SigningMaterial
from security_server.ocsp_responder import create_ocsp_responder
from security_server.proxy import (
    AuthMaterial,
    ProxyContext,
    create_client_proxy,
    create_server_proxy,
    server_ssl_context,
)
from security_server.serverconf.service import ServerConfService
from security_server.serverconf.snapshot import ServerConfSnapshot
from security_server.settings import SecurityServerSettings
from security_server.signer.ocsp_client import CachedResponse, OcspClient
from security_server.storage import open_engine
from vdx.clock import utc_now
from vdx.crypto.trust import TrustConfig
from vdx.errors import XRoadError
from vdx.identifiers import ClientId
from vdx.tokens import Token

log = structlog.get_logger("vdx.security_server")
KEYS_TASK = "vdx-ss-keys-refresh"
SNAPSHOT_TASK = "vdx-ss-serverconf-snapshot"
Listener = tuple[web.Application, int, ssl.SSLContext | None]


@dataclass
class SecurityServer:
    """The wired parts of one node; ``apps`` maps a listener name to (app, port, TLS)."""

    settings: SecurityServerSettings
    engine: AsyncEngine
    serverconf: ServerConfService
    conf_client: ConfigurationClient
    metrics: CollectorRegistry
    token: Token | None
    snapshot: ServerConfSnapshot
    keys: KeyMaterial = field(default_factory=KeyMaterial)
    # Hex SHA-1 of one of our certificates -> its latest verified OCSP response (DER).
    ocsp: dict[str, bytes] = field(default_factory=dict)
    # The OCSP client's cache, kept across refresh rounds so that a response is fetched again
    # only when due and a fresh one survives a responder outage (ocsp_refresh).
    ocsp_cache: dict[tuple[bytes, int], CachedResponse] = field(default_factory=dict)
    apps: dict[str, Listener] = field(default_factory=dict)
    # Listener name -> why it was not started.
    skipped: dict[str, str] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def trust(self) -> TrustConfig | None:
        current = self.conf_client.current
        return None if current is None else current.trust

    def auth_ocsp(self) -> tuple[bytes, ...]:
        auth = self.keys.auth
        if auth is None:
            return ()
        found = self.ocsp.get(sha1_hex(auth.certificate))
        return () if found is None else (found,)

    def context(self) -> ProxyContext:
        def trust() -> TrustConfig:
            return self.conf_client.valid().trust

        def conf() -> GlobalConfiguration:
            return self.conf_client.valid()

        # Late bound: ``self.keys`` is swapped by the refresh task.
        # The configuration first: with an expired one the answer is OutdatedGlobalConf.
        def signing(client: ClientId) -> SigningMaterial:
            self.conf_client.valid()
            return self.keys.signing_for(client)

        def auth() -> AuthMaterial:
            return self.keys.auth_or_fail()

        return ProxyContext(
            conf=conf,
            serverconf=lambda: self.snapshot,
            trust=trust,
            signing=signing,
            auth=auth,
            auth_ocsp=self.auth_ocsp,
            clock=utc_now,
        )

    # ------------------------------------------------------------ background work
    def serverconf_changed(self) -> None:
        """``ServerConfService(on_change=...)``: re-read the snapshot after each commit."""
        task = asyncio.get_running_loop().create_task(self._reload_snapshot(), name=SNAPSHOT_TASK)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload_snapshot(self) -> None:
        self.snapshot = await self.serverconf.snapshot()

    async def refresh_keys(self, session: aiohttp.ClientSession | None = None) -> None:
        """Re-read the token (in a thread) and fetch OCSP responses for our certificates."""
        trust = self.trust()
        keys = await asyncio.to_thread(load_material, self.token, trust)
        if session is not None and trust is not None:
            keys = await self._with_ocsp(keys, OcspClient(session, trust, cache=self.ocsp_cache))
        self.keys = keys

    async def _with_ocsp(self, keys: KeyMaterial, client: OcspClient) -> KeyMaterial:
        now = utc_now()

        async def fetch(cert: x509.Certificate) -> bytes | None:
            issuer = next(
                (c for _, c in client.trust.ca_certificates() if c.subject == cert.issuer), None
            )
            if issuer is None:
                return None
            try:
                der: bytes = (await client.get(cert, issuer, now)).der
            except XRoadError as error:
                log.warning("own_ocsp_failed", subject=cert.subject.rfc4514_string(), error=error)
                return None
            self.ocsp[sha1_hex(cert)] = der
            return der

        if keys.auth is not None:
            await fetch(keys.auth.certificate)
        signing = dict(keys.signing)
        for member, material in signing.items():
            der = await fetch(material.certificate)
            if der is not None:
                signing[member] = dataclasses.replace(material, ocsp_responses=(der,))
        return dataclasses.replace(keys, signing=signing)

    async def _keys_loop(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    await self.refresh_keys(session)
                except Exception:  # a bug must not stop the task: logged, retried next round
                    log.exception("keys_refresh_crashed")
                await asyncio.sleep(self.settings.conf_download_interval_seconds)

    async def keys_context(self, _app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx`` (rule 5): the keys/OCSP task runs while the app does."""
        task = asyncio.create_task(self._keys_loop(), name=KEYS_TASK)
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for pending in list(self._tasks):
            pending.cancel()

    # ------------------------------------------------------------ health
    async def check_globalconf(self) -> str | None:
        return self.conf_client.status().reason

    async def check_auth(self) -> str | None:
        return self.keys.auth_reason

    async def check_database(self) -> str | None:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any failure is the reason to report
            return f"database unreachable: {type(error).__name__}"
        return None


def sha1_hex(cert: x509.Certificate) -> str:
    """The certificate hash peers ask the OCSP listener for (pr-messtransp §3)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


async def _token(settings: SecurityServerSettings) -> Token | None:
    if settings.token_pin is None:
        log.warning("token_not_opened", reason="token_pin is not set")
        return None
    pin = settings.token_pin.get_secret_value()
    return await asyncio.to_thread(open_token, settings.data_dir / "tokens", pin)


async def build(settings: SecurityServerSettings) -> SecurityServer:
    """Open (and migrate) storage, read the token and wire every part; nothing listens yet."""
    if settings.anchor_file is None:
        raise ValueError("anchor_file is not set: the configuration anchor is required")
    anchor = settings.anchor_file.read_bytes()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = await open_engine(settings.db_url)
    admin_app = web.Application()
    metrics = CollectorRegistry()
    conf_client = setup_configuration_client(
        admin_app,
        anchor_bytes=anchor,
        data_dir=settings.data_dir / "globalconf",
        registry=metrics,
        interval_seconds=settings.conf_download_interval_seconds,
    )
    changes: list[Callable[[], None]] = []

    def changed() -> None:
        for notify in changes:
            notify()

    serverconf = ServerConfService(engine, on_change=changed)
    server = SecurityServer(
        settings,
        engine,
        serverconf,
        conf_client,
        metrics,
        token=await _token(settings),
        snapshot=await serverconf.snapshot(),
    )
    changes.append(server.serverconf_changed)
    # The server proxy's TLS identity and trust are fixed when it starts: read them now.
    await conf_client.restore()
    await server.refresh_keys()
    admin_app.cleanup_ctx.append(server.keys_context)
    checks = {
        "globalconf": server.check_globalconf,
        "auth": server.check_auth,
        "database": server.check_database,
    }
    admin_app.router.add_get("/health", health_handler(checks))
    admin_app.router.add_get("/metrics", metrics_handler(metrics))
    context = server.context()
    server.apps["client-proxy"] = (create_client_proxy(context), settings.client_proxy_port, None)
    trust = server.trust()
    if server.keys.auth is None:
        server.skipped["server-proxy"] = server.keys.auth_reason or "no auth certificate"
    elif trust is None:
        server.skipped["server-proxy"] = "no global configuration yet to trust peers by"
    else:
        tls = server_ssl_context(server.keys.auth, trust)
        server.apps["server-proxy"] = (
            create_server_proxy(context),
            settings.server_proxy_port,
            tls,
        )
    server.apps["ocsp"] = (create_ocsp_responder(lambda: server.ocsp), settings.ocsp_port, None)
    server.apps["admin"] = (admin_app, settings.admin_api_port, None)
    return server
