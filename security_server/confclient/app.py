"""Wire the configuration client into an aiohttp application (for the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from security_server.confclient.client import DEFAULT_INTERVAL_SECONDS, ConfigurationClient
from security_server.confclient.downloader import DownloadLimits
from security_server.confclient.metrics import ConfClientMetrics
from vdx.clock import utc_now
from vdx.globalconf import parse_anchor

CONF_CLIENT = web.AppKey("vdx_ss_conf_client", ConfigurationClient)


def setup_configuration_client(
    app: web.Application,
    *,
    anchor_bytes: bytes,
    data_dir: Path | None,
    registry: CollectorRegistry,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    clock: Callable[[], datetime] = utc_now,
    limits: DownloadLimits | None = None,
    version: int | None = None,
) -> ConfigurationClient:
    """Add the client (``app[CONF_CLIENT]``), its metrics and its task (cleanup context).

    The anchor is parsed here, so a broken anchor stops the start with
    ``XRoadError(MalformedGlobalConf)`` instead of a server that can never get a configuration.
    Handlers call ``app[CONF_CLIENT].valid()`` before routing: it raises ``OutdatedGlobalConf``
    when the configuration in use has expired.
    """
    client = ConfigurationClient(
        anchor=parse_anchor(anchor_bytes),
        data_dir=data_dir,
        interval_seconds=interval_seconds,
        clock=clock,
        limits=limits,
        version=version,
    )
    client.attach_metrics(ConfClientMetrics.create(registry, lambda: client.state, clock))
    app[CONF_CLIENT] = client
    app.cleanup_ctx.append(client.cleanup_context)
    return client
