"""Global configuration distribution: the HTTP download shell and the publishing task."""

from central_server.distribution.app import (
    CONF_PUBLISHER,
    CONF_STORE,
    setup_configuration_distribution,
)
from central_server.distribution.handlers import DistributionHandlers
from central_server.distribution.metrics import DistributionMetrics
from central_server.distribution.persistence import (
    PersistedGenerationError,
    load_generation,
    save_generation,
)
from central_server.distribution.publisher import TASK_NAME, ConfigurationPublisher
from central_server.distribution.signing_key import load_software_signer
from central_server.distribution.store import ConfigurationStore

__all__ = [
    "CONF_PUBLISHER",
    "CONF_STORE",
    "TASK_NAME",
    "ConfigurationPublisher",
    "ConfigurationStore",
    "DistributionHandlers",
    "DistributionMetrics",
    "PersistedGenerationError",
    "load_generation",
    "load_software_signer",
    "save_generation",
    "setup_configuration_distribution",
]
