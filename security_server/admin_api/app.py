"""Wire the admin REST API into the security server's admin listener (composition root).

Every route comes from :data:`~security_server.admin_api.routes.OPERATIONS` and is wrapped by
:func:`server_kit.admin_api.app.guard`: the API key is checked (401), then the operation's role
(403), then the handler runs with the key's name as the audit-log actor. ``/health`` and
``/metrics`` of the same listener stay outside ``/api/v1`` and need no key.
"""

from __future__ import annotations

from aiohttp import web

from security_server.admin_api._base import MAX_BODY, ConfStatusProvider
from security_server.admin_api.errors import error_middleware
from security_server.admin_api.fetch import FetchLimits
from security_server.admin_api.handlers_clients import ClientsHandlers
from security_server.admin_api.handlers_services import ServicesHandlers
from security_server.admin_api.handlers_system import SystemHandlers
from security_server.admin_api.handlers_tokens import TokensHandlers
from security_server.admin_api.keys import ApiKeyStore
from security_server.admin_api.routes import OPERATIONS, PREFIX
from security_server.onboarding import OnboardingService
from security_server.serverconf.service import ServerConfService
from server_kit.admin_api.app import build_api, mount

ADMIN_API = web.AppKey("vdx_ss_admin_api", web.Application)


class Handlers(SystemHandlers, TokensHandlers, ClientsHandlers, ServicesHandlers):
    """All handlers; ``routes.OPERATIONS`` names them."""


def create_admin_app(
    *,
    serverconf: ServerConfService,
    onboarding: OnboardingService,
    keys: ApiKeyStore,
    conf_status: ConfStatusProvider,
    fetch_limits: FetchLimits | None = None,
    client_max_size: int = MAX_BODY,
) -> web.Application:
    """The API as its own application, to mount at ``/api/v1``."""
    handlers = Handlers(
        serverconf,
        onboarding,
        keys,
        conf_status=conf_status,
        fetch_limits=fetch_limits or FetchLimits(),
    )
    return build_api(
        OPERATIONS,
        handlers,
        keys.authenticate,
        middleware=error_middleware,
        client_max_size=client_max_size,
    )


def setup_admin_api(
    app: web.Application,
    *,
    serverconf: ServerConfService,
    onboarding: OnboardingService,
    keys: ApiKeyStore,
    conf_status: ConfStatusProvider,
    fetch_limits: FetchLimits | None = None,
) -> web.Application:
    """Mount the admin API at ``/api/v1`` on ``app`` (the admin listener); returns it.

    Create ``app`` with ``client_max_size=MAX_BODY`` (aiohttp applies the root application's
    limit); the handlers also refuse bodies above ``MAX_BODY`` themselves.
    """
    api = create_admin_app(
        serverconf=serverconf,
        onboarding=onboarding,
        keys=keys,
        conf_status=conf_status,
        fetch_limits=fetch_limits,
    )
    return mount(app, PREFIX, api, ADMIN_API)
