"""The central server's composition root: settings in, running services out.

The only place that reads settings and wires the parts: storage (migrated at start), the
registry service layer, the configuration publisher and download routes, health and metrics.
Each listener is its own aiohttp application so that ports can be firewalled separately, as
X-Road's central server does (configuration download, registration, management, admin API).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from central_server import conf_signing, tls
from central_server.admin_api import MAX_BODY, ApiKeyStore, make_anchor_provider, setup_admin_api
from central_server.conf_keys import ConfSigningKeys
from central_server.conf_keys.service import active_certificate
from central_server.confgen.signing import certificate_der
from central_server.distribution import setup_configuration_distribution
from central_server.distribution.publisher import ConfigurationPublisher
from central_server.distribution.shared import SharedGenerations, default_node_id
from central_server.management import (
    REGISTRATION_TYPES,
    ManagementService,
    setup_management_services,
)
from central_server.registry import RegistryService
from central_server.settings import CentralServerSettings
from central_server.storage import open_engine
from vdx.clock import utc_now
from vdx.globalconf import ManagementService as ManagementServiceParams
from vdx.globalconf import PrivateParameters
from vdx.identifiers import parse_client
from vdx.tokens import Token, create_soft_token, open_pkcs11_token, open_soft_token

log = structlog.get_logger("vdx.central_server")
DEFAULT_PROVIDER = "{instance}:GOV:CENTRAL:MANAGEMENT"
TOKEN_ID = "conf-signing"  # noqa: S105 - the token's name, not a secret
FIRST_START_ACTOR = "central-server:first-start"
# The generation lease outlives a few missed rounds before another node takes over.
LEASE_INTERVALS = 3


@dataclass
class CentralServer:
    """The wired parts of one node; ``apps`` maps a listener name to (application, port)."""

    settings: CentralServerSettings
    engine: AsyncEngine
    registry: RegistryService
    publisher: ConfigurationPublisher
    metrics: CollectorRegistry
    # listener name -> (application, port, TLS context or None for plain HTTP)
    apps: dict[str, tuple[web.Application, int, ssl.SSLContext | None]] = field(
        default_factory=dict
    )
    on_change: list[Callable[[], None]] = field(default_factory=list)
    signing_keys: ConfSigningKeys | None = None  # None: the legacy PEM key signs


def _public_host(settings: CentralServerSettings) -> str:
    return settings.public_host or settings.listen_host


def private_parameters_provider(
    settings: CentralServerSettings, registry: RegistryService, tls_cert_der: bytes
) -> Callable[[], object]:
    async def provide() -> PrivateParameters:
        instance = await registry.get_instance() or settings.instance_identifier or ""
        provider_text = settings.management_service_provider or DEFAULT_PROVIDER.format(
            instance=instance
        )
        parameters = await registry.get_system_parameters()
        address = (
            f"https://{_public_host(settings)}:{settings.registration_port}/managementservice/"
        )
        return PrivateParameters(
            instance=instance,
            management_service=ManagementServiceParams(
                auth_cert_reg_service_address=address,
                management_request_service_provider_id=parse_client(provider_text, ":"),
                auth_cert_reg_service_cert=tls_cert_der,
            ),
            time_stamping_interval_seconds=parameters.get("timeStampingIntervalSeconds", 60),
        )

    return provide


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _metrics_handler(metrics: CollectorRegistry) -> Callable[[web.Request], object]:
    async def handler(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(metrics))
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    return handler


def open_token(folder: Path, pin: str, settings: CentralServerSettings | None = None) -> Token:
    """The node's token, logged in (blocks): the PKCS#11 token the settings name, else the
    software token in ``folder``, created on first start."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if settings is not None and settings.token_library:
        # Labels, usages and certificates of PKCS#11 keys live next to the data, not on the HSM.
        token = open_pkcs11_token(
            settings.token_library, settings.token_label, folder / "pkcs11-metadata.json"
        )
        token.login(pin)
        return token
    if (folder / f"{TOKEN_ID}.keystore").exists():
        token = open_soft_token(folder, TOKEN_ID)
    else:
        token = create_soft_token(folder, TOKEN_ID, pin)
    token.login(pin)
    return token


