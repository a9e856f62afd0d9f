"""Admin API over the real onboarding service: status, initialisation, the token session,
keys, CSRs certified by the development CA (over HTTP), certificate import and states, and
management requests refused with 503 while there is no global configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from security_server.admin_api import Role
from security_server.admin_api import schemas as s
from tests import databases
from tests.integration.security_server import test_admin_api_support as support
from tests.integration.security_server import test_serverconf_support as ss
from tests.integration.security_server.test_admin_api_support import Api
from trust_services.app import create_app
from trust_services.store import CaDirectory
from vdx.clock import utc_now

pg_database = databases.postgres_module_fixture()
db_url = ss.db_url_fixture()
SEC = Role.SECURITY_OFFICER.value
REG = Role.REGISTRATION_OFFICER.value
ADMIN = Role.SYSTEM_ADMINISTRATOR.value
OBS = Role.OBSERVER.value
PIN = "ss-token-pin"
TAX = "VN:GOV:0101:TAX"


@pytest.fixture
async def api(
    aiohttp_client: support.ClientFactory, db_url: str, tmp_path: Path
) -> AsyncIterator[Api]:
    async for started in support.start_api(aiohttp_client, db_url, tmp_path):
        await started.onboarding.open_token(None)  # the composition root does this at start
        yield started


@pytest.fixture
async def ca(aiohttp_server: support.ServerFactory, tmp_path: Path) -> TestServer:
    store = CaDirectory(tmp_path / "ca")
    store.init(utc_now(), intermediate=True, key_kind="rsa2048")
    return await aiohttp_server(create_app(store), host="127.0.0.1")


async def _issue(ca: TestServer, csr: str, profile: str) -> bytes:
    """The development CA certifies the CSR over HTTP, as an operator's CA would."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            str(ca.make_url("/issue")), params={"profile": profile}, data=csr.encode()
        ) as answer,
    ):
        assert answer.status == 200, await answer.text()
        return await answer.read()


async def test_status_and_initialisation(api: Api) -> None:
    status = await api.call("GET", "/system/status", OBS, expect=200)
    s.SystemStatus.model_validate(status)
    assert status["initialized"] is False
    assert status["server"] is None
    assert status["instance"] == "VN"
    assert status["token"]["initialized"] is False
    assert status["globalconf"]["ok"] is False
    conf = await api.call("GET", "/system/globalconf", OBS, expect=200)
    s.ConfClientStatus.model_validate(conf)
    assert conf["healthy"] is False
    assert conf["reason"]
    body = await api.call("GET", "/tokens", OBS, expect=409)
    assert body["error"]["code"] == "conflict"

    init = {
        "owner_member_class": "GOV",
        "owner_member_code": "0101",
        "server_code": "SS1",
        "pin": PIN,
    }
    await api.call("POST", "/system/initialize", SEC, json=init, expect=403)
    await api.call("POST", "/system/initialize", ADMIN, json={**init, "pin": ""}, expect=400)
    await api.call(
        "POST",
        "/system/initialize",
        ADMIN,
        json={**init, "owner_member_class": "G:V"},
        expect=400,
    )
    await api.call(
        "POST", "/system/initialize", ADMIN, json={**init, "server_code": "S S"}, expect=400
    )
    done = await api.call("POST", "/system/initialize", ADMIN, json=init, expect=201)
    s.SystemStatus.model_validate(done)
    assert done["initialized"] is True
    assert (done["server"], done["owner"]) == ("VN:GOV:0101:SS1", "VN:GOV:0101")
    assert done["token"] == {"id": "softtoken-0", "initialized": True, "logged_in": True}
    await api.call("POST", "/system/initialize", ADMIN, json=init, expect=409)
    owner = await api.call("GET", "/clients/" + quote("VN:GOV:0101"), OBS, expect=200)
    assert owner["id"] == "VN:GOV:0101"

    await api.call("POST", "/tokens/logout", SEC, expect=204)
    status = await api.call("GET", "/system/status", OBS, expect=200)
    assert status["token"]["logged_in"] is False
    await api.call("POST", "/tokens/login", SEC, json={"pin": "wrong"}, expect=400)
    await api.call("POST", "/tokens/login", SEC, json={"pin": PIN}, expect=204)
    token = await api.call("GET", "/tokens", OBS, expect=200)
    assert token == {"id": "softtoken-0", "logged_in": True, "keys": []}
    audit = await api.call("GET", "/audit-log?limit=3", OBS, expect=200)
    assert [(e["action"], e["actor"]) for e in audit] == [
        ("token_login", "key-security-officer"),
        ("token_logout", "key-security-officer"),
        ("set_identity", "key-system-administrator"),
    ]


