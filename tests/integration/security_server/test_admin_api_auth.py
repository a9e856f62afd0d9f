"""Admin API: API keys (401), roles (403) for every operation, the OpenAPI document, bodies,
errors that carry no trace, and the api-keys routes with their audit rows."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from security_server.admin_api import OPERATIONS, ApiKeyStore, Role
from security_server.admin_api import schemas as s
from security_server.admin_api.errors import error_middleware
from security_server.admin_api.keys import parse_authorization
from tests import databases
from tests.integration.security_server import test_admin_api_support as support
from tests.integration.security_server import test_serverconf_support as ss
from tests.integration.security_server.test_admin_api_support import NONE, Api

pg_database = databases.postgres_module_fixture()
db_url = ss.db_url_fixture()
_PARAM = re.compile(r"{[^{}]+}")
# Values for path parameters: the guard answers before any lookup, so they need not exist.
_FILL = {
    "{client_id}": "VN:GOV:0101",
    "{service_id}": "VN:GOV:0101:TAX:getRandom",
    "{cert_hash}": "00" * 32,
}


def _path(template: str) -> str:
    return _PARAM.sub(lambda m: _FILL.get(m.group(0), "1"), template)


@pytest.fixture
async def api(
    aiohttp_client: support.ClientFactory, db_url: str, tmp_path: Path
) -> AsyncIterator[Api]:
    async for started in support.start_api(aiohttp_client, db_url, tmp_path):
        yield started


async def test_every_operation_needs_a_valid_key(api: Api) -> None:
    bad = [
        None,
        "Bearer abc",
        "X-Road-ApiKey token=vdx_unknown",
        support.headers_of(api.keys[NONE]),
    ]
    for op in OPERATIONS:
        for header in bad:
            if isinstance(header, dict):
                headers = header
            else:
                headers = {} if header is None else {"Authorization": header}
            async with api.client.request(
                op.method, "/api/v1" + _path(op.path), headers=headers
            ) as response:
                assert response.status == 401, (op.method, op.path, header)
                assert response.headers["WWW-Authenticate"] == "X-Road-ApiKey"
                body = await response.json()
                assert body["error"]["code"] == "unauthorized"


async def test_each_change_needs_its_role(api: Api) -> None:
    checked = 0
    for op in OPERATIONS:
        if op.role is None:
            continue
        for role in Role:
            if role is op.role:
                continue
            body = await api.call(op.method, _path(op.path), role.value, expect=403)
            assert body["error"] == {
                "code": "forbidden",
                "message": f"This needs the role {op.role.value}",
            }
            checked += 1
    assert checked == 4 * sum(1 for op in OPERATIONS if op.role is not None)


async def test_every_get_is_open_to_the_observer_except_api_keys(api: Api) -> None:
    for op in OPERATIONS:
        if op.method != "GET":
            continue
        async with api.client.get(
            "/api/v1" + _path(op.path), headers=support.headers_of(api.keys[Role.OBSERVER])
        ) as response:
            if op.path == "/api-keys":
                assert response.status == 403
            else:
                assert response.status not in (401, 403), op.path


async def test_the_right_role_passes_the_guard(api: Api) -> None:
    """With its role a change reaches its handler: refused for the body, not for the key."""
    for op in OPERATIONS:
        if op.role is None or op.method == "GET":
            continue
        headers = {
            **support.headers_of(api.keys[op.role.value]),
            "Content-Type": "application/json",
        }
        async with api.client.request(
            op.method, "/api/v1" + _path(op.path), headers=headers, data=b"{"
        ) as response:
            assert response.status not in (401, 403), (op.method, op.path)


async def test_health_needs_no_key(api: Api) -> None:
    async with api.client.get("/health") as response:
        assert response.status == 200


async def test_openapi_lists_every_route(api: Api) -> None:
    document = await api.call("GET", "/openapi.json", Role.OBSERVER.value, expect=200)
    assert document["openapi"].startswith("3.")
    listed = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert listed == {(op.method, op.path) for op in OPERATIONS}
    routes = {
        (r.method, r.resource.canonical)
        for r in api.client.app[support.ADMIN_API].router.routes()  # type: ignore[index]
        if r.resource is not None and r.method != "HEAD"
    }
    assert routes == {(op.method, "/api/v1" + op.path) for op in OPERATIONS}
    schemas = document["components"]["schemas"]
    for model in (*s.REQUEST_MODELS, *s.RESPONSE_MODELS):
        assert model.__name__ in schemas
    login = document["paths"]["/tokens/login"]["post"]
    assert "security-officer" in login["description"]
    assert {"401", "403", "204"} <= set(login["responses"])


async def test_bodies_are_validated(api: Api) -> None:
    sec = Role.SECURITY_OFFICER.value
    # wrong content type, not JSON, a missing field, an extra field, a wrong type
    body = await api.call("POST", "/tokens/login", sec, data=b"pin=1", expect=415)
    assert body["error"]["code"] == "unsupported_media_type"
    body = await api.call(
        "POST",
        "/tokens/login",
        sec,
        data=b"{",
        headers={"Content-Type": "application/json"},
        expect=400,
    )
    assert body["error"]["code"] == "invalid"
    body = await api.call("POST", "/tokens/login", sec, json={}, expect=400)
    assert "pin" in body["error"]["message"]
    body = await api.call(
        "POST", "/tokens/login", sec, json={"pin": "1234-secret", "x": 1}, expect=400
    )
    assert "1234-secret" not in body["error"]["message"]  # the input is never echoed
    await api.call("POST", "/tokens/login", sec, json={"pin": 1234}, expect=400)
    # Streamed without Content-Length: the limit holds while reading.
    big = io.BytesIO(b'{"pin": "' + b"1" * (1024 * 1024) + b'"}')
    body = await api.call(
        "POST",
        "/tokens/login",
        sec,
        data=big,
        headers={"Content-Type": "application/json"},
        expect=413,
    )
    assert body["status"] == 413


async def test_unknown_route_and_method_are_json(api: Api) -> None:
    body = await api.call("GET", "/no-such-thing", expect=404)
    assert body["status"] == 404
    body = await api.call("PUT", "/clients", expect=405)
    assert body["error"]["code"] == "method_not_allowed"


async def test_api_keys_create_list_revoke_with_audit(api: Api) -> None:
    admin = Role.SYSTEM_ADMINISTRATOR.value
    created = await api.call(
        "POST", "/api-keys", admin, json={"name": "ops", "roles": ["observer"]}, expect=201
    )
    s.ApiKeyCreated.model_validate(created)
    assert created["roles"] == ["observer"]
    assert created["key"].startswith("vdx_")
    listed = await api.call("GET", "/api-keys", admin, expect=200)
    assert "key" not in listed[0]
    assert "key_hash" not in listed[0]
    assert [k["name"] for k in listed if k["id"] == created["id"]] == ["ops"]
    new_key = support.headers_of(created["key"])
    async with api.client.get("/api/v1/clients", headers=new_key) as response:
        assert response.status == 200
    await api.call(
        "POST", "/api-keys", admin, json={"name": "ops", "roles": ["observer"]}, expect=409
    )
    body = await api.call(
        "POST", "/api-keys", admin, json={"name": "x", "roles": ["root"]}, expect=400
    )
    assert "Unknown role" in body["error"]["message"]
    await api.call(
        "POST", "/api-keys", admin, json={"name": "a:b", "roles": ["observer"]}, expect=400
    )
    await api.call("DELETE", f"/api-keys/{created['id']}", admin, expect=204)
    await api.call("DELETE", f"/api-keys/{created['id']}", admin, expect=409)
    await api.call("DELETE", "/api-keys/99999", admin, expect=404)
    await api.call("DELETE", "/api-keys/abc", admin, expect=404)
    async with api.client.get("/api/v1/clients", headers=new_key) as response:
        assert response.status == 401
    audit = await api.call("GET", "/audit-log?limit=2", expect=200)
    assert [(e["action"], e["actor"], e["target"]) for e in audit] == [
        ("revoke_api_key", "key-system-administrator", "ops"),
        ("create_api_key", "key-system-administrator", "ops"),
    ]


async def test_key_store_directly(db_url: str) -> None:
    from security_server.storage import create_engine, migrate  # noqa: PLC0415

    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        store = ApiKeyStore(engine)
        info, key = await store.create("cli", ["observer", Role.SECURITY_OFFICER], actor="cli:root")
        assert info.roles == {Role.OBSERVER, Role.SECURITY_OFFICER}
        found = await store.authenticate(key)
        assert found is not None
        assert found.id == info.id
        assert found.active
        assert await store.authenticate(key + "x") is None
        revoked = await store.revoke(info.id, actor="cli:root")
        assert not revoked.active
        assert await store.authenticate(key) is None
        assert [k.name for k in await store.list()] == ["cli"]
    finally:
        await engine.dispose()


def test_authorization_header_forms() -> None:
    assert parse_authorization("X-Road-ApiKey token=abc") == "abc"
    assert parse_authorization("x-road-apikey   token=abc ") == "abc"
    assert parse_authorization("Bearer abc") is None
    assert parse_authorization(None) is None
    assert parse_authorization("X-Road-ApiKey token=" + "a" * 600) is None


async def test_a_crash_is_a_500_without_its_trace(aiohttp_client: support.ClientFactory) -> None:
    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError("secret detail /etc/passwd")

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/x", broken)
    client = await aiohttp_client(app)
    async with client.get("/x") as response:
        assert response.status == 500
        text = await response.text()
    assert "secret" not in text
    assert "Traceback" not in text
    assert '"internal"' in text


def test_the_operations_guide_lists_every_route() -> None:
    guide = Path(__file__).resolve().parents[3] / "docs/operations/security-server-admin-api.md"
    text = guide.read_text(encoding="utf-8")
    for op in OPERATIONS:
        role = f"`{op.role.value}`" if op.role else "any key"
        row = f"| `{op.method} {op.path}` |"
        assert row in text, row
        line = next(line for line in text.splitlines() if line.startswith(row))
        assert line.endswith(f"| {op.status} | {role} |"), line
