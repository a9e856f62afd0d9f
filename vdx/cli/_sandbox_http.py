"""HTTP from the sandbox to the servers' admin REST APIs, the test CA and the client proxy.

The sandbox is an operator's script: it uses the same ``/api/v1`` routes with the same
``Authorization: X-Road-ApiKey token=...`` header as ``vdx ss``, the admin UI or any tool.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp

from vdx.cli._sandbox_procs import SandboxError

T = TypeVar("T")
API = "/api/v1"


def segment(value: str) -> str:
    """One path segment: identifiers keep their ``:`` form, URL-encoded."""
    return urllib.parse.quote(value, safe="")


class AdminApi:
    """One server's admin REST API with one API key."""

    def __init__(self, session: aiohttp.ClientSession, name: str, base: str, key: str) -> None:
        self.session = session
        self.name = name
        self.base = base.rstrip("/") + API
        self.key = key

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str | None = None,
        query: dict[str, str] | None = None,
        retry_unavailable: float = 0,
    ) -> Any:
        """JSON (or text) of a 2xx answer; anything else raises :class:`SandboxError`.
        ``retry_unavailable``: seconds to keep retrying a 503 (no global configuration yet)."""
        headers = {"Authorization": f"X-Road-ApiKey token={self.key}"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        deadline = time.monotonic() + retry_unavailable
        while True:
            async with self.session.request(
                method, self.base + path, json=body, data=raw, headers=headers, params=query
            ) as answer:
                text = await answer.text()
                if answer.status == 503 and time.monotonic() < deadline:
                    await asyncio.sleep(0.3)
                    continue
                if answer.status >= 300:
                    raise SandboxError(f"{self.name}: {method} {path} -> {answer.status} {text}")
                if answer.content_type == "application/json":
                    return await answer.json()
                return text


async def post_bytes(
    session: aiohttp.ClientSession, url: str, data: bytes, content_type: str
) -> bytes:
    async with session.post(url, data=data, headers={"Content-Type": content_type}) as answer:
        body = await answer.read()
        if answer.status != 200:
            raise SandboxError(f"POST {url} -> {answer.status} {body[:300]!r}")
        return body


async def status_of(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, str]:
    """Status and text of a GET, or (0, reason) when nothing answers."""
    try:
        async with session.get(url, **kwargs) as answer:
            return answer.status, await answer.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        return 0, type(error).__name__


async def until(
    what: str, probe: Callable[[], Awaitable[T | None]], seconds: float = 30, pause: float = 0.25
) -> T:
    """Poll ``probe`` until it returns something (not None, not False)."""
    deadline = time.monotonic() + seconds
    while True:
        value = await probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise SandboxError(f"timed out after {seconds:.0f} s waiting for {what}")
        await asyncio.sleep(pause)
