"""The security server's composition root: settings in, running listeners out.

The only place that reads settings and wires the parts (ARCHITECTURE rules 5, 6, 9): storage
(migrated at start), the server configuration and its snapshot, the configuration client
(from the anchor), the onboarding service (token, keys, management requests, state sync), the
token's key material with its OCSP responses, and the listeners: client proxy (HTTP), server
proxy (mutual TLS; always listening, its identity swapped in when an auth certificate becomes
usable), OCSP responses for peers, and the admin listener with the admin REST API
(``/api/v1``), ``/health`` and ``/metrics``. The message log (writer, time-stamping, archiving;
``/asic`` and ``/verificationconf`` on the client proxy) and operational monitoring run with
the admin app; both proxies reach them through ``ProxyContext.evidence`` (rule 8: a message is
released only once logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import aiohttp
import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.admin_api import setup_admin_api
from security_server.admin_api._base import MAX_BODY
from security_server.admin_api.keys import ApiKeyStore
from security_server.app_health import health_handler, metrics_handler
from security_server.app_keys import KeyMaterial, load_material
from security_server.app_messagelog import MessageLogNode
from security_server.app_ocsp import sha1_hex, with_ocsp
from security_server.app_opmonitor import OpMonitorNode, evidence
from security_server.confclient import ConfigurationClient, setup_configuration_client
from security_server.confclient.model import GlobalConfiguration
from security_server.exchange import SigningMaterial
from security_server.metaservices import description_source
from security_server.ocsp_responder import create_ocsp_responder
from security_server.onboarding import OnboardingService
from security_server.proxy import (
    AuthMaterial,
    ProxyContext,
    create_client_proxy,
    create_client_proxy_tls,
    create_server_proxy,
)
from security_server.proxy.evidence import Evidence
from security_server.proxy.tls import ServerTlsIdentity
from security_server.serverconf.model import ClientState
from security_server.serverconf.service import ServerConfService
from security_server.serverconf.snapshot import ServerConfSnapshot
from security_server.settings import SecurityServerSettings
from security_server.signer.ocsp_client import CachedResponse, OcspClient
from security_server.storage import open_engine
from vdx.clock import utc_now
from vdx.crypto.trust import TrustConfig
from vdx.identifiers import ClientId
from vdx.tokens import Token

log = structlog.get_logger("vdx.security_server")
KEYS_TASK = "vdx-ss-keys-refresh"
SNAPSHOT_TASK = "vdx-ss-serverconf-snapshot"
Listener = tuple[web.Application, int, ssl.SSLContext | None]
__all__ = ["SecurityServer", "build", "sha1_hex"]


@dataclass
class SecurityServer:
    """The wired parts of one node; ``apps`` maps a listener name to (app, port, TLS)."""

    settings: SecurityServerSettings
    engine: AsyncEngine
    serverconf: ServerConfService
    conf_client: ConfigurationClient
    metrics: CollectorRegistry
    snapshot: ServerConfSnapshot
    onboarding: OnboardingService | None = None  # set by build() right after construction
    messagelog: MessageLogNode | None = None  # set by build()
    opmonitor: OpMonitorNode | None = None  # set by build()
    keys: KeyMaterial = field(default_factory=KeyMaterial)
    # The server proxy's TLS identity: follows ``keys.auth`` without restarting the listener.
    server_tls: ServerTlsIdentity = field(default_factory=ServerTlsIdentity)
    # Hex SHA-1 of one of our certificates -> its latest verified OCSP response (DER).
    ocsp: dict[str, bytes] = field(default_factory=dict)
    # The OCSP client's cache, kept across refresh rounds so that a response is fetched again
    # only when due and a fresh one survives a responder outage (ocsp_refresh).
    ocsp_cache: dict[tuple[bytes, int], CachedResponse] = field(default_factory=dict)
    apps: dict[str, Listener] = field(default_factory=dict)
    # Listener name -> why it was not started.
    skipped: dict[str, str] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def token(self) -> Token | None:
        return None if self.onboarding is None else self.onboarding.token

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
            descriptions=description_source(self.serverconf),
            peer_ocsp_port=self.settings.peer_ocsp_port,
            max_body_bytes=self.settings.max_message_bytes,
            evidence=self.evidence(),
        )

    def evidence(self) -> Evidence:
        """The proxies' hooks into the message log and operational monitoring."""
        return evidence(self.messagelog, self.opmonitor)

    def may_download(self, client: ClientId) -> bool:
        """``/asic``: signed documents of the owner or of a client registered here."""
        snapshot = self.snapshot
        if snapshot.identity is not None and snapshot.identity.owner == client:
            return True
        entry = snapshot.client(client)
        return entry is not None and entry.state is ClientState.REGISTERED

    # ------------------------------------------------------------ background work
    def serverconf_changed(self) -> None:
        """``ServerConfService(on_change=...)``: re-read the snapshot after each commit."""
        task = asyncio.get_running_loop().create_task(self._reload_snapshot(), name=SNAPSHOT_TASK)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload_snapshot(self) -> None:
        self.snapshot = await self.serverconf.snapshot()

    async def refresh_keys(self, session: aiohttp.ClientSession | None = None) -> None:
        """Re-read the token (in a thread), fetch OCSP responses for our certificates, and
        hand the server proxy its (new) TLS identity."""
        trust = self.trust()
        keys = await asyncio.to_thread(load_material, self.token, trust)
        if session is not None and trust is not None:
            client = OcspClient(session, trust, cache=self.ocsp_cache)
            keys = await with_ocsp(keys, client, self.ocsp, utc_now())
        self.keys = keys
        if self.server_tls.update(keys.auth, trust):
            auth = keys.auth
            subject = None if auth is None else auth.certificate.subject.rfc4514_string()
            log.info("server_proxy_identity", subject=subject)

    async def keys_changed(self) -> None:
        """The onboarding service's ``on_keys_changed``: login, activation, registration."""
        async with aiohttp.ClientSession() as session:
            await self.refresh_keys(session)

    async def sync_globalconf(self) -> None:
        """Certificate and client states follow the configuration in use (onboarding.sync)."""
        current = self.conf_client.current
        if current is not None and self.onboarding is not None:
            await self.onboarding.apply_globalconf(current)

    async def _keys_loop(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                for step in (self.sync_globalconf, lambda: self.refresh_keys(session)):
                    try:
                        await step()
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


def _onboarding(server: SecurityServer) -> OnboardingService:
    settings = server.settings
    return OnboardingService(
        serverconf=server.serverconf,
        engine=server.engine,
        conf=server.conf_client,
        token_dir=settings.data_dir / "tokens",
        on_keys_changed=server.keys_changed,
        management_service_url=settings.management_service_url,
        ocsp_cache=server.ocsp_cache,
    )


def _admin(server: SecurityServer, app: web.Application) -> None:
    assert server.onboarding is not None  # noqa: S101 - build() sets it first
    checks = {
        "globalconf": server.check_globalconf,
        "auth": server.check_auth,
        "database": server.check_database,
    }
    if server.messagelog is not None:
        checks["messagelog"] = server.messagelog.check
    app.router.add_get("/health", health_handler(checks))
    app.router.add_get("/metrics", metrics_handler(server.metrics))
    setup_admin_api(
        app,
        serverconf=server.serverconf,
        onboarding=server.onboarding,
        keys=ApiKeyStore(server.engine),
        conf_status=server.conf_client.status,
    )


async def build(settings: SecurityServerSettings) -> SecurityServer:
    """Open (and migrate) storage, read the token and wire every part; nothing listens yet."""
    if settings.anchor_file is None:
        raise ValueError("anchor_file is not set: the configuration anchor is required")
    anchor = settings.anchor_file.read_bytes()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = await open_engine(settings.db_url)
    admin_app = web.Application(client_max_size=MAX_BODY)
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
    snapshot = await serverconf.snapshot()
    server = SecurityServer(settings, engine, serverconf, conf_client, metrics, snapshot)
    server.onboarding = _onboarding(server)
    server.messagelog = MessageLogNode.create(
        engine,
        settings.messagelog,
        current=lambda: conf_client.current,
        trust=lambda: conf_client.valid().trust,
        registry=metrics,
    )
    server.opmonitor = OpMonitorNode.create(engine, settings.opmonitor, registry=metrics)
    changes.append(server.serverconf_changed)
    pin = None if settings.token_pin is None else settings.token_pin.get_secret_value()
    if pin is None:
        log.warning("token_not_logged_in", reason="token_pin is not set: log in via the admin API")
    await server.onboarding.open_token(pin)
    await conf_client.restore()
    await server.refresh_keys()
    admin_app.cleanup_ctx.append(server.keys_context)
    server.messagelog.add_to(admin_app)
    admin_app.cleanup_ctx.append(server.opmonitor.cleanup_context)
    _admin(server, admin_app)
    context = server.context()
    download = server.messagelog.download(server.may_download)
    client_proxy, client_proxy_tls = create_client_proxy(context), create_client_proxy(context)
    download.add_routes(client_proxy)
    download.add_routes(client_proxy_tls)
    server.apps["client-proxy"] = (client_proxy, settings.client_proxy_port, None)
    # A second app for the HTTPS port: each app owns its peer pool and cleanup.
    server.apps["client-proxy-tls"] = (
        client_proxy_tls,
        settings.client_proxy_tls_port,
        create_client_proxy_tls(
            settings.data_dir, context.serverconf, utc_now(), settings.listen_host
        ),
    )
    # Always listening: handshakes are refused until an auth certificate is usable, and the
    # identity changes with the key material, without a restart (proxy.tls.ServerTlsIdentity).
    server.apps["server-proxy"] = (
        create_server_proxy(context),
        settings.server_proxy_port,
        server.server_tls.listener_context(),
    )
    server.apps["ocsp"] = (create_ocsp_responder(lambda: server.ocsp), settings.ocsp_port, None)
    server.apps["admin"] = (admin_app, settings.admin_api_port, None)
    return server
