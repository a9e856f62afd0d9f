"""REST r1 refusals over real mutual TLS, as the information system sees them.

Each refusal is the JSON error of pr-rest §4.6 (``type``, ``message``, ``detail``) with the
``X-Road-Error`` header naming the same code: 400 for the caller's mistakes (``Client.*``),
500 for a security server's refusal; the detail UUID is in the refusing server's log line.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
import structlog.testing
from multidict import CIMultiDict

from security_server.serverconf.model import ClientState
from tests.integration.security_server import proxy_support as ps
from tests.unit.security_server import exchange_support as es

pytestmark = pytest.mark.vectors

APP = "EE/BUSINESS/consumer/APP"
PROVIDER = "/r1/EE/BUSINESS/producer/REST"  # then /{serviceCode}/{path below the service}


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        federation.current.producer_serverconf = ps.producer_rest_serverconf(federation.rest_url)
        yield federation


async def get(
    fed: ps.Federation, path: str, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    sent = headers if headers is not None else {"X-Road-Client": APP}
    return await ps.call("GET", f"{fed.client_proxy_url}{PROVIDER}{path}", headers=sent)


async def refused(
    fed: ps.Federation, path: str, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    with structlog.testing.capture_logs() as logs:
        status, answer_headers, body = await get(fed, path, headers)
    assert answer_headers["Content-Type"].startswith("application/json")
    error = json.loads(body)
    assert set(error) == {"type", "message", "detail"}
    assert answer_headers["X-Road-Error"] == error["type"]
    uuid.UUID(error["detail"])
    assert ps.logged(logs, error["type"], error["detail"]), (error, logs)
    return status, error


async def test_control_the_same_call_is_answered(fed: ps.Federation) -> None:
    status, _, body = await get(fed, "/pets/pets/7")
    assert status == 200, body
    assert fed.service_calls == ["/api/pets/7"]


# ---------------------------------------------------------------- the caller's mistakes


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Accept": "application/json"}, "Client.MissingHeaderField"),
        ({"X-Road-Client": "  "}, "Client.MissingHeaderField"),
        ({"X-Road-Client": "EE/BUSINESS"}, "Client.InvalidClientIdentifier"),
        ({"X-Road-Client": "EE/BUSINESS/consumer/APP/extra"}, "Client.InvalidClientIdentifier"),
        (
            CIMultiDict([("X-Road-Client", APP), ("X-Road-Client", "EE/BUSINESS/stranger")]),
            "Client.DuplicateHeaderField",
        ),
    ],
    ids=["missing", "blank", "short", "long", "duplicate"],
)
async def test_bad_client_header_is_the_callers_fault(
    fed: ps.Federation, headers: Mapping[str, str], expected: str
) -> None:
    # pr-rest §4.6 category 3: a request that does not follow the protocol is 400 Client.*.
    status, error = await refused(fed, "/pets/pets/7", headers)
    assert status == 400
    assert error["type"] == expected
    assert fed.service_calls == []


# ---------------------------------------------------------------- the servers' refusals


async def test_unknown_service(fed: ps.Federation) -> None:
    status, error = await refused(fed, "/cats/1")
    assert status == 500
    assert error["type"] == "Server.ServerProxy.UnknownService"
    assert "EE/BUSINESS/producer/REST/cats" in error["message"]
    assert fed.service_calls == []


async def test_client_not_registered_on_the_consumer_server(fed: ps.Federation) -> None:
    fed.current.consumer_serverconf = es.consumer_serverconf(ClientState.SAVED)
    status, error = await refused(fed, "/pets/pets/7")
    assert status == 500
    assert error["type"] == "Server.ClientProxy.UnknownMember"
    assert fed.service_calls == []


async def test_expired_configuration(fed: ps.Federation) -> None:
    fed.current.conf = fed.configuration(expire=es.NOW - timedelta(seconds=1))
    status, error = await refused(fed, "/pets/pets/7")
    assert status == 500
    assert error["type"] == "Server.ClientProxy.OutdatedGlobalConf"
    assert fed.service_calls == []


async def test_caller_without_membership_on_its_server(fed: ps.Federation) -> None:
    # SS-C still has the subsystem registered locally, but the global configuration no
    # longer lists it as SS-C's client: SS-P does not accept SS-C speaking for it (the
    # reference's auth-cert check of the client: SslAuthenticationFailed).
    fed.current.conf = fed.configuration(consumer_clients=())
    status, error = await refused(fed, "/pets/pets/7")
    assert status == 500
    assert error["type"] == "Server.ServerProxy.SslAuthenticationFailed"
    assert fed.service_calls == []


# ---------------------------------------------------------------- the provider's headers


async def test_provider_server_speaks_for_the_x_road_headers(fed: ps.Federation) -> None:
    # The service writes X-Road headers of its own (ps.FORGED); SS-P replaces them with the
    # request's (pr-rest §4.3), so SS-C's comparison passes and the caller sees the truth.
    message_id = str(uuid.uuid4())
    status, headers, body = await get(
        fed, "/pets/pets/7?forge=yes", {"X-Road-Client": APP, "X-Road-Id": message_id}
    )
    assert status == 200, body
    assert headers["X-Road-Client"] == APP
    assert headers["X-Road-Service"] == "EE/BUSINESS/producer/REST/pets"
    assert headers["X-Road-Id"] == message_id
    assert headers["X-Road-Request-Hash"] != ps.FORGED["X-Road-Request-Hash"]
    assert fed.service_calls == ["/api/pets/7"]
