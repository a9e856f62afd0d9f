"""What every handler group shares: its dependencies; reading bodies and writing JSON come
from :mod:`server_kit.admin_api.http`, with the two forms only this API has (a raw
certificate body, an onboarding value's own JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from security_server.admin_api.errors import ApiError
from security_server.admin_api.fetch import FetchLimits
from security_server.admin_api.keys import ApiKeyStore
from security_server.confclient.decisions import ConfClientStatus
from security_server.onboarding import OnboardingService
from security_server.serverconf.service import ServerConfService
from server_kit.admin_api.http import MAX_BODY, no_content, parse_body, read_body, reply

__all__ = [
    "MAX_BODY",
    "ConfStatusProvider",
    "HandlerBase",
    "no_content",
    "parse_body",
    "raw_body",
    "read_body",
    "reply",
    "reply_json",
]

ConfStatusProvider = Callable[[], ConfClientStatus]


async def raw_body(request: web.Request) -> bytes:
    """A certificate sent as the body itself (PEM or DER), not JSON."""
    if request.content_type == "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the certificate itself, PEM or DER")
    data = await read_body(request)
    if not data:
        raise ApiError(400, "invalid", "The body is empty: send the certificate, PEM or DER")
    return data


def reply_json(value: dict[str, Any], status: int = 200) -> web.Response:
    """An onboarding value's ``to_json()`` as it is (ss-admin contract §1)."""
    return web.json_response(value, status=status, dumps=json.dumps)


class HandlerBase:
    def __init__(
        self,
        serverconf: ServerConfService,
        onboarding: OnboardingService,
        api_keys: ApiKeyStore,
        *,
        conf_status: ConfStatusProvider,
        fetch_limits: FetchLimits,
    ) -> None:
        self.serverconf = serverconf
        self.onboarding = onboarding
        self.api_keys = api_keys
        self.conf_status = conf_status
        self.fetch_limits = fetch_limits
