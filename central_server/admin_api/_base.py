"""What every handler group shares: its dependencies; reading bodies and writing JSON come
from :mod:`server_kit.admin_api.http`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from central_server.admin_api.conf import AnchorProvider, ConfStatusProvider
from central_server.admin_api.keys import ApiKeyStore
from central_server.registry import RegistryService
from server_kit.admin_api.http import MAX_BODY, no_content, parse_body, read_body, reply

__all__ = ["MAX_BODY", "HandlerBase", "no_content", "parse_body", "read_body", "reply"]


class HandlerBase:
    def __init__(
        self,
        registry: RegistryService,
        api_keys: ApiKeyStore,
        *,
        anchor_provider: AnchorProvider | None,
        conf_status_provider: ConfStatusProvider | None,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.registry = registry
        self.api_keys = api_keys
        self.anchor_provider = anchor_provider
        self.conf_status_provider = conf_status_provider
        self.clock = clock
