"""``/health`` and ``/metrics`` of the security server's admin listener (ARCHITECTURE rule 9).

``/health`` answers 200 when every check passes, else 500 with the first failing check's
reason; the JSON body lists every check, so an operator sees all that is wrong at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

# A check answers None when healthy, else the reason.
Check = Callable[[], Awaitable[str | None]]


def health_handler(checks: Mapping[str, Check]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_: web.Request) -> web.Response:
        results: dict[str, dict[str, object]] = {}
        first: str | None = None
        for name, check in checks.items():
            reason = await check()
            results[name] = {"ok": reason is None, "reason": reason}
            if reason is not None and first is None:
                first = f"{name}: {reason}"
        body = {"status": "ok" if first is None else "failing", "reason": first, "checks": results}
        return web.json_response(body, status=200 if first is None else 500)

    return handler


def metrics_handler(metrics: CollectorRegistry) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(metrics))
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    return handler
