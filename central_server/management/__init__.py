"""Management requests from security servers (pr-mserv): verify, store, decide, apply."""

from central_server.management.handlers import (
    MANAGEMENT_TYPES,
    REGISTRATION_TYPES,
    setup_management_services,
)
from central_server.management.service import ManagementService, RequestNotFoundError
from central_server.management.states import State
from central_server.management.store import RequestRecord

__all__ = [
    "MANAGEMENT_TYPES",
    "REGISTRATION_TYPES",
    "ManagementService",
    "RequestNotFoundError",
    "RequestRecord",
    "State",
    "setup_management_services",
]