async def signing_keys_for(
    settings: CentralServerSettings, engine: AsyncEngine, instance: str
) -> ConfSigningKeys | None:
    """Keys on the token in ``<data_dir>/tokens`` (first keys made and activated on first
    start), or ``None`` without a PIN: then the legacy PEM key signs (no rotation)."""
    if settings.token_pin is None:
        log.warning("conf_signing_pem_fallback", reason="token_pin is not set")
        return None
    pin = settings.token_pin.get_secret_value()
    token = await asyncio.to_thread(open_token, settings.data_dir / "tokens", pin, settings)
    keys = ConfSigningKeys(engine, token, instance, pin=pin)
    made = await keys.ensure_active(actor=FIRST_START_ACTOR)
    for key in made:
        log.info("conf_signing_key_created", key_id=key.key_id, source=key.source)
    return keys


async def build(settings: CentralServerSettings) -> CentralServer:
    """Open (and migrate) storage and wire every part; nothing listens yet."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = await open_engine(settings.db_url)
    changes: list[Callable[[], None]] = []

    def changed() -> None:
        # Every committed registry change asks for a new configuration (issue 5: "on change").
        for notify in changes:
            notify()

    registry = RegistryService(engine, on_change=changed)
    instance = await registry.get_instance() or settings.instance_identifier
    if instance is None:
        raise ValueError(
            "the instance is not set: run `vdx cs init` or set instance_identifier in the settings"
        )
    if await registry.get_instance() is None:
        await registry.set_instance(instance, actor="central-server:settings")
    keys = await signing_keys_for(settings, engine, instance)
    if keys is None:
        signer = conf_signing.load_or_create(
            settings.data_dir / "conf-signing", instance, utc_now()
        )
        first_cert: bytes | None = certificate_der(signer)
    else:
        signer = None
        # From the database, not the token: a node whose token lacks the key still starts
        # (it serves what the generating node stores).
        first_cert = await active_certificate(engine)
    tls_folder = settings.data_dir / "registration-tls"
    tls_cert = tls.load_or_create(tls_folder, _public_host(settings), utc_now())
    tls_der = tls_cert.public_bytes(serialization.Encoding.DER)
    metrics = CollectorRegistry()
    conf_app = web.Application()
    publisher = setup_configuration_distribution(
        conf_app,
        snapshot_provider=registry.snapshot,
        private=private_parameters_provider(settings, registry, tls_der),  # type: ignore[arg-type]
        signer=signer,
        key_provider=None if keys is None else keys.signing_keys,
        registry=metrics,
        interval_seconds=settings.conf_generation_interval_seconds,
        expire_seconds=settings.conf_expire_seconds,
        versions=tuple(settings.conf_versions),
        source_address=_public_host(settings),
        data_dir=settings.data_dir / "conf",
        shared=SharedGenerations(
            engine,
            settings.node_id or default_node_id(),
            lease_seconds=LEASE_INTERVALS * settings.conf_generation_interval_seconds,
        ),
    )
    changes.append(publisher.request_regeneration)
    if keys is not None:
        keys.on_change = changed
    conf_app.router.add_get("/health", health)
    conf_app.router.add_get("/metrics", _metrics_handler(metrics))  # type: ignore[arg-type]
    server = CentralServer(
        settings, engine, registry, publisher, metrics, on_change=changes, signing_keys=keys
    )
    server.apps["conf"] = (conf_app, settings.conf_http_port, None)

    management = ManagementService(engine, registry)
    registration_app = web.Application()
    setup_management_services(registration_app, service=management, types=REGISTRATION_TYPES)
    server.apps["registration"] = (
        registration_app,
        settings.registration_port,
        tls.server_context(tls_folder),
    )
    management_app = web.Application()
    setup_management_services(management_app, service=management)
    server.apps["management"] = (management_app, settings.management_port, None)

    admin_app = web.Application(client_max_size=MAX_BODY)
    setup_admin_api(
        admin_app,
        registry=registry,
        api_keys=ApiKeyStore(engine),
        anchor_provider=make_anchor_provider(
            current=lambda: publisher.store.current,
            snapshot=registry.snapshot,
            signing_cert_der=first_cert,
            clock=utc_now,
        ),
        conf_status_provider=lambda: publisher.store.current,
        management=management,
        signing_keys=keys,
    )
    admin_app.router.add_get("/health", health)
    server.apps["admin"] = (admin_app, settings.admin_api_port, None)
    return server
