"""The central server's admin REST API (``/api/v1``): API keys with roles, JSON in and out,
the OpenAPI document served at ``/api/v1/openapi.json``."""

from central_server.admin_api._base import MAX_BODY
from central_server.admin_api.app import ADMIN_API, create_admin_app, setup_admin_api
from central_server.admin_api.conf import (
    AnchorProvider,
    AnchorUnavailableError,
    ConfStatusProvider,
    make_anchor_provider,
)
from central_server.admin_api.keys import ApiKeyInfo, ApiKeyStore, Role
from central_server.admin_api.routes import OPERATIONS, PREFIX

__all__ = [
    "ADMIN_API",
    "MAX_BODY",
    "OPERATIONS",
    "PREFIX",
    "AnchorProvider",
    "AnchorUnavailableError",
    "ApiKeyInfo",
    "ApiKeyStore",
    "ConfStatusProvider",
    "Role",
    "create_admin_app",
    "make_anchor_provider",
    "setup_admin_api",
]
