"""Configuration client (pr-gconf §5): download, verify, swap and persist the global
configuration; refuse traffic once it has expired."""

from security_server.confclient.app import CONF_CLIENT, setup_configuration_client
from security_server.confclient.client import TASK_NAME, ConfigurationClient
from security_server.confclient.decisions import (
    Action,
    ClientState,
    ConfClientStatus,
    ErrorRecord,
    on_download,
    on_restore,
    require_valid,
    status,
)
from security_server.confclient.downloader import Downloader, DownloadLimits
from security_server.confclient.metrics import ConfClientMetrics
from security_server.confclient.model import (
    ConfigurationIndex,
    GlobalConfiguration,
    build_configuration,
    build_index,
)
from security_server.confclient.verify import RawDownload, verify_download

__all__ = [
    "CONF_CLIENT",
    "TASK_NAME",
    "Action",
    "ClientState",
    "ConfClientMetrics",
    "ConfClientStatus",
    "ConfigurationClient",
    "ConfigurationIndex",
    "DownloadLimits",
    "Downloader",
    "ErrorRecord",
    "GlobalConfiguration",
    "RawDownload",
    "build_configuration",
    "build_index",
    "on_download",
    "on_restore",
    "require_valid",
    "setup_configuration_client",
    "status",
    "verify_download",
]
