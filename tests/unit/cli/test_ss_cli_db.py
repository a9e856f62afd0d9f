"""``vdx ss`` on a real SQLite database: the first API key without a server, then the CLI
against the real admin API application (security_server.admin_api) using that key."""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer
from click.testing import Result
from typer.testing import CliRunner

from security_server.admin_api import MAX_BODY, ApiKeyStore, setup_admin_api
from security_server.confclient import ConfigurationClient
from security_server.onboarding import OnboardingService
from security_server.serverconf import ServerConfService
from security_server.storage import create_engine
from tests import vectors
from vdx.cli.ss import app
from vdx.globalconf import parse_anchor

runner = CliRunner()
ADMIN_ROLES = (
    "system-administrator",
    "security-officer",
    "registration-officer",
    "service-administrator",
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("VDX_SS_DATA_DIR", "VDX_SS_DATABASE_URL", "VDX_SS_API_KEY", "VDX_SS_ADMIN_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "ss.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


def db_url(config: Path) -> str:
    return f"sqlite+aiosqlite:///{config.parent / 'data' / 'security-server.db'}"


def invoke(*args: str, code: int = 0) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
    return result


async def create_key(
    config: Path, name: str, *roles: str, code: int = 0, as_json: bool = False
) -> Result:
    """``api-key create`` in a thread, as a separate process would run it (its own loop)."""
    args = ["api-key", "create", "--config", str(config), "--name", name]
    args += [a for r in roles for a in ("--role", r)] + (["--json"] if as_json else [])
    return await asyncio.to_thread(invoke, *args, code=code)


async def test_the_first_key_is_made_on_the_database(config: Path) -> None:
    out = (await create_key(config, "admin", *ADMIN_ROLES)).stdout
    assert out.splitlines()[0] == (
        "API key 'admin' (registration-officer, security-officer, service-administrator, "
        "system-administrator), shown this once:"
    )
    key = out.strip().splitlines()[-1]
    assert key.startswith("vdx_")
    data = json.loads((await create_key(config, "ops", "observer", as_json=True)).stdout)
    assert (data["name"], data["roles"]) == ("ops", ["observer"])

    engine = create_engine(db_url(config))
    try:
        store = ApiKeyStore(engine)
        found = await store.authenticate(key)
        assert found is not None
        assert sorted(found.roles) == sorted(ADMIN_ROLES)
        assert await store.authenticate(data["key"]) is not None
        assert await store.authenticate(key + "x") is None
    finally:
        await engine.dispose()

    result = await create_key(config, "admin", "observer", code=1)
    assert "already exists" in result.stderr
    result = await create_key(config, "boss", "superuser", code=2)
    assert "unknown role 'superuser'" in result.stderr
    (config.parent / "bad.toml").write_text("no_such_setting = 1\n", encoding="utf-8")
    result = await create_key(config.parent / "bad.toml", "x", "observer", code=2)
    assert "Invalid settings" in result.stderr


@pytest.fixture
async def real_api(config: Path) -> AsyncIterator[str]:
    """The real admin API on the database of ``config``, on a local socket; yields its URL."""
    anchor = vectors.require_dir() / "anchors" / "trusted-anchor.xml"
    await create_key(config, "admin", *ADMIN_ROLES)  # migrates the new database too
    engine = create_engine(db_url(config))
    try:
        serverconf = ServerConfService(engine)
        conf = ConfigurationClient(anchor=parse_anchor(anchor.read_bytes()))
        onboarding = OnboardingService(
            serverconf=serverconf, engine=engine, conf=conf, token_dir=config.parent / "tokens"
        )
        application = web.Application(client_max_size=MAX_BODY)
        setup_admin_api(
            application,
            serverconf=serverconf,
            onboarding=onboarding,
            keys=ApiKeyStore(engine),
            conf_status=conf.status,
        )
        server = TestServer(application, host="127.0.0.1")
        await server.start_server()
        # The server logs in this process; kept out of the CLI's captured stdout.
        with structlog.testing.capture_logs():
            try:
                yield str(server.make_url("")).rstrip("/")
            finally:
                await server.close()
    finally:
        await engine.dispose()


async def test_the_cli_against_the_real_api(config: Path, real_api: str) -> None:
    admin = json.loads((await create_key(config, "admin2", *ADMIN_ROLES, as_json=True)).stdout)[
        "key"
    ]

    async def ss(key: str, *args: str, code: int = 0) -> Any:
        full = ["--url", real_api, "--api-key", key, *args]
        result = await asyncio.to_thread(runner.invoke, app, full)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result

    status = json.loads((await ss(admin, "status", "--json")).stdout)
    assert status["initialized"] is False
    assert status["server"] is None
    assert "Initialised:  no" in (await ss(admin, "status")).stdout

    created = json.loads(
        (
            await ss(
                admin,
                "api-key",
                "create",
                "--via-api",
                "--name",
                "obs",
                "--role",
                "observer",
                "--json",
            )
        ).stdout
    )
    observer = created["key"]
    listed = json.loads((await ss(admin, "api-key", "list", "--json")).stdout)
    assert [k["name"] for k in listed] == ["admin", "admin2", "obs"]

    # An observer reads, and is told which role a change needs.
    assert "Initialised:  no" in (await ss(observer, "status")).stdout
    result = await ss(observer, "api-key", "list", code=1)
    assert result.stderr.strip() == (
        "error: the API key lacks the role (HTTP 403): This needs the role system-administrator"
    )
    result = await ss(admin + "x", "status", code=1)
    assert "the API key was not accepted" in result.stderr

    # The API's own refusal, printed with its status: no client of that id exists.
    result = await ss(admin, "client", "show", "EE:GOV:1234:SUB", "--json", code=1)
    assert json.loads(result.stdout)["status"] == 404

    log = json.loads((await ss(admin, "audit-log", "--json")).stdout)
    actors = {(e["action"], e["target"]): e["actor"] for e in log}
    assert actors[("create_api_key", "obs")] == "admin2"
    assert actors[("create_api_key", "admin")] == f"cli:{getpass.getuser()}"

    await ss(admin, "api-key", "revoke", str(created["id"]))
    result = await ss(observer, "status", code=1)
    assert "the API key was not accepted" in result.stderr


async def test_onboarding_steps_against_the_real_api(config: Path, real_api: str) -> None:
    """From initialisation to a client with a service and an access right; registration needs
    the central server, which is absent here: the API's 503 is printed, exit 1."""
    admin = json.loads((await create_key(config, "ops", *ADMIN_ROLES, as_json=True)).stdout)["key"]
    pin = config.parent / "pin"
    pin.write_text("1234\n", encoding="utf-8")

    async def ss(*args: str, code: int = 0) -> str:
        full = ["--url", real_api, "--api-key", admin, *args]
        result = await asyncio.to_thread(runner.invoke, app, full)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return str(result.stdout if code == 0 else result.stderr)

    instance = json.loads(await ss("status", "--json"))["instance"]
    owner, sub = f"{instance}:GOV:1234", f"{instance}:GOV:1234:SUB"
    out = await ss("init", "--owner", owner, "--server-code", "SS1", "--pin-file", str(pin))
    assert f"Security server {owner}:SS1 initialised" in out
    assert "already" in await ss(
        "init", "--owner", owner, "--server-code", "SS1", "--pin-file", str(pin), code=1
    )
    assert "Token logged in" in await ss("token", "login", "--pin-file", str(pin))
    key = json.loads(await ss("key", "add", "--usage", "sign", "--label", "sign 1", "--json"))
    assert key["usage"] == "sign"
    assert key["id"] in await ss("token", "show")
    await ss("client", "add", sub, "--connection-type", "HTTPS")
    await ss("local-group", "add", sub, "g1", "--description", "Group one")
    await ss("local-group", "add-member", sub, "g1", owner)
    description = json.loads(
        await ss(
            "description",
            "add",
            sub,
            "--type",
            "REST",
            "--url",
            "http://b.local/api",
            "--service-code",
            "pets",
            "--json",
        )
    )
    service = description["services"][0]["id"]
    assert service == f"{sub}:pets"
    await ss("service", "set", service, "--timeout", "30", "--no-tls-verify")
    shown = json.loads(await ss("service", "show", service, "--json"))
    assert (shown["timeout"], shown["tls_verify"]) == (30, False)
    await ss("access", "grant", service, "--subject", "localgroup:g1")
    assert "localgroup:g1" in await ss("access", "list", service)
    assert "(HTTP 503)" in await ss("client", "register", sub, code=1)
    assert "Token logged out" in await ss("token", "logout")
