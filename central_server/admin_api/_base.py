"""What every handler group shares: its dependencies, reading bodies, writing JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from central_server.admin_api.conf import AnchorProvider, ConfStatusProvider
from central_server.admin_api.errors import ApiError
from central_server.admin_api.keys import ApiKeyStore
from central_server.registry import RegistryService

MAX_BODY = 1024 * 1024  # 1 MiB: a CA with its chain and responders fits many times over
_M = TypeVar("_M", bound=BaseModel)


def _validation_message(error: ValidationError) -> str:
    # Location and reason only: pydantic's text would echo the input back.
    problems = [
        f"{'.'.join(str(p) for p in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)[:5]
    ]
    return "Invalid body: " + "; ".join(problems)


async def read_body(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The body, refused with 413 beyond ``limit`` whether or not Content-Length says so."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"The body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"The body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_body(request: web.Request, model: type[_M]) -> _M:
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json")
    data = await read_body(request)
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        raise ApiError(400, "invalid", _validation_message(error)) from None


def reply(value: BaseModel | Sequence[BaseModel], status: int = 200) -> web.Response:
    if isinstance(value, BaseModel):
        text = value.model_dump_json()
    else:
        text = json.dumps([item.model_dump(mode="json") for item in value])
    return web.Response(text=text, status=status, content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)


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
