"""The security server's admin REST API (``/api/v1`` on the admin listener): API keys with the
five roles of the security server user guide, JSON in and out, the OpenAPI document served
at ``/api/v1/openapi.json``."""

from security_server.admin_api._base import MAX_BODY, ConfStatusProvider
from security_server.admin_api.app import ADMIN_API, create_admin_app, setup_admin_api
from security_server.admin_api.fetch import FetchLimits
from security_server.admin_api.keys import ApiKeyInfo, ApiKeyStore, Role
from security_server.admin_api.routes import OPERATIONS, PREFIX

__all__ = [
    "ADMIN_API",
    "MAX_BODY",
    "OPERATIONS",
    "PREFIX",
    "ApiKeyInfo",
    "ApiKeyStore",
    "ConfStatusProvider",
    "FetchLimits",
    "Role",
    "create_admin_app",
    "setup_admin_api",
]
