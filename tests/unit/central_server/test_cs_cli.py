"""``vdx cs``: from an empty directory, the CLI alone sets up an instance."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from central_server import conf_signing, tls
from central_server.app import private_parameters_provider
from central_server.confgen.signing import certificate_der
from central_server.distribution import ConfigurationPublisher, ConfigurationStore
from central_server.registry import RegistryService
from central_server.settings import CentralServerSettings
from central_server.storage import create_engine
from tests.databases import sqlite_url
from tests.integration.central_server.registry_support import der, pem
from vdx.cli.cs import app
from vdx.clock import utc_now
from vdx.globalconf import anchor_hash, parse_anchor

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory with a settings file pointing the data folder into it."""
    for name in ("VDX_CS_DATA_DIR", "VDX_CS_DATABASE_URL", "VDX_CS_INSTANCE_IDENTIFIER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cs.toml").write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    for name in ("root", "intermediate", "responder", "tsa", "auth"):
        (tmp_path / f"{name}.pem").write_bytes(pem(name))
    return tmp_path


def cs(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--config", str(home / "cs.toml")])
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    return result.stdout


def cs_json(home: Path, *args: str) -> Any:
    return json.loads(cs(home, *args, "--json"))


def test_an_instance_with_a_member_a_ca_and_a_tsa(home: Path) -> None:
    out = cs(home, "init", "--instance", "EE")
    assert "Instance EE initialised" in out
    key = out.strip().splitlines()[-1]
    assert key.startswith("vdx_")
    assert (home / "data" / "central-server.db").is_file()

    assert "Member class GOV added" in cs(
        home, "member-class", "add", "GOV", "--description", "Government"
    )
    member = cs_json(home, "member", "add", "EE:GOV:1234", "--name", "Ministry")
    assert member["id"] == "EE:GOV:1234"
    sub = cs_json(home, "subsystem", "add", "EE:GOV:1234:SUB", "--name", "Tax")
    assert sub["id"] == "EE:GOV:1234:SUB"
    server = cs_json(home, "server", "add", "EE:GOV:1234:SS1", "--address", "ss1.example.ee")
    assert server["owner"] == "EE:GOV:1234"
    ca = cs_json(
        home,
        "ca",
        "add",
        "--name",
        "Test CA",
        "--cert",
        "root.pem",
        "--intermediate",
        "intermediate.pem",
        "--ocsp-url",
        "http://ocsp.test.invalid/",
        "--ocsp-cert",
        "responder.pem",
        "--csr-format",
        "DER",
    )
    assert ca["name"] == "Test CA"
    assert ca["ocsp"] == []
    assert ca["intermediates"][0]["ocsp"][0]["url"] == "http://ocsp.test.invalid/"
    tsa = cs_json(
        home,
        "tsa",
        "add",
        "--name",
        "TSA",
        "--url",
        "http://tsa.test.invalid/",
        "--cert",
        "tsa.pem",
    )
    assert tsa["url"] == "http://tsa.test.invalid/"
    cs(home, "global-group", "add", "tax", "--description", "Tax offices")
    group = cs_json(home, "global-group", "member-add", "tax", "EE:GOV:1234:SUB")
    assert group["members"] == ["EE:GOV:1234:SUB"]

    members = cs_json(home, "member", "list")
    assert [m["id"] for m in members] == ["EE:GOV:1234"]
    assert members[0]["subsystems"][0]["code"] == "SUB"
    shown = cs(home, "member", "show", "EE:GOV:1234")
    assert "Ministry" in shown
    assert "EE:GOV:1234:SS1" in shown
    assert "EE:GOV:1234" in cs(home, "member", "list")
    groups = cs_json(home, "global-group", "list")
    assert {g["code"] for g in groups} == {"security-server-owners", "tax"}
    assert [c["name"] for c in cs_json(home, "ca", "list")] == ["Test CA"]
    assert [t["name"] for t in cs_json(home, "tsa", "list")] == ["TSA"]
    assert cs_json(home, "member-class", "list") == [{"code": "GOV", "description": "Government"}]
    assert len(cs_json(home, "server", "list")) == 1

    entries = cs_json(home, "audit", "--limit", "3")
    assert [e["action"] for e in entries] == ["add_group_member", "add_global_group", "add_tsa"]
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert "add_tsa" in cs(home, "audit")


def test_api_keys(home: Path) -> None:
    first = cs_json(home, "init", "--instance", "EE")
    assert first["api_key"]["roles"] == ["system-administrator"]
    created = cs_json(
        home,
        "api-key",
        "create",
        "--name",
        "ops",
        "--role",
        "registration-officer",
        "--role",
        "security-officer",
    )
    assert created["key"].startswith("vdx_")
    assert created["roles"] == ["registration-officer", "security-officer"]
    listed = cs_json(home, "api-key", "list")
    assert [k["name"] for k in listed] == ["admin", "ops"]
    assert "key" not in listed[0]
    revoked = cs_json(home, "api-key", "revoke", str(created["id"]))
    assert revoked["revoked_at"] is not None
    assert "revoked" in cs(home, "api-key", "list")
    error = cs(home, "api-key", "revoke", str(created["id"]), code=1)
    assert error == ""
    out = cs(home, "api-key", "create", "--name", "x", "--role", "king", code=1)
    assert out == ""


def test_errors_exit_non_zero_with_the_message(home: Path) -> None:
    result = runner.invoke(app, ["member", "list", "--config", str(home / "cs.toml")])
    assert result.exit_code == 1
    assert "vdx cs init" in result.stderr

    cs(home, "init", "--instance", "EE")
    result = runner.invoke(app, ["init", "--instance", "EE", "--config", str(home / "cs.toml")])
    assert result.exit_code == 1
    assert "An API key named 'admin' already exists" in result.stderr
    result = runner.invoke(app, ["init", "--instance", "FI", "--config", str(home / "cs.toml")])
    assert result.exit_code == 1
    assert "is EE and cannot change" in result.stderr
    # a second administrator key through init works (the server may have set the instance)
    assert "vdx_" in cs(home, "init", "--instance", "EE", "--key-name", "admin2")

    result = runner.invoke(
        app, ["member", "add", "EE:NOPE:1", "--name", "x", "--config", str(home / "cs.toml")]
    )
    assert result.exit_code == 1
    assert "Member class 'NOPE' does not exist" in result.stderr

    result = runner.invoke(
        app,
        ["member", "show", "EE:GOV:1", "--json", "--config", str(home / "cs.toml")],
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "not_found"

    # usage errors exit 2
    result = runner.invoke(
        app, ["member", "add", "EE:GOV", "--name", "x", "--config", str(home / "cs.toml")]
    )
    assert result.exit_code == 2
    assert "3 or 4 parts" in result.stderr
    result = runner.invoke(app, ["member", "add", "EE:GOV:1", "--config", str(home / "cs.toml")])
    assert result.exit_code == 2
    result = runner.invoke(
        app,
        ["ca", "add", "--name", "x", "--cert", "missing.pem", "--config", str(home / "cs.toml")],
    )
    assert result.exit_code == 2
    assert "missing.pem" in result.stderr
    result = runner.invoke(app, ["member", "list", "--config", str(home / "nope.toml")])
    assert result.exit_code == 2
    (home / "bad.toml").write_text("no_such_setting = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["member", "list", "--config", str(home / "bad.toml")])
    assert result.exit_code == 2
    assert "no_such_setting" in result.stderr
    # a certificate file that is not one
    (home / "junk.pem").write_bytes(b"junk")
    result = runner.invoke(
        app,
        [
            "tsa",
            "add",
            "--name",
            "T",
            "--url",
            "http://t/",
            "--cert",
            "junk.pem",
            "--config",
            str(home / "cs.toml"),
        ],
    )
    assert result.exit_code == 1
    assert "not an X.509 certificate" in result.stderr


def test_conf_status_and_anchor_export(home: Path) -> None:
    status = cs_json(home, "conf", "status")
    assert status["available"] is False
    assert "No configuration generated yet" in cs(home, "conf", "status")
    cs(home, "init", "--instance", "EE")
    url = "http://cs.example.ee/internalconf"
    result = runner.invoke(
        app, ["anchor", "export", "--url", url, "--out", "a.xml", "--config", str(home / "cs.toml")]
    )
    assert result.exit_code == 1
    assert "conf-signing/cert.pem" in result.stderr

    signing = home / "data" / "conf-signing"
    signing.mkdir(parents=True)
    (signing / "cert.pem").write_bytes(pem("root"))
    exported = cs_json(home, "anchor", "export", "--url", url, "--out", "anchor.xml")
    data = (home / "anchor.xml").read_bytes()
    assert exported["hash"] == anchor_hash(data)
    assert exported["source"] == "registry"
    anchor = parse_anchor(data)
    assert anchor.instance == "EE"
    assert anchor.verification_certs == (der("root"),)
    assert "Hash (SHA-224)" in cs(home, "anchor", "export", "--url", url, "--out", "b.xml")

    result = runner.invoke(
        app,
        [
            "anchor",
            "export",
            "--url",
            "ftp://x",
            "--out",
            "a.xml",
            "--config",
            str(home / "cs.toml"),
        ],
    )
    assert result.exit_code == 2


async def _publish(home: Path) -> bytes:
    """Run one round of the real publisher the way the composition root wires it."""
    engine = create_engine(sqlite_url(home / "data"))
    try:
        registry = RegistryService(engine)
        signer = conf_signing.load_or_create(home / "data" / "conf-signing", "EE", utc_now())
        publisher = ConfigurationPublisher(
            store=ConfigurationStore(),
            snapshot_provider=registry.snapshot,
            private=private_parameters_provider(
                CentralServerSettings(data_dir=home / "data"),
                registry,
                tls.load_or_create(home / "data" / "tls", "cs.example.ee", utc_now()).public_bytes(
                    serialization.Encoding.DER
                ),
            ),  # type: ignore[arg-type]
            signer=signer,
            source_address="cs.example.ee",
            data_dir=home / "data" / "conf",
        )
        assert await publisher.regenerate() is not None
        return certificate_der(signer)
    finally:
        await engine.dispose()


def test_conf_status_and_anchor_from_the_generated_configuration(home: Path) -> None:
    cs(home, "init", "--instance", "EE")
    cs(home, "member-class", "add", "GOV", "--description", "Government")
    signing_cert = asyncio.run(_publish(home))
    status = cs_json(home, "conf", "status")
    assert status["available"] is True
    assert status["expired"] is False
    assert status["versions"]
    assert "Expires:" in cs(home, "conf", "status")
    url = "https://cs.example.ee/internalconf"
    exported = cs_json(home, "anchor", "export", "--url", url, "--out", "anchor.xml")
    assert exported["source"] == "generation"
    anchor = parse_anchor((home / "anchor.xml").read_bytes())
    assert anchor.verification_certs == (signing_cert,)
    assert anchor.sources[0].download_url == url


def test_management_requests(home: Path) -> None:
    cs(home, "init", "--instance", "EE")
    assert cs_json(home, "request", "list") == []
    assert "(none)" in cs(home, "request", "list", "--state", "pending")
    result = runner.invoke(app, ["request", "approve", "42", "--config", str(home / "cs.toml")])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    result = runner.invoke(
        app, ["request", "reject", "42", "--json", "--config", str(home / "cs.toml")]
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "not_found"
    result = runner.invoke(
        app, ["request", "list", "--state", "odd", "--config", str(home / "cs.toml")]
    )
    assert result.exit_code == 2
