"""``vdx ss`` commands group by group: the exact request each sends, and what it prints."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cli.test_ss_cli import (
    CERT,
    CLIENT,
    KEY_INFO,
    REQUEST,
    FakeApi,
    Ss,
    api,
    ss,
)

__all__ = ["api", "ss"]  # fixtures, used by name

SUB = "/clients/EE%3AGOV%3A1234%3ASUB"
SERVICE = "/services/EE%3AGOV%3A1234%3ASUB%3AgetThing.v1"


def field(out: str, name: str) -> str:
    """The value of a ``name:  value`` line of the output for people."""
    found = [
        line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith(name + ":")
    ]
    assert len(found) == 1, out
    return found[0]


CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"


async def test_token_login_logout_show(api: FakeApi, ss: Ss, tmp_path: Path) -> None:
    api.on("POST", "/tokens/login", 204)
    api.on("POST", "/tokens/logout", 204)
    api.on(
        "GET",
        "/tokens",
        body={"id": "0", "logged_in": True, "keys": [{**KEY_INFO, "certificates": [CERT]}]},
    )
    (tmp_path / "pin").write_text("9999\n", encoding="utf-8")
    assert (await ss("token", "login", "--pin-file", str(tmp_path / "pin"))).stdout == (
        "Token logged in\n"
    )
    assert (api.last.method, api.last.raw_path) == ("POST", "/api/v1/tokens/login")
    assert api.last.json() == {"pin": "9999"}
    assert json.loads((await ss("token", "logout", "--json")).stdout) == {}
    assert (api.last.raw_path, api.last.body) == ("/api/v1/tokens/logout", b"")
    assert "Content-Type" not in api.last.headers
    out = (await ss("token", "show")).stdout
    assert out.splitlines()[0] == "Token 0 (logged in)"
    assert "k1   auth" in out
    assert f"cert {'ab' * 8}" in out
    assert "saved" in out


async def test_keys_and_their_csrs(api: FakeApi, ss: Ss, tmp_path: Path) -> None:
    api.on("POST", "/keys", 201, {**KEY_INFO, "certificates": []})
    out = (await ss("key", "add", "--usage", "auth", "--label", "auth 1")).stdout
    assert out.strip() == "Key k1 (auth, 'auth 1') generated"
    assert api.last.json() == {"usage": "auth", "label": "auth 1"}
    await ss("key", "add", "--usage", "sign", "--label", "s", "--algorithm", "RSA2048")
    assert api.last.json() == {"usage": "sign", "label": "s", "algorithm": "RSA2048"}

    api.on("DELETE", "/keys/k%2F1", 204)  # ids are one path segment, whatever they contain
    assert "Key k/1 deleted" in (await ss("key", "delete", "k/1")).stdout

    api.on("POST", "/keys/k1/csr", 200, CSR, "application/pkcs10")
    out_file = tmp_path / "auth.csr"
    result = await ss("key", "csr", "k1", "--out", str(out_file))
    assert out_file.read_text(encoding="ascii") == CSR
    assert f"written to {out_file}" in result.stdout
    assert api.last.json() == {}
    result = await ss("key", "csr", "k1", "--member", "EE:GOV:1234", "--out", "-")
    assert result.stdout == CSR
    assert api.last.json() == {"member": "EE:GOV:1234"}

    api.on("POST", "/keys/k2/csr", 200, "not a csr", "text/plain")
    result = await ss("key", "csr", "k2", "--out", str(tmp_path / "x.csr"), code=1)
    assert "did not answer a PEM certificate request" in result.stderr
    assert not (tmp_path / "x.csr").exists()


async def test_certificates(api: FakeApi, ss: Ss, tmp_path: Path) -> None:
    cid = CERT["id"]
    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    (tmp_path / "c.pem").write_bytes(pem)
    (tmp_path / "c.der").write_bytes(b"\x30\x82\x01\x00")
    api.on("POST", "/certificates", 201, CERT)
    out = (await ss("cert", "import", str(tmp_path / "c.pem"))).stdout
    assert f"Certificate {cid} imported" in out
    assert field(out, "subject") == "CN=ss1"
    assert api.last.body == pem
    assert api.last.headers["Content-Type"] == "application/x-pem-file"
    await ss("cert", "import", str(tmp_path / "c.der"))
    assert api.last.body == b"\x30\x82\x01\x00"
    assert api.last.headers["Content-Type"] == "application/pkix-cert"
    result = await ss("cert", "import", str(tmp_path / "missing.pem"), code=2)
    assert "Cannot read the certificate" in result.stderr

    api.on("GET", f"/certificates/{cid}", body=CERT)
    assert json.loads((await ss("cert", "show", cid, "--json")).stdout) == CERT
    for action in ("activate", "disable"):
        api.on(
            "POST", f"/certificates/{cid}/{action}", body={**CERT, "active": action == "activate"}
        )
        out = (await ss("cert", action, cid)).stdout
        assert out.startswith(f"Certificate {cid} {action}d")
        assert (api.last.method, api.last.body) == ("POST", b"")
    api.on("DELETE", f"/certificates/{cid}", 204)
    assert (await ss("cert", "delete", cid)).stdout == f"Certificate {cid} deleted\n"

    reg = {**REQUEST, "type": "authCertReg"}
    api.on("POST", f"/certificates/{cid}/register", 202, reg)
    out = (await ss("cert", "register", cid, "--address", "ss1.example.ee")).stdout
    assert out.strip() == (
        "Management request 7 (authCertReg) sent to http://cs.example/managementservice"
    )
    assert api.last.json() == {"address": "ss1.example.ee"}
    api.on("POST", f"/certificates/{cid}/unregister", 202, {**reg, "type": "authCertDeletion"})
    assert "(authCertDeletion)" in (await ss("cert", "unregister", cid)).stdout


async def test_clients(api: FakeApi, ss: Ss, tmp_path: Path) -> None:
    api.on("GET", "/clients", body=[CLIENT])
    out = (await ss("client", "list")).stdout
    assert out.splitlines()[0].split() == ["ID", "STATE", "CONNECTION", "TYPE"]
    assert out.splitlines()[1].split() == ["EE:GOV:1234:SUB", "saved", "HTTP"]

    api.on("POST", "/clients", 201, CLIENT)
    await ss("client", "add", "EE:GOV:1234:SUB")
    assert api.last.json() == {"id": "EE:GOV:1234:SUB"}
    await ss("client", "add", "EE:GOV:1234:SUB", "--connection-type", "HTTPS")
    assert api.last.json() == {"id": "EE:GOV:1234:SUB", "connection_type": "HTTPS"}
    await ss("client", "add", "EE:GOV:1234:SUB", "--connection-type", "FTP", code=2)

    api.on("GET", SUB, body=CLIENT)
    assert field((await ss("client", "show", "EE:GOV:1234:SUB")).stdout, "state") == "saved"
    # The colon form, URL-encoded, reaches the router decoded (contract §2).
    assert api.last.raw_path == "/api/v1" + SUB
    assert api.last.path == "/api/v1/clients/EE:GOV:1234:SUB"
    api.on("DELETE", SUB, 204)
    assert (
        "Client EE:GOV:1234:SUB deleted" in (await ss("client", "delete", "EE:GOV:1234:SUB")).stdout
    )
    api.on("POST", SUB + "/register", 202, REQUEST)
    assert (
        "Management request 7 (clientReg)"
        in (await ss("client", "register", "EE:GOV:1234:SUB")).stdout
    )
    api.on("POST", SUB + "/unregister", 202, {**REQUEST, "type": "clientDeletion"})
    assert "(clientDeletion)" in (await ss("client", "unregister", "EE:GOV:1234:SUB")).stdout
    api.on("PATCH", SUB, body={**CLIENT, "connection_type": "HTTPS_NO_AUTH"})
    out = (await ss("client", "set-connection-type", "EE:GOV:1234:SUB", "HTTPS_NO_AUTH")).stdout
    assert out.strip() == "Client EE:GOV:1234:SUB: HTTPS_NO_AUTH"
    assert (api.last.method, api.last.json()) == ("PATCH", {"connection_type": "HTTPS_NO_AUTH"})

    pem = b"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
    (tmp_path / "is.pem").write_bytes(pem)
    api.on("POST", SUB + "/tls-certificates", 201, {"sha256": "cd" * 32})
    out = (
        await ss("client", "tls-cert", "add", "EE:GOV:1234:SUB", str(tmp_path / "is.pem"))
    ).stdout
    assert field(out, "sha256") == "cd" * 32
    assert api.last.body == pem
    api.on("GET", SUB + "/tls-certificates", body=[{"sha256": "cd" * 32}])
    out = (await ss("client", "tls-cert", "list", "EE:GOV:1234:SUB")).stdout
    assert out.splitlines() == ["SHA256", "cd" * 32]
    api.on("DELETE", SUB + "/tls-certificates/" + "cd" * 32, 204)
    await ss("client", "tls-cert", "delete", "EE:GOV:1234:SUB", "CD" * 32)
    assert api.last.method == "DELETE"


async def test_local_groups(api: FakeApi, ss: Ss) -> None:
    group = {"code": "admins", "description": "Admins", "members": ["EE:GOV:5678:APP"]}
    api.on("GET", SUB + "/local-groups", body=[group])
    out = (await ss("local-group", "list", "EE:GOV:1234:SUB")).stdout
    assert out.splitlines()[1].split() == ["admins", "Admins", "EE:GOV:5678:APP"]
    api.on("POST", SUB + "/local-groups", 201, group)
    await ss("local-group", "add", "EE:GOV:1234:SUB", "admins", "--description", "Admins")
    assert api.last.json() == {"code": "admins", "description": "Admins"}
    api.on("DELETE", SUB + "/local-groups/admins", 204)
    assert (
        "Local group admins deleted"
        in (await ss("local-group", "delete", "EE:GOV:1234:SUB", "admins")).stdout
    )
    members = SUB + "/local-groups/admins/members"
    api.on("POST", members, 201, group)
    api.on("DELETE", members, 204)
    out = (
        await ss("local-group", "add-member", "EE:GOV:1234:SUB", "admins", "EE:GOV:5678:APP")
    ).stdout
    assert out.strip() == "EE:GOV:5678:APP added to local group admins"
    assert api.last.json() == {"member": "EE:GOV:5678:APP"}
    await ss("local-group", "remove-member", "EE:GOV:1234:SUB", "admins", "EE:GOV:5678:APP")
    assert (api.last.method, api.last.json()) == ("DELETE", {"member": "EE:GOV:5678:APP"})
    await ss("local-group", "add-member", "EE:GOV:1234:SUB", "admins", "EE", code=2)


async def test_audit_log_and_api_keys(api: FakeApi, ss: Ss) -> None:
    entry = {
        "id": 3,
        "at": "2026-11-25T14:00:00+00:00",
        "actor": "admin",
        "action": "add_client",
        "target": "EE:GOV:1234:SUB",
        "details": {},
    }
    api.on("GET", "/audit-log?limit=5&offset=10", body=[entry])
    out = (await ss("audit-log", "--limit", "5", "--offset", "10")).stdout
    assert out.splitlines()[0].split() == ["ID", "AT", "ACTOR", "ACTION", "TARGET"]
    assert "add_client" in out
    api.on("GET", "/audit-log?limit=20&offset=0", body=[])
    assert (await ss("audit-log")).stdout == "(none)\n"

    listed = {
        "id": 1,
        "name": "admin",
        "roles": ["observer"],
        "created_at": "x",
        "revoked_at": None,
    }
    api.on("GET", "/api-keys", body=[listed])
    assert "admin  observer" in (await ss("api-key", "list")).stdout
    api.on("DELETE", "/api-keys/1", 204)
    assert "API key 1 revoked" in (await ss("api-key", "revoke", "1")).stdout
    created = {"id": 2, "name": "ops", "roles": ["observer"], "created_at": "x", "key": "vdx_new"}
    api.on("POST", "/api-keys", 201, created)
    out = (await ss("api-key", "create", "--name", "ops", "--role", "observer", "--via-api")).stdout
    assert out.strip().splitlines()[-1] == "vdx_new"
    assert api.last.json() == {"name": "ops", "roles": ["observer"]}
    await ss("api-key", "create", "--name", "ops", "--role", "boss", "--via-api", code=2)
