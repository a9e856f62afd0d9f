"""The client proxy checks the OCSP status of the provider's authentication certificate.

UC MESS_04 of the reference (and pr-messtransp §3): the consumer's server asks the provider's
server for the missing OCSP response of the certificate it presented in the TLS handshake
(SS-P's real OCSP listener here, serving responses signed by the test PKI's responder),
checks it, caches it, and refuses a provider whose certificate is revoked or whose status it
cannot learn, before any byte of the request leaves
(``Server.ClientProxy.SslAuthenticationFailed``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import structlog.testing

from security_server.proxy import peer_ocsp
from tests.integration.security_server import proxy_support as ps
from tests.unit.security_server import exchange_support as es
from vdx.errors import Code, XRoadError

FAULT = "Server.ClientProxy.SslAuthenticationFailed"
PRODUCER_AUTH = es.auth_cert("SS-P")
KEY = peer_ocsp.cert_hash(ps.der(PRODUCER_AUTH))


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        yield federation


async def exchange(fed: ps.Federation) -> tuple[int, bytes]:
    q = ps.soap_query()
    status, _, body = await ps.call(
        "POST", fed.client_proxy_url, body=q.body, headers={"Content-Type": q.content_type}
    )
    return status, body


async def refused(fed: ps.Federation) -> str:
    with structlog.testing.capture_logs() as logs:
        status, body = await exchange(fed)
    assert status == 500, body
    code, string, detail = ps.soap_fault(body)
    assert code == FAULT
    assert ps.logged(logs, code, detail)
    # Refused in the handshake: SS-P's server proxy never saw the request.
    assert fed.service_calls == []
    return string


async def test_good_response_is_fetched_and_the_exchange_proceeds(fed: ps.Federation) -> None:
    status, body = await exchange(fed)
    assert status == 200, body
    assert fed.service_calls == ["/soap"]


async def test_revoked_provider_auth_certificate_is_refused(fed: ps.Federation) -> None:
    fed.current.producer_ocsp_listener = {KEY: es.ocsp(PRODUCER_AUTH, status="revoked")}
    assert "revoked" in (await refused(fed)).lower()


async def test_stale_response_is_refused(fed: ps.Federation) -> None:
    stale = es.ocsp(PRODUCER_AUTH, age=timedelta(hours=2))
    fed.current.producer_ocsp_listener = {KEY: stale}
    await refused(fed)


async def test_provider_without_a_response_is_refused(fed: ps.Federation) -> None:
    fed.current.producer_ocsp_listener = {}  # the listener answers 404
    await refused(fed)


async def test_a_response_for_another_certificate_is_refused(fed: ps.Federation) -> None:
    other = es.ocsp(es.auth_cert("SS-C"))  # good, but about the consumer's certificate
    fed.current.producer_ocsp_listener = {KEY: other}
    await refused(fed)


def test_cache_holds_only_checked_responses_while_fresh() -> None:
    cache = peer_ocsp.PeerOcsp()
    trust = ps.configuration("a:1", "b:2").trust
    cert = ps.der(PRODUCER_AUTH)
    with pytest.raises(peer_ocsp.OcspNeeded):
        cache.check(cert, trust, es.NOW)  # nothing cached yet
    with pytest.raises(XRoadError) as caught:
        cache.accept(cert, (es.ocsp(PRODUCER_AUTH, status="revoked"),), trust, es.NOW)
    assert caught.value.code == Code.SSL_AUTH_FAILED
    with pytest.raises(peer_ocsp.OcspNeeded):
        cache.check(cert, trust, es.NOW)  # the revoked one was not cached
    cache.accept(cert, (es.ocsp(PRODUCER_AUTH),), trust, es.NOW)
    cache.check(cert, trust, es.NOW)
    with pytest.raises(peer_ocsp.OcspNeeded):
        cache.check(cert, trust, es.NOW + timedelta(hours=2))  # stale by then: ask again