async def test_keys_csrs_certificates(api: Api, ca: TestServer) -> None:
    init = {
        "owner_member_class": "GOV",
        "owner_member_code": "0101",
        "server_code": "SS1",
        "pin": PIN,
    }
    await api.call("POST", "/system/initialize", ADMIN, json=init, expect=201)
    await api.call("POST", "/keys", REG, json={"usage": "auth", "label": "a"}, expect=403)
    await api.call("POST", "/keys", SEC, json={"usage": "tls", "label": "a"}, expect=400)
    body = await api.call(
        "POST",
        "/keys",
        SEC,
        json={"usage": "auth", "label": "a", "algorithm": "DSA"},
        expect=400,
    )
    assert "algorithm" in body["error"]["message"]
    auth = await api.call("POST", "/keys", SEC, json={"usage": "auth", "label": "auth"}, expect=201)
    sign = await api.call(
        "POST",
        "/keys",
        SEC,
        json={"usage": "sign", "label": "sign", "algorithm": "RSA2048"},
        expect=201,
    )
    for key in (auth, sign):
        s.KeyInfo.model_validate(key)
    assert (auth["usage"], sign["usage"], sign["algorithm"]) == ("auth", "sign", "RSA2048")
    token = await api.call("GET", "/tokens", OBS, expect=200)
    s.TokenInfo.model_validate(token)
    assert {k["id"] for k in token["keys"]} == {auth["id"], sign["id"]}

    # CSRs: an auth key's names the server (no body), a sign key's names a member
    auth_csr = await api.call("POST", f"/keys/{auth['id']}/csr", SEC, expect=200)
    assert auth_csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert "SS1" in x509.load_pem_x509_csr(auth_csr.encode()).subject.rfc4514_string()
    await api.call(
        "POST", f"/keys/{auth['id']}/csr", SEC, json={"member": "VN:GOV:0101"}, expect=400
    )
    await api.call("POST", f"/keys/{sign['id']}/csr", SEC, expect=400)
    await api.call("POST", f"/keys/{sign['id']}/csr", SEC, json={"member": TAX}, expect=400)
    await api.call("POST", "/keys/nope/csr", SEC, expect=404)
    sign_csr = await api.call(
        "POST", f"/keys/{sign['id']}/csr", SEC, json={"member": "VN:GOV:0101"}, expect=200
    )

    # certificates from the CA: PEM and DER bodies
    auth_pem = await _issue(ca, auth_csr, "auth")
    sign_der = x509.load_pem_x509_certificate(await _issue(ca, sign_csr, "sign")).public_bytes(
        Encoding.DER
    )
    pem = {"Content-Type": "application/x-pem-file"}
    await api.call("POST", "/certificates", SEC, data=b"junk", headers=pem, expect=400)
    await api.call("POST", "/certificates", SEC, json={"pem": "x"}, expect=415)
    auth_cert = await api.call("POST", "/certificates", SEC, data=auth_pem, headers=pem, expect=201)
    sign_cert = await api.call(
        "POST",
        "/certificates",
        SEC,
        data=sign_der,
        headers={"Content-Type": "application/pkix-cert"},
        expect=201,
    )
    for cert in (auth_cert, sign_cert):
        s.CertInfo.model_validate(cert)
    assert (auth_cert["key_id"], auth_cert["usage"]) == (auth["id"], "auth")
    # (the member comes from the CA's certificate profile, known with a global configuration)
    assert (sign_cert["key_id"], sign_cert["usage"]) == (sign["id"], "sign")
    await api.call("POST", "/certificates", SEC, data=auth_pem, headers=pem, expect=409)
    got = await api.call("GET", f"/certificates/{sign_cert['id']}", OBS, expect=200)
    assert got["id"] == sign_cert["id"]
    await api.call("GET", "/certificates/" + "00" * 32, OBS, expect=404)

    # management requests need the global configuration: 503 until there is one
    c = f"/certificates/{auth_cert['id']}"
    await api.call("POST", c + "/register", SEC, json={"address": "ss1 .vn"}, expect=400)
    body = await api.call(
        "POST", c + "/register", SEC, json={"address": "ss1.example.vn"}, expect=503
    )
    assert body["error"]["code"] == "unavailable"
    await api.call("POST", c + "/unregister", SEC, expect=503)
    await api.call("POST", "/clients", REG, json={"id": TAX}, expect=201)
    await api.call("POST", "/clients/" + quote(TAX) + "/register", REG, expect=503)
    await api.call("POST", "/clients/" + quote(TAX) + "/unregister", REG, expect=503)
    await api.call("POST", "/clients/" + quote("VN:GOV:0101") + "/register", REG, expect=400)

    # certificate states, deletion
    sc = f"/certificates/{sign_cert['id']}"
    disabled = await api.call("POST", sc + "/disable", SEC, expect=200)
    assert disabled["active"] is False
    activated = await api.call("POST", sc + "/activate", SEC, expect=200)
    assert activated["active"] is True
    await api.call("DELETE", sc, SEC, expect=204)
    await api.call("GET", sc, OBS, expect=404)
    await api.call("DELETE", sc, SEC, expect=404)
    await api.call("DELETE", f"/keys/{sign['id']}", SEC, expect=204)
    await api.call("DELETE", f"/keys/{sign['id']}", SEC, expect=404)
    token = await api.call("GET", "/tokens", OBS, expect=200)
    assert [k["id"] for k in token["keys"]] == [auth["id"]]
    actions = [e["action"] for e in await api.call("GET", "/audit-log?limit=100", OBS)]
    for action in ("generate_key", "create_csr", "import_certificate", "delete_key"):
        assert action in actions
