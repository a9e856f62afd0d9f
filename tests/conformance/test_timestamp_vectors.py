"""Message-log containers of the reference: timestamps, signer certificates and their members.

Each container of ``archives/message-archive-1.zip`` (2023) holds ``META-INF/timestamp.tst``,
an RFC 3161 token whose message imprint is the SHA-512 of ``ts-hashchainresult.xml`` (the
batch's hash-chain root, as ``META-INF/ASiCManifest.xml`` declares), and in ``signatures.xml``
the signer's certificate with its OCSP response. The V3 global configuration of the vectors
(2024) approves the CA (``X-Road Test CA CN``, FiVRK profile, OCSP responder listed) and the
TSA (``X-Road Test TSA CN``) that made them, so the whole chain of evidence is checked against
real reference data: token signature by the approved TSA, imprint, signer path, OCSP at its
time (and stale today), and the member the FiVRK profile reads from the certificate.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.x509 import ocsp as cocsp

from tests import vectors
from tests.conformance.test_ocsp_vectors import signer_and_ocsp, trust_for
from vdx.crypto import cert_profile, certs, timestamp
from vdx.errors import Code, XRoadError

TODAY = datetime(2026, 1, 1, tzinfo=UTC)
ARCHIVE = "message-archive-1.zip"


def _containers(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(n, archive.read(n)) for n in archive.namelist() if n.endswith(".asice")]


def _verdict(container: bytes, vectors_dir: Path) -> tuple[object, ...]:
    trust = trust_for(vectors_dir, "V3")
    with zipfile.ZipFile(io.BytesIO(container)) as asic:
        token = asic.read("META-INF/timestamp.tst")
        hash_chain_result = asic.read("ts-hashchainresult.xml")
    stamp = timestamp.verify_timestamp(token, data=hash_chain_result, trust=trust)
    cert, ocsp_der = signer_and_ocsp(container)
    then = cocsp.load_der_ocsp_response(ocsp_der).this_update_utc + timedelta(minutes=1)
    result = certs.validate_certificate(cert, "sign", trust, ocsp_der, then)
    try:
        certs.validate_certificate(cert, "sign", trust, ocsp_der, TODAY)
    except XRoadError as error:
        today = str(error.code)
    else:
        today = "accepted"
    member = cert_profile.profile_for(result.ca).member_of(cert)
    return (
        stamp.tsa_cert.subject.rfc4514_string(),
        stamp.hash_name,
        stamp.gen_time.date().isoformat(),
        result.ocsp.status if result.ocsp else None,
        today,
        str(member),
    )


@pytest.mark.vectors
def test_archived_containers_verify_against_the_v3_configuration(
    vectors_dir: Path, conformance: vectors.ConformanceLedger
) -> None:
    path = vectors_dir / "archives" / ARCHIVE
    containers = _containers(path)
    assert len(containers) == 20
    want = (
        "CN=X-Road Test TSA CN,OU=X-Road Test TSA OU,O=X-Road Test,C=FI",
        "sha512",
        "2023-10-23",
        "good",
        Code.INCORRECT_VALIDATION_INFO,
        "MEMBER:CS/GOV/0245437-2",
    )
    failures = {}
    for name, container in containers:
        try:
            got: tuple[object, ...] = _verdict(container, vectors_dir)
        except XRoadError as error:
            got = (error.fault_code, error.message)
        if got != want:
            failures[name] = got
    conformance.record(path, agrees=not failures, detail=f"{failures}")
    assert failures == {}


@pytest.mark.vectors
def test_archived_token_is_refused_for_other_data_and_other_configurations(
    vectors_dir: Path,
) -> None:
    [(_, container), *_] = _containers(vectors_dir / "archives" / ARCHIVE)
    with zipfile.ZipFile(io.BytesIO(container)) as asic:
        token = asic.read("META-INF/timestamp.tst")
        result = asic.read("ts-hashchainresult.xml")
    v3 = trust_for(vectors_dir, "V3")
    with pytest.raises(XRoadError, match="imprint"):
        timestamp.verify_timestamp(token, data=result + b" ", trust=v3)
    for version in ("V4", "V5", "V6"):
        other = trust_for(vectors_dir, version)
        with pytest.raises(XRoadError, match="not an approved TSA") as caught:
            timestamp.verify_timestamp(token, data=result, trust=other)
        assert caught.value.code == Code.TIMESTAMP_VALIDATION
