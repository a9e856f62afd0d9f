"""Admin API over the server configuration: clients, IS certificates, service descriptions
(downloaded from a local web server), services, endpoints, access rights, local groups and
the audit log; errors map to 404 / 409 / 400 on both databases."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from security_server.admin_api import FetchLimits, Role
from security_server.admin_api import schemas as s
from tests import databases
from tests.integration.security_server import test_admin_api_support as support
from tests.integration.security_server import test_serverconf_support as ss
from tests.integration.security_server.test_admin_api_support import Api, DocumentServer
from vdx.identifiers import ClientId, SecurityServerId

pg_database = databases.postgres_module_fixture()
db_url = ss.db_url_fixture()
REG = Role.REGISTRATION_OFFICER.value
SVC = Role.SERVICE_ADMINISTRATOR.value
OBS = Role.OBSERVER.value
OWNER = ClientId("VN", "GOV", "0101")
TAX = "VN:GOV:0101:TAX"
APP = "VN:COM:9999:APP"


@pytest.fixture
async def api(
    aiohttp_client: support.ClientFactory, db_url: str, tmp_path: Path
) -> AsyncIterator[Api]:
    limits = FetchLimits(timeout_seconds=1.0)
    async for started in support.start_api(aiohttp_client, db_url, tmp_path, fetch_limits=limits):
        await started.serverconf.set_identity(SecurityServerId(OWNER, "SS1"), actor="setup")
        yield started


@pytest.fixture
async def docs(aiohttp_server: support.ServerFactory) -> DocumentServer:
    return await support.document_server(aiohttp_server, slow_seconds=3)


def _c(client: str) -> str:
    return "/clients/" + quote(client, safe="")


async def test_clients(api: Api) -> None:
    added = await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    assert added == {
        "id": TAX,
        "member_class": "GOV",
        "member_code": "0101",
        "subsystem_code": "TAX",
        "state": "saved",
        "connection_type": "HTTPS_NO_AUTH",
    }
    added = await api.call(
        "POST", "/clients", REG, json={"id": APP, "connection_type": "HTTP"}, expect=201
    )
    assert added["connection_type"] == "HTTP"
    listed = await api.call("GET", "/clients", OBS, expect=200)
    assert [c["id"] for c in listed] == [APP, "VN:GOV:0101", TAX]
    for item in listed:
        s.Client.model_validate(item)
    assert (await api.call("GET", _c(TAX), OBS, expect=200))["id"] == TAX
    patched = await api.call("PATCH", _c(TAX), SVC, json={"connection_type": "HTTPS"}, expect=200)
    assert patched["connection_type"] == "HTTPS"
    await api.call("DELETE", _c(APP), REG, expect=204)
    await api.call("GET", _c(APP), OBS, expect=404)
    # refusals: duplicate 409, other instance 400, malformed 400, unknown type 400, owner 409
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=409)
    body = await api.call("POST", "/clients", REG, json={"id": "EE:GOV:1:X"}, expect=400)
    assert body["error"]["code"] == "invalid"
    await api.call("POST", "/clients", REG, json={"id": "VN:GOV"}, expect=400)
    await api.call("GET", _c("VN:GOV"), OBS, expect=400)
    await api.call("POST", "/clients", REG, json={"id": APP, "connection_type": "FTP"}, expect=400)
    await api.call("DELETE", _c("VN:GOV:0101"), REG, expect=409)
    await api.call("PATCH", _c(APP), SVC, json={"connection_type": "HTTP"}, expect=404)


async def test_tls_certificates(api: Api) -> None:
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    pem = ss.cert("auth", Encoding.PEM)
    der = ss.cert("auth")
    added = await api.call(
        "POST",
        _c(TAX) + "/tls-certificates",
        SVC,
        data=pem,
        headers={"Content-Type": "application/x-pem-file"},
        expect=201,
    )
    s.TlsCertificate.model_validate(added)
    assert added["subject"]
    await api.call(
        "POST",
        _c(TAX) + "/tls-certificates",
        SVC,
        data=der,
        headers={"Content-Type": "application/pkix-cert"},
        expect=409,
    )
    listed = await api.call("GET", _c(TAX) + "/tls-certificates", OBS, expect=200)
    assert [c["sha256"] for c in listed] == [added["sha256"]]
    await api.call(
        "POST",
        _c(TAX) + "/tls-certificates",
        SVC,
        data=b"not a certificate",
        headers={"Content-Type": "application/octet-stream"},
        expect=400,
    )
    await api.call("POST", _c(TAX) + "/tls-certificates", SVC, json={"x": 1}, expect=415)
    await api.call("DELETE", f"{_c(TAX)}/tls-certificates/{added['sha256']}", SVC, expect=204)
    await api.call("DELETE", f"{_c(TAX)}/tls-certificates/{added['sha256']}", SVC, expect=404)
    await api.call("DELETE", f"{_c(TAX)}/tls-certificates/abc", SVC, expect=400)


async def test_wsdl_description_download_refresh_enable_disable_delete(
    api: Api, docs: DocumentServer
) -> None:
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    url = docs.url("/testservice.wsdl")
    added = await api.call(
        "POST",
        _c(TAX) + "/service-descriptions",
        SVC,
        json={"type": "WSDL", "url": url},
        expect=201,
    )
    s.Description.model_validate(added)
    assert added["type"] == "WSDL"
    assert added["disabled"] is True
    assert added["url"] == url
    codes = sorted(x["id"] for x in added["services"])
    assert codes == [f"{TAX}:bodyMassIndex.v1", f"{TAX}:xroadGetRandom.v1"]
    d = f"/service-descriptions/{added['id']}"
    enabled = await api.call("POST", d + "/enable", SVC, expect=200)
    assert enabled["disabled"] is False
    disabled = await api.call("POST", d + "/disable", SVC, json={"notice": "Upgrade"}, expect=200)
    assert (disabled["disabled"], disabled["disabled_notice"]) == (True, "Upgrade")
    disabled = await api.call("POST", d + "/disable", SVC, expect=200)  # the body is optional
    assert disabled["disabled_notice"] is None
    # the document changes at its URL: refresh removes bodyMassIndex
    docs.documents["/testservice.wsdl"] = ss.wsdl("valid-getrandom.wsdl")
    refreshed = await api.call("POST", d + "/refresh", SVC, expect=200)
    assert refreshed["changes"] == {"added": [], "removed": ["bodyMassIndex.v1"]}
    assert [x["id"] for x in refreshed["services"]] == [f"{TAX}:xroadGetRandom.v1"]
    listed = await api.call("GET", _c(TAX) + "/service-descriptions", OBS, expect=200)
    assert [x["id"] for x in listed] == [added["id"]]
    await api.call(
        "POST",
        _c(TAX) + "/service-descriptions",
        SVC,
        json={"type": "WSDL", "url": url},
        expect=409,
    )
    await api.call("DELETE", d, SVC, expect=204)
    await api.call("DELETE", d, SVC, expect=404)
    await api.call("POST", d + "/enable", SVC, expect=404)
    await api.call("POST", "/service-descriptions/x/enable", SVC, expect=404)
    assert await api.call("GET", _c(TAX) + "/service-descriptions", OBS, expect=200) == []


async def test_openapi_and_rest_descriptions(api: Api, docs: DocumentServer) -> None:
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    path = _c(TAX) + "/service-descriptions"
    url = docs.url("/openapi.json")
    await api.call("POST", path, SVC, json={"type": "OPENAPI3", "url": url}, expect=400)
    added = await api.call(
        "POST",
        path,
        SVC,
        json={"type": "OPENAPI3", "url": url, "service_code": "pets"},
        expect=201,
    )
    (service,) = added["services"]
    assert service["id"] == f"{TAX}:pets"
    assert service["url"] == "http://pets.example.vn/api"
    endpoints = {(e["method"], e["path"]) for e in service["endpoints"]}
    assert {("GET", "/pets"), ("POST", "/pets"), ("GET", "/pets/*"), ("*", "**")} == endpoints
    docs.documents["/openapi.json"] = support.OPENAPI_V2
    refreshed = await api.call(
        "POST", f"/service-descriptions/{added['id']}/refresh", SVC, expect=200
    )
    assert set(refreshed["changes"]["added"]) == {"GET /owners"}
    assert set(refreshed["changes"]["removed"]) == {"POST /pets", "GET /pets/*"}
    rest = await api.call(
        "POST",
        path,
        SVC,
        json={"type": "REST", "url": "http://rest.example.vn/v1", "service_code": "orders"},
        expect=201,
    )
    assert rest["services"][0]["url"] == "http://rest.example.vn/v1"
    await api.call("POST", f"/service-descriptions/{rest['id']}/refresh", SVC, expect=400)
    await api.call(
        "POST",
        path,
        SVC,
        json={"type": "REST", "url": "http://x.vn", "service_code": "a", "service_url": "http://y"},
        expect=400,
    )


async def test_download_failures(api: Api, docs: DocumentServer) -> None:
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    path = _c(TAX) + "/service-descriptions"

    async def refused(url: str, code: str) -> str:
        body = await api.call("POST", path, SVC, json={"type": "WSDL", "url": url}, expect=400)
        assert body["error"]["code"] == code, body
        return str(body["error"]["message"])

    assert "HTTP 404" in await refused(docs.url("/missing.wsdl"), "download_failed")
    assert "larger than" in await refused(docs.url("/big"), "download_failed")
    assert "within 1 s" in await refused(docs.url("/slow"), "download_failed")
    await refused("ftp://example.vn/a.wsdl", "invalid")
    await refused("file:///etc/passwd", "invalid")
    # a port nobody listens on
    await refused("http://127.0.0.1:9/a.wsdl", "download_failed")
    # not a WSDL at all
    await refused(docs.url("/openapi.json"), "invalid")
    # redirects are followed (to http only)
    added = await api.call(
        "POST", path, SVC, json={"type": "WSDL", "url": docs.url("/redirect")}, expect=201
    )
    assert len(added["services"]) == 2
    # an unknown client is refused before anything is downloaded
    await api.call(
        "POST",
        _c(APP) + "/service-descriptions",
        SVC,
        json={"type": "WSDL", "url": docs.url("/slow")},
        expect=404,
    )


async def test_services_endpoints_access_rights_and_groups(api: Api, docs: DocumentServer) -> None:
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    await api.call("POST", "/clients", REG, json={"id": APP}, expect=201)
    added = await api.call(
        "POST",
        _c(TAX) + "/service-descriptions",
        SVC,
        json={"type": "OPENAPI3", "url": docs.url("/openapi.json"), "service_code": "pets"},
        expect=201,
    )
    svc = "/services/" + quote(f"{TAX}:pets", safe="")
    got = await api.call("GET", svc, OBS, expect=200)
    s.Service.model_validate(got)
    assert got["description_id"] == added["id"]
    patched = await api.call(
        "PATCH",
        svc,
        SVC,
        json={"url": "https://pets.example.vn/v2", "timeout": 30, "tls_verify": False},
        expect=200,
    )
    assert (patched["url"], patched["timeout"], patched["tls_verify"]) == (
        "https://pets.example.vn/v2",
        30,
        False,
    )
    await api.call("PATCH", svc, SVC, json={}, expect=400)
    await api.call("PATCH", svc, SVC, json={"timeout": 0}, expect=400)
    await api.call("PATCH", svc, SVC, json={"timeout": "30"}, expect=400)
    await api.call("PATCH", svc, SVC, json={"url": "ftp://x", "timeout": 5}, expect=400)
    assert (await api.call("GET", svc, OBS))["timeout"] == 30  # nothing half-applied
    await api.call("GET", "/services/" + quote(f"{TAX}:nope", safe=""), OBS, expect=404)
    # the contract's form with the version as its own part
    await api.call("GET", "/services/" + quote(f"{TAX}:pets:v1", safe=""), OBS, expect=404)
    # endpoints by hand
    endpoint = await api.call(
        "POST", svc + "/endpoints", SVC, json={"method": "delete", "path": "/pets/*"}, expect=201
    )
    assert endpoint == {"method": "DELETE", "path": "/pets/*", "generated": False}
    await api.call(
        "POST", svc + "/endpoints", SVC, json={"method": "DELETE", "path": "/pets/*"}, expect=409
    )
    await api.call(
        "POST", svc + "/endpoints", SVC, json={"method": "FETCH", "path": "/x"}, expect=400
    )
    # local groups
    groups = _c(TAX) + "/local-groups"
    group = await api.call(
        "POST", groups, SVC, json={"code": "readers", "description": "Readers"}, expect=201
    )
    assert group == {"code": "readers", "description": "Readers", "members": []}
    await api.call("POST", groups, SVC, json={"code": "readers", "description": "x"}, expect=409)
    g = groups + "/readers"
    group = await api.call("POST", g + "/members", SVC, json={"member": APP}, expect=201)
    assert group["members"] == [APP]
    await api.call("POST", g + "/members", SVC, json={"member": APP}, expect=409)
    group = await api.call("PATCH", g, SVC, json={"description": "Who reads"}, expect=200)
    assert group["description"] == "Who reads"
    assert (await api.call("GET", g, OBS, expect=200))["members"] == [APP]
    assert [x["code"] for x in await api.call("GET", groups, OBS, expect=200)] == ["readers"]
    await api.call("GET", groups + "/nope", OBS, expect=404)
    # access rights: a client on the whole service, a global group and a local group on endpoints
    rights = svc + "/access-rights"
    right = await api.call("POST", rights, SVC, json={"subject": APP}, expect=201)
    s.AccessRight.model_validate(right)
    assert (right["subject"], right["method"], right["path"]) == (APP, "*", "**")
    await api.call(
        "POST",
        rights,
        SVC,
        json={
            "subject": "globalgroup:VN:security-server-owners",
            "method": "GET",
            "path": "/pets",
        },
        expect=201,
    )
    await api.call(
        "POST",
        rights,
        SVC,
        json={"subject": "localgroup:readers", "method": "DELETE", "path": "/pets/*"},
        expect=201,
    )
    await api.call("POST", rights, SVC, json={"subject": APP}, expect=409)
    await api.call("POST", rights, SVC, json={"subject": "localgroup:nope"}, expect=404)
    await api.call(
        "POST", rights, SVC, json={"subject": APP, "method": "GET", "path": "/none"}, expect=404
    )
    await api.call("POST", rights, SVC, json={"subject": "globalgroup:VN"}, expect=400)
    listed = await api.call("GET", rights, OBS, expect=200)
    assert sorted(r["subject"] for r in listed) == sorted(
        [APP, "globalgroup:VN:security-server-owners", "localgroup:readers"]
    )
    await api.call("DELETE", rights, SVC, json={"subject": APP}, expect=204)
    await api.call("DELETE", rights, SVC, json={"subject": APP}, expect=404)
    # a hand-made endpoint goes with its rights; the group with its rights
    await api.call(
        "DELETE",
        svc + "/endpoints",
        SVC,
        json={"method": "DELETE", "path": "/pets/*"},
        expect=204,
    )
    await api.call(
        "DELETE", svc + "/endpoints", SVC, json={"method": "GET", "path": "/pets"}, expect=409
    )
    await api.call("DELETE", g + "/members", SVC, json={"member": APP}, expect=204)
    await api.call("DELETE", g + "/members", SVC, json={"member": APP}, expect=404)
    await api.call("DELETE", g, SVC, expect=204)
    listed = await api.call("GET", rights, OBS, expect=200)
    assert [r["subject"] for r in listed] == ["globalgroup:VN:security-server-owners"]


async def test_audit_log_pages_and_names_the_key(api: Api) -> None:
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    await api.call("POST", "/clients", REG, json={"id": APP}, expect=201)
    newest = await api.call("GET", "/audit-log?limit=2", OBS, expect=200)
    assert [(e["action"], e["target"], e["actor"]) for e in newest] == [
        ("add_client", APP, "key-registration-officer"),
        ("add_client", TAX, "key-registration-officer"),
    ]
    for entry in newest:
        s.AuditEntry.model_validate(entry)
    older = await api.call("GET", "/audit-log?limit=1&offset=2", OBS, expect=200)
    assert older[0]["action"] == "set_identity"
    await api.call("GET", "/audit-log?limit=-1", OBS, expect=400)
    await api.call("GET", "/audit-log?limit=0", OBS, expect=400)
    await api.call("GET", "/audit-log?offset=x", OBS, expect=400)
    assert json.dumps(newest)  # plain JSON
