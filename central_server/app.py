"""The central server's composition root: settings in, running services out.

The only place that reads settings and wires the parts: storage (migrated at start), the
registry service layer, the configuration publisher and download routes, health and metrics.
Each listener is its own aiohttp application so that ports can be firewalled separately, as
X-Road's central server does (configuration download, registration, management, admin API).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from central_server import conf_signing
from central_server.distribution import setup_configuration_distribution
from central_server.distribution.publisher import ConfigurationPublisher
from central_server.registry import RegistryService
from central_server.settings import CentralServerSettings
from central_server.storage import open_engine
from vdx.clock import utc_now
from vdx.globalconf import ManagementService, PrivateParameters
from vdx.identifiers import parse_client

log = structlog.get_logger("vdx.central_server")
DEFAULT_PROVIDER = "{instance}:GOV:CENTRAL:MANAGEMENT"


@dataclass
class CentralServer:
    """The wired parts of one node; ``apps`` maps a listener name to (application, port)."""

    settings: CentralServerSettings
    engine: AsyncEngine
    registry: RegistryService
    publisher: ConfigurationPublisher
    metrics: CollectorRegistry
    apps: dict[str, tuple[web.Application, int]] = field(default_factory=dict)
    on_change: list[Callable[[], None]] = field(default_factory=list)


def _public_host(settings: CentralServerSettings) -> str:
    return settings.public_host or settings.listen_host


def private_parameters_provider(
    settings: CentralServerSettings, registry: RegistryService
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
            management_service=ManagementService(
                auth_cert_reg_service_address=address,
                management_request_service_provider_id=parse_client(provider_text, ":"),
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
    signer = conf_signing.load_or_create(settings.data_dir / "conf-signing", instance, utc_now())
    metrics = CollectorRegistry()
    conf_app = web.Application()
    publisher = setup_configuration_distribution(
        conf_app,
        snapshot_provider=registry.snapshot,
        private=private_parameters_provider(settings, registry),  # type: ignore[arg-type]
        signer=signer,
        registry=metrics,
        interval_seconds=settings.conf_generation_interval_seconds,
        expire_seconds=settings.conf_expire_seconds,
        versions=tuple(settings.conf_versions),
        source_address=_public_host(settings),
        data_dir=settings.data_dir / "conf",
    )
    changes.append(publisher.request_regeneration)
    conf_app.router.add_get("/health", health)
    conf_app.router.add_get("/metrics", _metrics_handler(metrics))  # type: ignore[arg-type]
    server = CentralServer(settings, engine, registry, publisher, metrics, on_change=changes)
    server.apps["conf"] = (conf_app, settings.conf_http_port)
    return server
