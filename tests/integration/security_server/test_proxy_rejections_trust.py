"""Certificate refusals over real mutual TLS: revoked or stale sign and auth certificates.

The OCSP responses are real (signed by the test PKI's delegated responder); a revoked one is
what the CA's responder says about a revoked certificate. The consumer's server staples its
authentication certificate's responses to every request and embeds its signing certificate's
in the signature (pr-messtransp §2.2); the provider's server checks both at ``now`` before it
calls anything, and the consumer's server checks the provider's signature on the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import structlog.testing

from tests.integration.security_server import proxy_support as ps
from tests.unit.security_server import exchange_support as es

pytestmark = pytest.mark.vectors


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        yield federation


async def refused(fed: ps.Federation) -> tuple[str, str]:
    q = ps.soap_query()
    with structlog.testing.capture_logs() as logs:
        status, _, body = await ps.call(
            "POST", fed.client_proxy_url, body=q.body, headers={"Content-Type": q.content_type}
        )
    assert status == 500, body
    code, string, detail = ps.soap_fault(body)
    assert ps.logged(logs, code, detail), (code, logs)
    return code, string


def auth_ocsp(**options: object) -> tuple[bytes, ...]:
    return (es.ocsp(es.auth_cert("SS-C"), **options),)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the consumer's certificates


async def test_revoked_sign_certificate_of_the_caller(fed: ps.Federation) -> None:
    fed.current.signing["consumer"] = es.signing("consumer", status="revoked")
    code, string = await refused(fed)
    # Signature verification failed at SS-P. The reference words it
    # Server.ServerProxy.SignatureVerification.CertValidation (its verifier adds that inner
    # prefix); the origin and the code are the same.
    assert code.startswith("Server.ServerProxy.")
    assert code.endswith(".CertValidation")
    assert "revoked" in string
    assert fed.service_calls == []


async def test_stale_ocsp_of_the_callers_sign_certificate(fed: ps.Federation) -> None:
    fed.current.signing["consumer"] = es.signing("consumer", age=timedelta(hours=2))
    code, _ = await refused(fed)
    assert code.startswith("Server.ServerProxy.")
    assert code.endswith(".IncorrectValidationInfo")
    assert fed.service_calls == []


async def test_revoked_auth_certificate_of_the_callers_server(fed: ps.Federation) -> None:
    # SS-C's auth certificate chains to an approved CA and is registered, so TLS is accepted;
    # its stapled OCSP response says revoked: SS-P refuses the peer (reference:
    # verifySslClientCert wraps every auth-cert failure in SslAuthenticationFailed).
    fed.current.auth_ocsp["SS-C"] = auth_ocsp(status="revoked")
    code, string = await refused(fed)
    assert code == "Server.ServerProxy.SslAuthenticationFailed"
    assert "revoked" in string
    assert fed.service_calls == []


@pytest.mark.parametrize(
    ("ocsp", "reason"),
    [
        (auth_ocsp(age=timedelta(hours=2)), "fresh"),
        ((), "OCSP response is missing"),
    ],
    ids=["stale", "missing"],
)
async def test_auth_certificate_without_fresh_ocsp(
    fed: ps.Federation, ocsp: tuple[bytes, ...], reason: str
) -> None:
    fed.current.auth_ocsp["SS-C"] = ocsp
    code, string = await refused(fed)
    assert code == "Server.ServerProxy.SslAuthenticationFailed"
    assert reason in string
    assert fed.service_calls == []


async def test_auth_certificate_of_another_server_cannot_speak_for_the_caller(
    fed: ps.Federation,
) -> None:
    # SS-C staples SS-P's OCSP response: good, but about another certificate.
    fed.current.auth_ocsp["SS-C"] = (es.ocsp(es.auth_cert("SS-P")),)
    code, _ = await refused(fed)
    assert code == "Server.ServerProxy.SslAuthenticationFailed"
    assert fed.service_calls == []


# ---------------------------------------------------------------- the provider's certificate


async def test_revoked_sign_certificate_of_the_provider(fed: ps.Federation) -> None:
    # SS-P calls the service and signs the answer with a revoked certificate: SS-C refuses
    # the answer, and the information system gets SS-C's fault, not the data.
    fed.current.signing["producer"] = es.signing("producer", status="revoked")
    code, string = await refused(fed)
    assert code.startswith("Server.ClientProxy.")
    assert code.endswith(".CertValidation")
    assert "revoked" in string
    assert fed.service_calls == ["/soap"]
