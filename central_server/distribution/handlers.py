"""HTTP download of the global configuration (pr-gconf §2.3, §2.7): the I/O shell.

    GET /internalconf[?version=N]   signed directory: private + shared parameters
    GET /externalconf[?version=N]   signed directory: shared parameters only (federation)
    GET /V<N>/<timestamp>/<name>    a configuration part the directory references

Without ``version`` the highest version produced is served; a version not produced is 404
(§2.7 requires 404 Not Found).
"""

from __future__ import annotations

from aiohttp import web

from central_server.distribution.metrics import DistributionMetrics
from central_server.distribution.store import ConfigurationStore

_NOT_READY = "No global configuration has been generated yet\n"


class DistributionHandlers:
    def __init__(self, store: ConfigurationStore, metrics: DistributionMetrics | None = None):
        self._store = store
        self._metrics = metrics

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/internalconf", self.internal),
            web.get("/externalconf", self.external),
            web.get(r"/{version:V\d+}/{stamp:[0-9]+}/{name:[A-Za-z0-9._-]+}", self.part),
        ]

    async def internal(self, request: web.Request) -> web.Response:
        return self._directory(request, internal=True)

    async def external(self, request: web.Request) -> web.Response:
        return self._directory(request, internal=False)

    def _directory(self, request: web.Request, *, internal: bool) -> web.Response:
        current = self._store.current
        if current is None:
            return web.Response(status=503, text=_NOT_READY, headers={"Retry-After": "10"})
        raw = request.query.get("version")
        version: int | None = None
        if raw is not None:
            if not raw.isdigit() or len(raw) > 4:
                return web.Response(status=400, text="The version parameter is not a number\n")
            version = int(raw)
        produced = current.directory(internal=internal, version=version)
        if produced is None:
            available = ", ".join(str(v) for v in current.versions)
            return web.Response(
                status=404,
                text=f"Configuration version {version} is not available (available: {available})\n",
            )
        if self._metrics is not None:
            self._metrics.downloaded(request.path)
        return web.Response(
            body=produced.body,
            headers={"Content-Type": produced.content_type, "Cache-Control": "no-store"},
        )

    async def part(self, request: web.Request) -> web.Response:
        found = self._store.file(request.path)
        if found is None:
            return web.Response(status=404, text="No such configuration file\n")
        if self._metrics is not None:
            self._metrics.downloaded(request.path)
        # A location names one content for good (unchanged parts keep their files).
        return web.Response(
            body=found.data,
            headers={
                "Content-Type": f"{found.media_type}; charset=utf-8",
                "Cache-Control": "public, max-age=3600",
            },
        )
