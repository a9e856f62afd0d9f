"""Wire the admin REST API into an aiohttp application (for the composition root).

Every route comes from :data:`~central_server.admin_api.routes.OPERATIONS` and is wrapped by
:func:`server_kit.admin_api.app.guard`: the API key is checked (401), then the operation's role
(403), then the handler runs with the key's name as the audit-log actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from aiohttp import web

from central_server.admin_api._base import MAX_BODY
from central_server.admin_api.conf import AnchorProvider, ConfStatusProvider
from central_server.admin_api.errors import error_middleware
from central_server.admin_api.handlers_keys import KeysHandlers
from central_server.admin_api.handlers_members import MembersHandlers
from central_server.admin_api.handlers_requests import RequestsHandlers
from central_server.admin_api.handlers_servers import ServersHandlers
from central_server.admin_api.handlers_system import SystemHandlers
from central_server.admin_api.handlers_trust import TrustHandlers
from central_server.admin_api.keys import ApiKeyStore
from central_server.admin_api.routes import OPERATIONS, PREFIX
from central_server.conf_keys import ConfSigningKeys
from central_server.management import ManagementService
from central_server.registry import RegistryService
from server_kit.admin_api.app import build_api, mount
from vdx.clock import utc_now

ADMIN_API = web.AppKey("vdx_cs_admin_api", web.Application)


class Handlers(
    MembersHandlers, ServersHandlers, TrustHandlers, SystemHandlers, RequestsHandlers, KeysHandlers
):
    """All handlers; ``routes.OPERATIONS`` names them."""


def create_admin_app(
    *,
    registry: RegistryService,
    api_keys: ApiKeyStore,
    anchor_provider: AnchorProvider | None = None,
    conf_status_provider: ConfStatusProvider | None = None,
    management: ManagementService | None = None,
    signing_keys: ConfSigningKeys | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    client_max_size: int = MAX_BODY,
) -> web.Application:
    """The API as its own application, to mount at ``/api/v1``."""
    handlers = Handlers(
        registry,
        api_keys,
        anchor_provider=anchor_provider,
        conf_status_provider=conf_status_provider,
        clock=clock,
    )
    handlers.management = management
    handlers.signing_keys = signing_keys
    return build_api(
        OPERATIONS,
        handlers,
        api_keys.authenticate,
        middleware=error_middleware,
        client_max_size=client_max_size,
    )


def setup_admin_api(
    app: web.Application,
    *,
    registry: RegistryService,
    api_keys: ApiKeyStore,
    anchor_provider: AnchorProvider | None = None,
    conf_status_provider: ConfStatusProvider | None = None,
    management: ManagementService | None = None,
    signing_keys: ConfSigningKeys | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> web.Application:
    """Mount the admin API at ``/api/v1`` on ``app``; returns the sub-application.

    Create ``app`` with ``client_max_size=MAX_BODY`` (aiohttp applies the root application's
    limit); the handlers also refuse bodies above ``MAX_BODY`` themselves.
    """
    api = create_admin_app(
        registry=registry,
        api_keys=api_keys,
        anchor_provider=anchor_provider,
        conf_status_provider=conf_status_provider,
        management=management,
        signing_keys=signing_keys,
        clock=clock,
    )
    return mount(app, PREFIX, api, ADMIN_API)
