"""``vdx ss`` refusals: the API's errors, no answer at all, and usage errors (exit 1 or 2)."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.unit.cli.test_ss_cli import STATUS, FakeApi, Ss, api, error, runner, ss
from vdx.cli.ss import app

__all__ = ["api", "ss"]  # fixtures, used by name


# ------------------------------------------------------------------------ refusals


async def test_refusals_print_the_api_message_and_exit_1(api: FakeApi, ss: Ss) -> None:
    api.on(
        "POST",
        "/tokens/logout",
        403,
        error(403, "forbidden", "This needs the role security-officer"),
    )
    result = await ss("token", "logout", code=1)
    assert result.stderr.strip() == (
        "error: the API key lacks the role (HTTP 403): This needs the role security-officer"
    )
    assert result.stdout == ""
    result = await ss("token", "logout", "--json", code=1)
    assert json.loads(result.stdout) == error(
        403, "forbidden", "This needs the role security-officer"
    )

    unauthorized = error(401, "unauthorized", "Send a valid key")
    api.on("GET", "/tokens", 401, unauthorized)
    result = await ss("token", "show", code=1, key=None)
    assert "no API key given: use --api-key or VDX_SS_API_KEY" in result.stderr
    assert "Authorization" not in api.last.headers
    result = await ss("token", "show", code=1)
    assert "the API key was not accepted" in result.stderr

    api.on("POST", "/clients", 409, error(409, "conflict", "Client EE:GOV:1234:SUB exists"))
    result = await ss("client", "add", "EE:GOV:1234:SUB", code=1)
    assert result.stderr.strip() == "error: Client EE:GOV:1234:SUB exists (HTTP 409)"

    api.on("GET", "/clients", 502, "<html>bad gateway</html>", "text/html")
    result = await ss("client", "list", "--json", code=1)
    assert "HTTP 502 Bad Gateway: <html>bad gateway</html>" in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == "http"


async def test_an_unreachable_api_is_named_with_its_url(api: FakeApi) -> None:
    server = TestServer(web.Application(), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    await server.close()  # nothing listens there now
    result = await asyncio.to_thread(
        runner.invoke, app, ["--url", url, "status"], env={"VDX_SS_API_KEY": None}
    )
    assert result.exit_code == 1
    assert f"cannot reach the security server admin API at {url}: " in result.stderr
    assert "refused" in result.stderr.lower()
    del api


async def test_a_slow_api_times_out(api: FakeApi, ss: Ss) -> None:
    api.on("GET", "/system/status", body=STATUS)
    api.delay = 2.0
    result = await ss("--timeout", "0.3", "status", code=1)
    assert f"cannot reach the security server admin API at {api.url}: no answer within 0.3 s" in (
        result.stderr
    )


async def test_a_redirect_is_not_followed(api: FakeApi, ss: Ss) -> None:
    api.on("GET", "/system/status", 302, None)
    result = await ss("status", code=1)
    assert "HTTP 302" in result.stderr
    assert len(api.seen) == 1


async def test_usage_errors_exit_2_before_any_request(api: FakeApi, ss: Ss) -> None:
    result = await ss("client", "show", "EE:GOV", code=2)
    assert "must have 3 or 4 parts" in result.stderr
    result = await ss("client", "show", "EE:GOV:1:SUB:X", "--json", code=2)
    assert json.loads(result.stdout)["error"]["code"] == "usage"
    assert json.loads(result.stdout)["status"] is None
    await ss("key", "add", "--usage", "both", "--label", "x", code=2)
    await ss("service", "set", "EE:GOV:1:SUB:getThing", code=2)
    result = await asyncio.to_thread(runner.invoke, app, ["--url", "ftp://x", "status"])
    assert result.exit_code == 2
    assert api.seen == []
