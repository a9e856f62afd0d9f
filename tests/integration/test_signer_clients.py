"""OCSP and TSA clients against the real development CA service on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from security_server.signer.ocsp_client import OcspClient
from security_server.signer.tsa_client import TsaClient
from trust_services import pki
from trust_services.app import create_app
from trust_services.store import CaDirectory, LoadedCa
from vdx.clock import utc_now
from vdx.crypto import timestamp
from vdx.crypto.trust import ApprovedCA, ApprovedTSA, OcspResponder, TrustConfig
from vdx.errors import Code, XRoadError


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Federation:
    directory: CaDirectory
    ca: LoadedCa
    base: str
    session: aiohttp.ClientSession

    def trust(self, tsa_urls: list[str], ocsp_urls: list[str] | None = None) -> TrustConfig:
        urls = ocsp_urls if ocsp_urls is not None else [f"{self.base}/ocsp"]
        return TrustConfig(
            cas=(
                ApprovedCA(
                    "VDX Test CA",
                    top_ca=self.ca.root,
                    ocsp_responders=tuple(OcspResponder(u, self.ca.ocsp.cert) for u in urls),
                ),
            ),
            tsas=tuple(ApprovedTSA(f"tsa{i}", u, self.ca.tsa.cert) for i, u in enumerate(tsa_urls)),
        )

    def issue_sign_cert(self) -> x509.Certificate:
        key = pki.new_key("ec-p256")
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "EE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "GOV"),
                x509.NameAttribute(NameOID.COMMON_NAME, "1234"),
            ]
        )
        csr = (
            x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
        )
        cert = pki.end_entity(self.ca.issuing, csr, "sign", utc_now())
        self.directory.record_issued(cert, "sign", utc_now())
        return cert


@pytest.fixture
async def federation(tmp_path: Path) -> AsyncIterator[Federation]:
    directory = CaDirectory(tmp_path / "ca")
    directory.init(utc_now(), intermediate=False, key_kind="ec-p256")
    server = TestServer(create_app(directory), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Federation(directory, directory.load(), str(server.make_url("")).rstrip("/"), session)
    await server.close()


async def test_tsa_fails_over_in_priority_order(federation: Federation) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/tsa"
    client = TsaClient(federation.session, federation.trust([dead, f"{federation.base}/tsa"]))
    stamp = await client.timestamp(b"hash chain result", utc_now())
    assert stamp.tsa_cert == federation.ca.tsa.cert
    assert stamp.imprint == timestamp.build_request(b"hash chain result", nonce=None).imprint


async def test_tsa_outage_is_timestamping_failed_with_every_reason(federation: Federation) -> None:
    dead = [f"http://127.0.0.1:{_closed_port()}/tsa", f"{federation.base}/no-such-endpoint"]
    client = TsaClient(federation.session, federation.trust(dead), timeout_seconds=2)
    with pytest.raises(XRoadError) as caught:
        await client.timestamp(b"x", utc_now())
    assert caught.value.code is Code.TIMESTAMPING_FAILED
    assert "tsa0" in caught.value.message
    assert "tsa1" in caught.value.message


async def test_ocsp_good_is_cached_then_revocation_seen_at_refresh(federation: Federation) -> None:
    cert = federation.issue_sign_cert()
    client = OcspClient(federation.session, federation.trust([]))
    now = utc_now()
    first = await client.get(cert, federation.ca.issuing.cert, now)
    assert first.info.status == "good"
    federation.directory.revoke(f"{cert.serial_number:X}", x509.ReasonFlags.key_compromise, now)
    cached = await client.get(cert, federation.ca.issuing.cert, now + dt.timedelta(minutes=1))
    assert cached.der == first.der  # still inside the fetch interval: no new request
    later = now + dt.timedelta(seconds=client.fetch_interval_seconds + 1)
    refreshed = await client.get(cert, federation.ca.issuing.cert, later)
    assert refreshed.info.status == "revoked"


async def test_ocsp_outage_keeps_a_fresh_response_and_refuses_a_stale_one(
    federation: Federation,
) -> None:
    cert = federation.issue_sign_cert()
    working = OcspClient(federation.session, federation.trust([]))
    now = utc_now()
    good = await working.get(cert, federation.ca.issuing.cert, now)
    # A new client over the same cache, as the security server builds one each refresh round;
    # the responder is now down.
    broken = OcspClient(
        federation.session,
        federation.trust([], ocsp_urls=[f"http://127.0.0.1:{_closed_port()}/ocsp"]),
        timeout_seconds=2,
        cache=working.cache,
    )
    due = now + dt.timedelta(seconds=broken.fetch_interval_seconds + 1)
    kept = await broken.get(cert, federation.ca.issuing.cert, due)
    assert kept.der == good.der
    stale = now + dt.timedelta(seconds=federation.trust([]).ocsp_freshness_seconds + 120)
    with pytest.raises(XRoadError):
        await broken.get(cert, federation.ca.issuing.cert, stale)
