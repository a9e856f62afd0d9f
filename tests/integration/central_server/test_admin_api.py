"""The admin REST API against the real application and database (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from central_server.admin_api import (
    MAX_BODY,
    OPERATIONS,
    ApiKeyStore,
    Role,
    make_anchor_provider,
    setup_admin_api,
)
from central_server.admin_api.openapi import document
from central_server.confgen import GeneratedConfiguration
from central_server.distribution import ConfigurationPublisher, ConfigurationStore
from central_server.management import ManagementService
from central_server.registry import CaSpec, IntermediateCaSpec, OcspResponderSpec, RegistryService
from central_server.storage import create_engine, migrate
from tests import databases
from tests.integration.central_server.registry_support import StepClock, der, pem
from tests.unit.central_server import test_management_support as ms
from tests.unit.central_server.test_confgen_support import rsa_signer
from tests.unit.crypto import pki
from vdx.crypto.cert_profile import DEFAULT_PROVIDER
from vdx.globalconf import ManagementService as ManagementParameters
from vdx.globalconf import PrivateParameters, anchor_hash, parse_anchor
from vdx.identifiers import ClientId
from vdx.message.management import RequestType, decode_request

pg_database = databases.postgres_module_fixture()
Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
API = "/api/v1"


@pytest.fixture(params=databases.BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    return databases.fresh_url(request, tmp_path)


@dataclass
class Env:
    client: Client
    registry: RegistryService
    keys: ApiKeyStore
    tokens: dict[str, str]
    published: list[GeneratedConfiguration | None]

    async def call(
        self, method: str, path: str, who: str | None = "admin", body: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = dict(kw.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"X-Road-ApiKey token={self.tokens[who]}"
        if body is not None:
            kw["json"] = body
        async with self.client.request(method, API + path, headers=headers, **kw) as response:
            text = await response.text()
            if response.content_type == "application/json" and text:
                return response.status, json.loads(text)
            return response.status, text


async def make_env(
    db_url: str,
    aiohttp_client: ClientFactory,
    management: Callable[[Any, RegistryService], ManagementService] | None = None,
) -> tuple[Env, Any]:
    await migrate(db_url)
    engine = create_engine(db_url)
    registry = RegistryService(engine, StepClock())
    keys = ApiKeyStore(engine)
    tokens: dict[str, str] = {}
    for name, roles in {
        "admin": [Role.SYSTEM_ADMINISTRATOR],
        "registrar": [Role.REGISTRATION_OFFICER],
        "security": [Role.SECURITY_OFFICER],
    }.items():
        _, tokens[name] = await keys.create(name, roles, actor="test")
    published: list[GeneratedConfiguration | None] = [None]
    app = web.Application(client_max_size=MAX_BODY)
    setup_admin_api(
        app,
        registry=registry,
        api_keys=keys,
        anchor_provider=make_anchor_provider(
            current=lambda: published[0],
            snapshot=registry.snapshot,
            signing_cert_der=der("root"),
            clock=StepClock(),
        ),
        conf_status_provider=lambda: published[0],
        management=None if management is None else management(engine, registry),
    )
    return Env(await aiohttp_client(app), registry, keys, tokens, published), engine


@pytest.fixture
async def env(db_url: str, aiohttp_client: ClientFactory) -> AsyncIterator[Env]:
    made, engine = await make_env(db_url, aiohttp_client)
    try:
        yield made
    finally:
        await engine.dispose()


async def setup_instance(env: Env) -> None:
    assert (await env.call("PUT", "/instance", body={"instance_identifier": "EE"}))[0] == 200
    status, _ = await env.call(
        "POST", "/member-classes", body={"code": "GOV", "description": "Government"}
    )
    assert status == 201
    status, _ = await env.call(
        "POST", "/members", "registrar", {"id": "EE:GOV:1234", "name": "Ministry"}
    )
    assert status == 201


def ca_body(name: str = "Test CA") -> dict[str, Any]:
    return {
        "name": name,
        "certificate": pem("root").decode(),
        "certificate_profile_info": "vdx.profiles.basic",
        "ocsp": [{"url": "http://ocsp.test.invalid/root"}],
        "intermediates": [
            {
                "certificate": base64.b64encode(der("intermediate")).decode(),
                "ocsp": [
                    {
                        "url": "http://ocsp.test.invalid/",
                        "certificate": pem("responder").decode(),
                    }
                ],
            }
        ],
        "csr_format": "DER",
    }


# -------------------------------------------------------------------- happy paths


async def test_registry_resources(env: Env) -> None:
    await setup_instance(env)
    assert (await env.call("GET", "/instance", "security"))[1] == {"instance_identifier": "EE"}
    status, classes = await env.call("GET", "/member-classes", "security")
    assert (status, classes) == (200, [{"code": "GOV", "description": "Government"}])
    status, changed = await env.call(
        "PATCH", "/member-classes/GOV", body={"description": "Government agencies"}
    )
    assert (status, changed["description"]) == (200, "Government agencies")

    status, sub = await env.call(
        "POST", "/members/EE:GOV:1234/subsystems", "registrar", {"code": "SUB", "name": "Tax"}
    )
    assert (status, sub) == (201, {"id": "EE:GOV:1234:SUB", "code": "SUB", "name": "Tax"})
    status, member = await env.call("GET", "/members/EE:GOV:1234", "security")
    assert status == 200
    assert member["name"] == "Ministry"
    assert [s["id"] for s in member["subsystems"]] == ["EE:GOV:1234:SUB"]
    status, members = await env.call("GET", "/members", "registrar")
    assert [m["id"] for m in members] == ["EE:GOV:1234"]
    status, renamed = await env.call(
        "PATCH", "/members/EE:GOV:1234", "registrar", {"name": "Ministry of Tests"}
    )
    assert renamed["name"] == "Ministry of Tests"
    assert (await env.call("GET", "/members/EE:GOV:1234/subsystems"))[1] == [sub]

    # security servers, their certificates and clients
    status, server = await env.call(
        "POST", "/security-servers", "registrar", {"id": "EE:GOV:1234:SS1", "address": "ss1.ee"}
    )
    assert status == 201
    assert server["owner"] == "EE:GOV:1234"
    status, cert = await env.call(
        "POST",
        "/security-servers/EE:GOV:1234:SS1/auth-certs",
        "registrar",
        {"certificate": pem("auth").decode()},
    )
    assert status == 201
    assert len(cert["hash"]) == 64
    status, _ = await env.call(
        "POST", "/security-servers/EE:GOV:1234:SS1/clients", "registrar", {"client": sub["id"]}
    )
    assert status == 201
    status, server = await env.call(
        "PATCH",
        "/security-servers/EE:GOV:1234:SS1",
        "registrar",
        {"address": "ss1.example.ee", "maintenance": True, "maintenance_message": "upgrade"},
    )
    assert status == 200
    assert server["address"] == "ss1.example.ee"
    assert server["in_maintenance"] is True
    assert server["auth_cert_hashes"] == [cert["hash"]]
    assert server["clients"] == ["EE:GOV:1234:SUB"]
    path = "/security-servers/EE:GOV:1234:SS1"
    assert (await env.call("GET", path + "/auth-certs"))[1] == [cert]
    assert (await env.call("GET", path + "/clients"))[1] == [{"client": "EE:GOV:1234:SUB"}]
    assert len((await env.call("GET", "/security-servers"))[1]) == 1

    # global groups; the owners group is kept by the registry
    status, group = await env.call(
        "POST", "/global-groups", "registrar", {"code": "tax", "description": "Tax offices"}
    )
    assert (status, group["members"]) == (201, [])
    status, _ = await env.call(
        "POST", "/global-groups/tax/members", "registrar", {"client": "EE:GOV:1234:SUB"}
    )
    assert status == 201
    assert (await env.call("GET", "/global-groups/tax"))[1]["members"] == ["EE:GOV:1234:SUB"]
    status, groups = await env.call("GET", "/global-groups")
    owners = next(g for g in groups if g["code"] == "security-server-owners")
    assert owners["members"] == ["EE:GOV:1234"]
    assert (await env.call("GET", "/global-groups/tax/members"))[1] == [
        {"client": "EE:GOV:1234:SUB"}
    ]

    # and back down again
    for method, target in [
        ("DELETE", "/global-groups/tax/members/EE:GOV:1234:SUB"),
        ("DELETE", "/global-groups/tax"),
        ("DELETE", path + "/clients/EE:GOV:1234:SUB"),
        ("DELETE", path + f"/auth-certs/{cert['hash']}"),
        ("DELETE", path),
        ("DELETE", "/members/EE:GOV:1234/subsystems/SUB"),
        ("DELETE", "/members/EE:GOV:1234"),
    ]:
        status, text = await env.call(method, target, "registrar")
        assert (status, text) == (204, ""), target
    assert (await env.call("DELETE", "/member-classes/GOV"))[0] == 204
    assert (await env.call("GET", "/members"))[1] == []


async def test_trust_services(env: Env) -> None:
    await setup_instance(env)
    status, ca = await env.call("POST", "/approved-cas", "security", ca_body())
    assert status == 201
    assert ca["name"] == "Test CA"
    assert base64.b64decode(ca["certificate"]["der_base64"]) == der("root")
    assert ca["intermediates"][0]["ocsp"][0]["certificate"]["sha256"]
    assert ca["csr_format"] == "DER"
    assert (await env.call("GET", "/approved-cas/Test CA"))[1] == ca
    assert (await env.call("GET", "/approved-cas"))[1] == [ca]
    assert (await env.call("GET", "/approved-cas/Test CA/intermediates"))[1] == ca["intermediates"]
    assert (await env.call("GET", "/approved-cas/Test CA/ocsp-responders"))[1] == ca["ocsp"]

    body = {"name": "TSA", "url": "http://tsa.test.invalid/", "certificate": pem("tsa").decode()}
    status, tsa = await env.call("POST", "/approved-tsas", "security", body)
    assert (status, tsa["priority"]) == (201, 0)
    assert (await env.call("GET", "/approved-tsas/TSA"))[1] == tsa
    assert (await env.call("GET", "/approved-tsas"))[1] == [tsa]
    assert (await env.call("DELETE", "/approved-tsas/TSA", "security"))[0] == 204
    assert (await env.call("DELETE", "/approved-cas/Test CA", "security"))[0] == 204
    assert (await env.call("GET", "/approved-cas"))[1] == []


async def test_system_parameters_audit_log_and_api_keys(env: Env) -> None:
    await setup_instance(env)
    status, params = await env.call("GET", "/system-parameters", "registrar")
    assert params["parameters"]["ocspFreshnessSeconds"] == 3600
    status, params = await env.call(
        "PUT", "/system-parameters/ocspFreshnessSeconds", body={"value": 1800}
    )
    assert (status, params["parameters"]["ocspFreshnessSeconds"]) == (200, 1800)

    status, entries = await env.call("GET", "/audit-log?limit=3", "security")
    assert status == 200
    assert [(e["actor"], e["action"]) for e in entries] == [
        ("admin", "set_system_parameter"),
        ("registrar", "add_member"),
        ("admin", "add_member_class"),
    ]
    assert entries[1]["target"] == "EE:GOV:1234"

    status, created = await env.call(
        "POST", "/api-keys", body={"name": "ops", "roles": ["registration-officer"]}
    )
    assert status == 201
    assert created["key"].startswith("vdx_")
    assert created["api_key"]["roles"] == ["registration-officer"]
    env.tokens["ops"] = created["key"]
    assert (await env.call("GET", "/members", "ops"))[0] == 200
    status, listed = await env.call("GET", "/api-keys")
    assert [k["name"] for k in listed] == ["admin", "registrar", "security", "ops"]
    assert all("key" not in k and "hash" not in k for k in listed)
    status, revoked = await env.call("DELETE", f"/api-keys/{created['api_key']['id']}")
    assert status == 200
    assert revoked["revoked_at"] is not None
    assert (await env.call("GET", "/members", "ops"))[0] == 401
    entries = (await env.call("GET", "/audit-log?limit=2"))[1]
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("admin", "revoke_api_key", "ops"),
        ("admin", "create_api_key", "ops"),
    ]


async def test_configuration_status_and_anchor(env: Env) -> None:
    status, conf = await env.call("GET", "/configuration/status", "registrar")
    assert (status, conf["available"]) == (200, False)
    url = "http://cs.example.ee/internalconf"
    await setup_instance(env)
    # before the first generation: the registry snapshot with the signing certificate
    status, xml = await env.call("GET", f"/configuration/anchor?url={url}", "registrar")
    assert status == 200
    anchor = parse_anchor(xml.encode())
    assert anchor.instance == "EE"
    assert anchor.sources[0].download_url == url
    assert anchor.verification_certs == (der("root"),)

    signer = rsa_signer()
    publisher = ConfigurationPublisher(
        store=ConfigurationStore(),
        snapshot_provider=env.registry.snapshot,
        private=PrivateParameters(
            instance="EE",
            management_service=ManagementParameters(
                auth_cert_reg_service_address="https://cs.example.ee:4001/managementservice/",
                management_request_service_provider_id=ClientId("EE", "GOV", "1234", "MGMT"),
            ),
            time_stamping_interval_seconds=60,
        ),
        signer=signer,
        source_address="cs.example.ee",
    )
    env.published[0] = await publisher.regenerate()
    assert env.published[0] is not None
    status, conf = await env.call("GET", "/configuration/status", "registrar")
    assert conf["available"] is True
    assert conf["expired"] is False
    assert conf["versions"] == [5]
    async with env.client.get(
        f"{API}/configuration/anchor",
        params={"url": url},
        headers={"Authorization": f"X-Road-ApiKey token={env.tokens['security']}"},
    ) as response:
        assert response.status == 200
        body = await response.read()
        assert response.headers["X-Anchor-Hash"] == anchor_hash(body)
    anchor = parse_anchor(body)
    assert len(anchor.verification_certs) == 1
    assert anchor.verification_certs != (der("root"),)  # the signer's own certificate now

    assert (await env.call("GET", "/configuration/anchor"))[0] == 400
    assert (await env.call("GET", "/configuration/anchor?url=ftp://x/"))[0] == 400


# -------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer abc",
        "X-Road-ApiKey token=",
        "X-Road-ApiKey token=vdx_not-a-key",
        "X-Road-ApiKey " + "x" * 600,
    ],
)
async def test_missing_or_bad_key_is_401(env: Env, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    status, body = await env.call("GET", "/members", None, headers=headers)
    assert status == 401
    assert body["status"] == 401
    assert body["error"]["code"] == "unauthorized"
    status, _ = await env.call("POST", "/members", None, {"id": "EE:GOV:1", "name": "x"})
    assert status == 401


async def test_wrong_role_is_403_and_changes_nothing(env: Env) -> None:
    await setup_instance(env)
    cases = [
        ("POST", "/members", "security", {"id": "EE:GOV:9", "name": "x"}),
        ("POST", "/approved-cas", "registrar", ca_body()),
        ("PUT", "/system-parameters/ocspFreshnessSeconds", "registrar", {"value": 600}),
        ("POST", "/member-classes", "registrar", {"code": "COM", "description": "x"}),
        ("POST", "/api-keys", "security", {"name": "x", "roles": ["security-officer"]}),
        ("GET", "/api-keys", "registrar", None),
        ("DELETE", "/members/EE:GOV:1234", "admin", None),
    ]
    before = await env.registry.audit_log()
    for method, path, who, body in cases:
        status, error = await env.call(method, path, who, body)
        assert status == 403, (method, path)
        assert error["error"]["code"] == "forbidden"
    assert await env.registry.audit_log() == before


async def test_unknown_things_are_404(env: Env) -> None:
    await setup_instance(env)
    for path in [
        "/members/EE:GOV:9999",
        "/members/EE:GOV:9999/subsystems",
        "/security-servers/EE:GOV:1234:NONE",
        "/global-groups/none",
        "/approved-cas/none",
        "/approved-cas/none/intermediates",
        "/approved-tsas/none",
        "/no-such-resource",
    ]:
        status, body = await env.call("GET", path)
        assert status == 404, path
        assert body["error"]["code"] == "not_found", path
    status, body = await env.call("PUT", "/members")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")
    assert (await env.call("DELETE", "/api-keys/999"))[0] == 404
    assert (await env.call("DELETE", "/api-keys/abc"))[0] == 404
    status, _ = await env.call("POST", "/members", "registrar", {"id": "EE:NOCLASS:1", "name": "x"})
    assert status == 404


async def test_conflicts_are_409(env: Env) -> None:
    await setup_instance(env)
    status, body = await env.call(
        "POST", "/members", "registrar", {"id": "EE:GOV:1234", "name": "again"}
    )
    assert (status, body["status"], body["error"]["code"]) == (409, 409, "conflict")
    assert (await env.call("PUT", "/instance", body={"instance_identifier": "FI"}))[0] == 409
    assert (await env.call("DELETE", "/member-classes/GOV"))[0] == 409
    assert (await env.call("POST", "/approved-cas", "security", ca_body()))[0] == 201
    assert (await env.call("POST", "/approved-cas", "security", ca_body()))[0] == 409
    assert (
        await env.call("POST", "/api-keys", body={"name": "admin", "roles": ["security-officer"]})
    )[0] == 409
    assert (await env.call("DELETE", "/global-groups/security-server-owners", "registrar"))[
        0
    ] == 409


async def test_bad_input_is_400_without_echo(env: Env) -> None:
    await setup_instance(env)
    marker = "<script>zzz</script>"
    cases: list[tuple[str, str, Any]] = [
        ("POST", "/members", {"id": "EE:GOV", "name": "x"}),
        ("POST", "/members", {"id": "EE:GOV:1234:SUB", "name": "x"}),
        ("POST", "/members", {"id": "EE:GOV:55", "name": "x", "extra": marker}),
        ("POST", "/members", {"id": "EE:GOV:55"}),
        ("POST", "/members", {"id": "EE:GOV:55", "name": ""}),
        ("POST", "/members", {"id": "FI:GOV:55", "name": "x"}),
        ("POST", "/security-servers", {"id": "EE:GOV:1234", "address": "x"}),
        ("POST", "/security-servers", {"id": "EE:GOV:1234:SS9", "address": "http://x:80"}),
        ("GET", "/members/EE:GOV:1:2:3", None),
        ("DELETE", "/security-servers/EE:GOV:1234:SS1/auth-certs/xyz", None),
    ]
    for method, path, body in cases:
        status, error = await env.call(method, path, "registrar", body)
        assert status == 400, (path, body)
        assert error["error"]["code"] == "invalid"
        assert marker not in json.dumps(error)
    trust: list[tuple[str, Any]] = [
        ("/approved-cas", {**ca_body(), "certificate": "bm90IGEgY2VydA=="}),
        ("/approved-cas", {**ca_body(), "certificate": "%%% not base64"}),
        ("/approved-cas", {**ca_body(), "csr_format": "XML"}),
        ("/approved-tsas", {"name": "T", "url": "ftp://tsa/", "certificate": pem("tsa").decode()}),
    ]
    for path, body in trust:
        assert (await env.call("POST", path, "security", body))[0] == 400, body
    assert (await env.call("GET", "/audit-log?limit=-1"))[0] == 400
    assert (await env.call("GET", "/audit-log?limit=0"))[0] == 400
    put = "/system-parameters/ocspFreshnessSeconds"
    assert (await env.call("PUT", put, body={"value": 1}))[0] == 400
    assert (await env.call("PUT", "/system-parameters/nope", body={"value": 100}))[0] == 400
    headers = {
        "Authorization": f"X-Road-ApiKey token={env.tokens['registrar']}",
        "Content-Type": "application/json",
    }
    async with env.client.post(f"{API}/members", data=b"{not json", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid"
    headers["Content-Type"] = "text/plain"
    async with env.client.post(f"{API}/members", data=b"{}", headers=headers) as response:
        assert response.status == 415


async def test_oversized_bodies_are_413(env: Env) -> None:
    await setup_instance(env)
    headers = {
        "Authorization": f"X-Road-ApiKey token={env.tokens['registrar']}",
        "Content-Type": "application/json",
    }
    big = json.dumps({"id": "EE:GOV:77", "name": "x" * (MAX_BODY + 10)}).encode()
    async with env.client.post(f"{API}/members", data=io.BytesIO(big), headers=headers) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit still holds
        for _ in range(20):
            yield b" " * 100_000

    async with env.client.post(f"{API}/members", data=chunks(), headers=headers) as response:
        assert response.status == 413
    cert = {"certificate": "A" * (64 * 1024 + 4)}
    path = "/security-servers/EE:GOV:1234:SS1/auth-certs"
    await env.call(
        "POST", "/security-servers", "registrar", {"id": "EE:GOV:1234:SS1", "address": "ss1"}
    )
    status, body = await env.call("POST", path, "registrar", cert)
    assert (status, body["error"]["code"]) == (413, "too_large")
    assert len((await env.call("GET", "/members"))[1]) == 1


async def test_unexpected_errors_are_500_without_trace(env: Env) -> None:
    async def broken() -> list[Any]:
        raise RuntimeError("secret detail /etc/passwd")

    env.registry.list_members = broken  # type: ignore[method-assign]
    status, body = await env.call("GET", "/members")
    assert status == 500
    assert body["error"]["code"] == "internal"
    assert "secret" not in json.dumps(body)
    assert "Traceback" not in json.dumps(body)


# -------------------------------------------------------------------- the OpenAPI document


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


async def test_openapi_document_matches_the_routes(env: Env) -> None:
    status, doc = await env.call("GET", "/openapi.json", None)
    assert status == 200
    assert doc == json.loads(json.dumps(document()))
    assert doc["openapi"].startswith("3.")
    assert {"title", "version"} <= set(doc["info"])
    documented = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    app = env.client.app
    assert app is not None
    api = next(r for r in app.router.resources() if r.canonical == API)
    sub: web.Application = api._app  # type: ignore[attr-defined]  # the mounted sub-app
    routed = {
        (route.method, route.resource.canonical.removeprefix(API))
        for route in sub.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert routed == documented
    assert len(OPERATIONS) == len(documented)
    operation_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        for method, op in item.items():
            assert method in {"get", "put", "post", "patch", "delete"}
            operation_ids.append(op["operationId"])
            assert op["responses"], (method, path)
            for code in op["responses"]:
                assert re.fullmatch(r"[1-5]\d\d", code)
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert names == set(re.findall(r"{([^}]+)}", path)), path
            if method != "get":
                assert "403" in op["responses"], (method, path)
    assert len(operation_ids) == len(set(operation_ids))
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert isinstance(_resolve(doc, ref), dict), ref


# -------------------------------------------------------------------- management requests


async def _populate_for_requests(registry: RegistryService) -> None:
    """The registry the management test requests expect (instance VN, SS1 of GOV, its CA)."""
    p = pki.pki()
    await registry.set_instance("VN", actor="test")
    for code in ("GOV", "COM"):
        await registry.add_member_class(code, code, actor="test")
    await registry.add_member(ms.GOV, "Ministry", actor="test")
    await registry.add_member(ms.COM, "Company", actor="test")
    await registry.add_security_server(ms.SS1, "ss1.example.vn", actor="test")
    await registry.add_auth_cert(ms.SS1, ms.der(ms.auth_cert("ss1")), actor="test")
    await registry.add_ca(
        CaSpec(
            name=ms.CA_NAME,
            top_ca_der=ms.der(p.root),
            certificate_profile_info=DEFAULT_PROVIDER,
            intermediates=(
                IntermediateCaSpec(
                    ms.der(p.intermediate),
                    (OcspResponderSpec(pki.OCSP_URL, ms.der(p.responder)),),
                ),
            ),
        ),
        actor="test",
    )


async def test_management_requests(db_url: str, aiohttp_client: ClientFactory) -> None:
    env, engine = await make_env(
        db_url, aiohttp_client, lambda e, r: ManagementService(e, r, clock=lambda: ms.NOW)
    )
    try:
        await _populate_for_requests(env.registry)
        body = ms.body_for(
            RequestType.CLIENT_REG, server=ms.SS1, client=ms.COM_SUB, subsystem_name="Shop"
        )
        management = ManagementService(engine, env.registry, clock=lambda: ms.NOW)
        ids = []
        for _ in range(2):
            record = await management.submit(
                decode_request(*ms.signed(body, signer=ms.COM)), origin="test"
            )
            ids.append(record.id)
        status, listed = await env.call("GET", "/management-requests?state=pending", "security")
        assert status == 200
        assert sorted(r["id"] for r in listed) == sorted(ids)
        assert listed[0]["client"] == "VN:COM:9999:SHOP"
        status, one = await env.call("GET", f"/management-requests/{ids[0]}")
        assert (status, one["state"], one["type"]) == (200, "pending", "clientReg")

        path = f"/management-requests/{ids[0]}"
        assert (await env.call("POST", path + "/approve", "security"))[0] == 403
        status, rejected = await env.call(
            "POST", path + "/reject", "registrar", {"reason": "not yet"}
        )
        assert (status, rejected["state"], rejected["decided_by"]) == (200, "rejected", "registrar")
        assert (await env.call("POST", path + "/approve", "registrar"))[0] == 409
        status, approved = await env.call(
            "POST", f"/management-requests/{ids[1]}/approve", "registrar"
        )
        assert (status, approved["state"]) == (200, "approved")
        server = (await env.call("GET", "/security-servers/VN:GOV:0101:SS1"))[1]
        assert "VN:COM:9999:SHOP" in server["clients"]
        assert (await env.call("GET", "/management-requests/999"))[0] == 404
        assert (await env.call("POST", "/management-requests/999/approve", "registrar"))[0] == 404
        assert (await env.call("GET", "/management-requests?state=odd"))[0] == 400
    finally:
        await engine.dispose()


async def test_management_requests_without_the_service_are_503(env: Env) -> None:
    status, body = await env.call("GET", "/management-requests")
    assert (status, body["error"]["code"]) == (503, "unavailable")
