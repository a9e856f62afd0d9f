"""Bodies in and JSON out for an admin REST API's handlers: size-limited reading, pydantic
validation without echoing the input, replies and 204s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from server_kit.admin_api.errors import ApiError

# 1 MiB: a certificate with its chain, or a CA with its intermediates and OCSP responders,
# fits many times over.
MAX_BODY = 1024 * 1024
_M = TypeVar("_M", bound=BaseModel)


def validation_message(error: ValidationError) -> str:
    # Location and reason only: pydantic's text would echo the input (a PIN, a key) back.
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


def _require_json(request: web.Request) -> None:
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json")


async def parse_body(request: web.Request, model: type[_M], *, optional: bool = False) -> _M:
    """The JSON body as ``model``; with ``optional``, no body at all means ``model()``.

    A body that must be there is refused for its media type (415) before it is read; one that
    may be left out is read first, since an empty body needs no media type.
    """
    if not optional:
        _require_json(request)
    data = await read_body(request)
    if optional:
        if not data.strip():
            return model()
        _require_json(request)
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        raise ApiError(400, "invalid", validation_message(error)) from None


def reply(value: BaseModel | Sequence[BaseModel], status: int = 200) -> web.Response:
    if isinstance(value, BaseModel):
        text = value.model_dump_json()
    else:
        text = json.dumps([item.model_dump(mode="json") for item in value])
    return web.Response(text=text, status=status, content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)
