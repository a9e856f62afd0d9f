"""The security server admin API on a real database, with one API key per role, and a local
web server for WSDL / OpenAPI documents. Named test_admin_api_* to stay with the admin API
tests; it holds no tests itself."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from security_server.admin_api import (
    MAX_BODY,
    ApiKeyStore,
    FetchLimits,
    Role,
    setup_admin_api,
)
from security_server.admin_api.app import ADMIN_API
from security_server.app_health import health_handler
from security_server.confclient import ConfigurationClient
from security_server.onboarding import OnboardingService
from security_server.serverconf import ServerConfService
from security_server.storage import create_engine, migrate
from tests import vectors
from tests.integration.security_server import test_serverconf_support as ss
from vdx.globalconf import parse_anchor

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[..., Awaitable[TestServer]]
ALL = "all"
INSTANCE = "VN"
NONE = "nobody"
OPENAPI = ss.OPENAPI
OPENAPI_V2 = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "2"},
        "servers": [{"url": "http://pets.example.vn/api"}],
        "paths": {"/pets": {"get": {}}, "/owners": {"get": {}}},
    }
).encode()


def anchor_file() -> Path:
    return vectors.require_dir() / "anchors" / "trusted-anchor.xml"


@dataclasses.dataclass
class Api:
    """The running API: its client, a key per role (and ``all``), the services behind it."""

    client: TestClient[Any, Any]
    keys: dict[str, str]
    serverconf: ServerConfService
    store: ApiKeyStore
    onboarding: OnboardingService
    conf: ConfigurationClient

    async def call(
        self,
        method: str,
        path: str,
        role: str | None = ALL,
        *,
        expect: int | None = None,
        **kw: Any,
    ) -> Any:
        """``method /api/v1<path>`` with the key of ``role``; checks the status, returns JSON
        (or the text of a non-JSON answer, None for 204)."""
        headers = dict(kw.pop("headers", {}))
        if role is not None:
            headers["Authorization"] = f"X-Road-ApiKey token={self.keys[role]}"
        async with self.client.request(method, "/api/v1" + path, headers=headers, **kw) as r:
            text = await r.text()
            if expect is not None:
                assert r.status == expect, f"{method} {path}: {r.status} {text}"
            if r.status == 204:
                return None
            if r.content_type == "application/json":
                return json.loads(text)
            return text


def headers_of(key: str) -> dict[str, str]:
    return {"Authorization": f"X-Road-ApiKey token={key}"}


async def start_api(
    aiohttp_client: ClientFactory,
    db_url: str,
    tmp_path: Path,
    *,
    fetch_limits: FetchLimits | None = None,
    anchor: bytes | None = None,
    management_service_url: str | None = None,
) -> AsyncIterator[Api]:
    """Migrate, create a key per role, wire the API on an admin listener with /health.

    Without ``anchor`` the configuration client has the reference anchor (instance VN) and
    never downloads anything.
    """
    if anchor is None:
        parsed = dataclasses.replace(parse_anchor(anchor_file().read_bytes()), instance=INSTANCE)
    else:
        parsed = parse_anchor(anchor)
    conf = ConfigurationClient(anchor=parsed)
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        serverconf = ServerConfService(engine, ss.StepClock())
        store = ApiKeyStore(engine)
        keys: dict[str, str] = {}
        for role in Role:
            _, keys[role.value] = await store.create(f"key-{role.value}", [role], actor="setup")
        _, keys[ALL] = await store.create("key-all", list(Role), actor="setup")
        info, keys[NONE] = await store.create("key-revoked", [Role.OBSERVER], actor="setup")
        await store.revoke(info.id, actor="setup")
        # The reference anchor, for an instance with a two-letter code: CSR subjects carry the
        # instance as their country (C), so the onboarding service needs one.
        onboarding = OnboardingService(
            serverconf=serverconf,
            engine=engine,
            conf=conf,
            token_dir=tmp_path / "tokens",
            management_service_url=management_service_url,
        )
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/health", health_handler({}))
        setup_admin_api(
            app,
            serverconf=serverconf,
            onboarding=onboarding,
            keys=store,
            conf_status=conf.status,
            fetch_limits=fetch_limits,
        )
        assert ADMIN_API in app
        client = await aiohttp_client(app)
        yield Api(client, keys, serverconf, store, onboarding, conf)
    finally:
        await conf.stop()
        await engine.dispose()


@dataclasses.dataclass
class DocumentServer:
    """Serves documents by path; ``documents`` can be changed between requests (refresh)."""

    server: TestServer
    documents: dict[str, bytes]

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


async def document_server(aiohttp_server: ServerFactory, slow_seconds: float = 0) -> DocumentServer:
    documents: dict[str, bytes] = {
        "/testservice.wsdl": ss.wsdl(),
        "/openapi.json": OPENAPI,
        "/big": b"x" * (10 * 1024 * 1024 + 1),
    }

    async def serve(request: web.Request) -> web.StreamResponse:
        if request.path == "/slow":
            await asyncio.sleep(slow_seconds)
            return web.Response(body=b"late")
        if request.path == "/redirect":
            raise web.HTTPFound(location="/testservice.wsdl")
        body = documents.get(request.path)
        if body is None:
            raise web.HTTPNotFound
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    server = await aiohttp_server(app, host="127.0.0.1")
    return DocumentServer(server, documents)
