"""Wire configuration distribution into an aiohttp application (for the composition root)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from central_server.confgen import (
    DEFAULT_EXPIRE_SECONDS,
    DEFAULT_VERSIONS,
    DirectorySigner,
    SigningKeys,
)
from central_server.distribution.handlers import DistributionHandlers
from central_server.distribution.metrics import DistributionMetrics
from central_server.distribution.publisher import DEFAULT_INTERVAL_SECONDS, ConfigurationPublisher
from central_server.distribution.shared import SharedGenerations
from central_server.distribution.store import ConfigurationStore
from vdx.clock import utc_now
from vdx.globalconf import PrivateParameters, SharedParameters

CONF_STORE = web.AppKey("vdx_cs_conf_store", ConfigurationStore)
CONF_PUBLISHER = web.AppKey("vdx_cs_conf_publisher", ConfigurationPublisher)


def setup_configuration_distribution(
    app: web.Application,
    *,
    snapshot_provider: Callable[[], Awaitable[SharedParameters]],
    private: PrivateParameters | Callable[[], Awaitable[PrivateParameters]],
    signer: DirectorySigner | None = None,
    registry: CollectorRegistry,
    key_provider: Callable[[], Awaitable[SigningKeys]] | None = None,
    external_signer: DirectorySigner | None = None,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
    versions: Sequence[int] = DEFAULT_VERSIONS,
    source_address: str | None = None,
    next_internal_certs: Sequence[bytes] = (),
    next_external_certs: Sequence[bytes] = (),
    data_dir: Path | None = None,
    clock: Callable[[], datetime] = utc_now,
    shared: SharedGenerations | None = None,
) -> ConfigurationPublisher:
    """Add the download routes, the metrics and the publisher task (cleanup context) to
    ``app``; returns the publisher, whose ``request_regeneration()`` the registry calls."""
    store = ConfigurationStore()
    metrics = DistributionMetrics.create(registry, store, clock)
    publisher = ConfigurationPublisher(
        store=store,
        snapshot_provider=snapshot_provider,
        private=private,
        signer=signer,
        external_signer=external_signer,
        key_provider=key_provider,
        interval_seconds=interval_seconds,
        expire_seconds=expire_seconds,
        versions=versions,
        source_address=source_address,
        next_internal_certs=next_internal_certs,
        next_external_certs=next_external_certs,
        data_dir=data_dir,
        metrics=metrics,
        clock=clock,
        shared=shared,
    )
    app.add_routes(DistributionHandlers(store, metrics).routes())
    app[CONF_STORE] = store
    app[CONF_PUBLISHER] = publisher
    app.cleanup_ctx.append(publisher.cleanup_context)
    return publisher
