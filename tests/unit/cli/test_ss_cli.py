"""``vdx ss``: what the CLI sends to the admin API, and how it prints answers and refusals.

The API here is a small aiohttp application on a real socket that stands in for the security
server's admin API (its own tests live with it): it records each request exactly as it arrived
and answers with contract-shaped JSON (ss-admin contract §2) set by each test. The CLI runs in a
worker thread, as a process would, while the server answers on the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from click.testing import Result
from typer.testing import CliRunner

from vdx.cli.ss import app

runner = CliRunner()
KEY = "vdx_test-key"

STATUS = {
    "initialized": True,
    "server": "EE:GOV:1234:SS1",
    "owner": "EE:GOV:1234",
    "instance": "EE",
    "token": {"id": "0", "initialized": True, "logged_in": False},
    "globalconf": {"ok": True, "reason": None, "expires": "2026-11-25T15:00:00+00:00"},
}
CERT = {
    "id": "ab" * 32,
    "key_id": "k1",
    "usage": "auth",
    "status": "saved",
    "ocsp_status": "unknown",
    "active": False,
    "subject": "CN=ss1",
    "issuer": "CN=Test CA",
    "serial": "42",
    "not_after": "2027-11-25T00:00:00+00:00",
    "member": None,
    "sha256": "ab" * 32,
}
KEY_INFO = {"id": "k1", "label": "auth 1", "usage": "auth", "algorithm": "RSA2048"}
CLIENT = {
    "id": "EE:GOV:1234:SUB",
    "member_class": "GOV",
    "member_code": "1234",
    "subsystem_code": "SUB",
    "state": "saved",
    "connection_type": "HTTP",
}
REQUEST = {"request_id": 7, "type": "clientReg", "sent_to": "http://cs.example/managementservice"}


def error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"status": status, "error": {"code": code, "message": message}}


@dataclass(frozen=True)
class Seen:
    method: str
    raw_path: str  # as sent, URL-encoded, with the query
    path: str  # as the server's router sees it, decoded
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers.get("Content-Type") == "application/json"
        return json.loads(self.body)


Answer = tuple[int, Any, str]  # status, body (JSON value, text or None), content type


@dataclass
class FakeApi:
    """Answers set per (method, raw path); records every request."""

    url: str = ""
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    delay: float = 0.0

    def on(
        self,
        method: str,
        path: str,
        status: int = 200,
        body: Any = None,
        content_type: str = "application/json",
    ) -> None:
        self.answers[(method, "/api/v1" + path)] = (status, body, content_type)

    @property
    def last(self) -> Seen:
        return self.seen[-1]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(
            Seen(request.method, request.raw_path, request.path, dict(request.headers), body)
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        found = self.answers.get((request.method, request.raw_path))
        if found is None:
            return web.json_response(error(404, "not_found", "no such route"), status=404)
        status, value, kind = found
        if value is None:
            return web.Response(status=status)
        if kind == "application/json":
            return web.json_response(value, status=status)
        return web.Response(status=status, text=value, content_type=kind)


@pytest.fixture
async def api() -> Any:
    fake = FakeApi()
    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", fake.handle)
    server = TestServer(application, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


Ss = Callable[..., Awaitable[Result]]


@pytest.fixture
def ss(api: FakeApi) -> Ss:
    """Run ``vdx ss --url API --api-key KEY ARGS`` and check its exit code."""

    async def invoke(
        *args: str, code: int = 0, key: str | None = KEY, env: dict[str, str] | None = None
    ) -> Result:
        head = ["--url", api.url] + (["--api-key", key] if key is not None else [])
        environment = {"VDX_SS_API_KEY": None, "VDX_SS_TOKEN_PIN": None, **(env or {})}
        result = await asyncio.to_thread(runner.invoke, app, [*head, *args], env=environment)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result

    return invoke


# ------------------------------------------------------------------------ status, init


async def test_status_for_people_and_as_json(api: FakeApi, ss: Ss) -> None:
    api.on("GET", "/system/status", body=STATUS)
    out = (await ss("status")).stdout
    assert "Server:       EE:GOV:1234:SS1" in out
    assert "Token:        0 (initialised, logged out)" in out
    assert "Global conf:  ok, expires 2026-11-25T15:00:00+00:00" in out
    seen = api.last
    assert (seen.method, seen.raw_path, seen.body) == ("GET", "/api/v1/system/status", b"")
    assert seen.headers["Authorization"] == f"X-Road-ApiKey token={KEY}"
    assert seen.headers["Accept"] == "application/json"

    assert json.loads((await ss("status", "--json")).stdout) == STATUS
    assert json.loads((await ss("--json", "status")).stdout) == STATUS  # global --json too


async def test_the_key_comes_from_the_environment(api: FakeApi, ss: Ss) -> None:
    api.on("GET", "/system/status", body=STATUS)
    await ss("status", key=None, env={"VDX_SS_API_KEY": "vdx_from-env"})
    assert api.last.headers["Authorization"] == "X-Road-ApiKey token=vdx_from-env"


async def test_init_sends_class_code_server_code_and_the_pin_file(
    api: FakeApi, ss: Ss, tmp_path: Any
) -> None:
    api.on("GET", "/system/status", body={**STATUS, "initialized": False, "server": None})
    api.on("POST", "/system/initialize", 201, STATUS)
    (tmp_path / "pin").write_text("s3cret pin\nignored\n", encoding="utf-8")
    args = ("init", "--owner", "EE:GOV:1234", "--server-code", "SS1")
    out = (await ss(*args, "--pin-file", str(tmp_path / "pin"))).stdout
    assert "Security server EE:GOV:1234:SS1 initialised" in out
    assert [s.raw_path for s in api.seen] == ["/api/v1/system/status", "/api/v1/system/initialize"]
    assert api.last.method == "POST"
    assert api.last.json() == {
        "owner_member_class": "GOV",
        "owner_member_code": "1234",
        "server_code": "SS1",
        "pin": "s3cret pin",
    }
    # The PIN from the variable the server's settings use too.
    await ss(*args, env={"VDX_SS_TOKEN_PIN": "env-pin"})
    assert api.last.json()["pin"] == "env-pin"


async def test_init_asks_for_the_pin_twice_without_echo(
    api: FakeApi, ss: Ss, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.on("GET", "/system/status", body=STATUS)
    api.on("POST", "/system/initialize", 201, STATUS)
    answers = iter(["1234", "1234", "1234", "4321"])
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    args = ("init", "--owner", "EE:GOV:1234", "--server-code", "SS1")
    await ss(*args)
    assert api.last.json()["pin"] == "1234"
    assert prompts == ["Token PIN: ", "Token PIN again: "]
    count = len(api.seen)
    result = await ss(*args, code=2)
    assert "the two PINs differ" in result.stderr
    assert len(api.seen) == count  # the PIN is read first: nothing was sent


async def test_init_refuses_bad_owners_and_pin_sources(api: FakeApi, ss: Ss, tmp_path: Any) -> None:
    api.on("GET", "/system/status", body=STATUS)
    (tmp_path / "pin").write_text("1\n", encoding="utf-8")
    result = await ss(
        "init", "--owner", "FI:GOV:1234", "--server-code", "SS1", "--pin", "1", code=2
    )
    assert "--owner is in instance FI, this server in EE" in result.stderr
    result = await ss(
        "init", "--owner", "EE:GOV:1234:SUB", "--server-code", "S", "--pin", "1", code=2
    )
    assert "is a subsystem" in result.stderr
    both = ("--pin", "1", "--pin-file", str(tmp_path / "pin"))
    result = await ss("init", "--owner", "EE:GOV:1", "--server-code", "S", *both, code=2)
    assert "give --pin or --pin-file, not both" in result.stderr
    result = await ss(
        "init",
        "--owner",
        "EE:GOV:1",
        "--server-code",
        "S",
        "--pin-file",
        "/nonexistent/pin",
        code=2,
    )
    assert "Cannot read the PIN file" in result.stderr
    assert all(s.method == "GET" for s in api.seen)


def test_vdx_ss_is_registered_in_the_vdx_command() -> None:
    from vdx.cli.main import app as vdx  # noqa: PLC0415 - the whole command, only here

    result = runner.invoke(vdx, ["ss", "--help"])
    assert result.exit_code == 0, result.stderr
    for group in ("status", "init", "token", "cert", "client", "description", "access", "api-key"):
        assert group in result.stdout
