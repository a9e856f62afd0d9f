"""Reference evidence fully verified: signature, signer, OCSP, hash chains, time-stamp, TSA.

``archives/message-archive-0.zip`` (one container, 2023-10-23: batch signature over
``sig-hashchainresult.xml`` whose chain also names three attachments that were not archived,
and an ``xades:SignatureTimeStamp``) and ``archives/message-archive-1.zip`` (20 containers of
the same day, batch time-stamped: ``META-INF/timestamp.tst`` with ``ts-hashchain.xml``) were made
by a security server of instance ``CS`` whose CA (``X-Road Test CA CN``, FiVRK profile, OCSP
responder listed) and TSA (``X-Road Test TSA CN``) are approved by the V3 configuration of the
vectors (``globalconf/V3``, 2024). The reference's archive verifier accepts both archives, so
each container must verify fully with ``vdx asic verify --trust globalconf/V3``: that is the
verdict recorded for the archive files.

``asic/valid-signed-message*.asice`` were validated by the reference against configurations
the vectors do not hold, so here they must be refused, each for its precise reason (asserted
below). They are not recorded by these tests: the reference's own test for them
(``AsicContainerTest``) only loads them, and that verdict is recorded by
``test_asic_vectors``; no reference test states what a verifier says without their trust
anchors, so neither "agrees" nor "disagrees" would be a measured statement.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.x509 import ocsp as cocsp
from typer.testing import CliRunner

from tests import vectors
from vdx.cli import evidence as cli
from vdx.crypto import timestamp
from vdx.crypto.archive import verify_archive
from vdx.crypto.asic_verify import AsicVerdict, verify_container
from vdx.crypto.evidence import evidence_checkers
from vdx.crypto.trust import ApprovedCA, ApprovedTSA, TrustConfig
from vdx.crypto.xades_decode import decode_signature
from vdx.errors import Code, XRoadError
from vdx.globalconf.trust import load_trust_dir

TODAY = datetime(2026, 1, 1, tzinfo=UTC)
MEMBER = "MEMBER:CS/GOV/0245437-2"
TSA = "CN=X-Road Test TSA CN,OU=X-Road Test TSA OU,O=X-Road Test,C=FI"


def _containers(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(n, archive.read(n)) for n in archive.namelist() if n.endswith(".asice")]


def _verify(data: bytes, trust: TrustConfig) -> AsicVerdict:
    return verify_container(data, checkers=evidence_checkers(trust), now=TODAY)


def _summary(verdict: AsicVerdict) -> tuple[object, ...]:
    facts = dict(verdict.evidence)
    return (
        verdict.timestamp,
        facts["signer"],
        facts["approved CA"],
        facts["validated at"].endswith("(time-stamp)"),
        facts["OCSP"].startswith("good"),
        facts["TSA"],
    )


# archive -> (containers, time-stamp kind, the containers signed in a batch (hash chain))
ARCHIVES = {
    "message-archive-0.zip": (1, "signature", {"3a2a743f-56da-4085-b643-79e335341eb3-request-1"}),
    "message-archive-1.zip": (
        20,
        "batch",
        {
            "DBOxxqv2csKysKHNwRCrU4QV0EWkqSUY-response-h",
            "DBOxxqv2csKysKHNwRCrU4QV0EWkqSUY-response-i",
        },
    ),
}


@pytest.mark.vectors
@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_archived_containers_verify_fully_against_the_v3_configuration(
    vectors_dir: Path, conformance: vectors.ConformanceLedger, name: str
) -> None:
    count, stamp, batch_signed = ARCHIVES[name]
    path = vectors_dir / "archives" / name
    trust = load_trust_dir(vectors_dir / "globalconf" / "V3")
    containers = _containers(path)
    assert len(containers) == count
    failures: dict[str, object] = {}
    for container_name, data in containers:
        batch = container_name.removesuffix(".asice") in batch_signed
        want = (stamp, MEMBER, "X-Road Test CA CN", True, True, TSA, batch)
        try:
            verdict = _verify(data, trust)
            got: tuple[object, ...] = (*_summary(verdict), verdict.batch_signature)
        except XRoadError as error:
            got = (error.fault_code, error.message)
        if got != want:
            failures[container_name] = got
    conformance.record(path, agrees=not failures, detail=f"full verification: {failures}"[:500])
    assert failures == {}


@pytest.mark.vectors
def test_archive_1_with_every_container_fully_checked(vectors_dir: Path) -> None:
    trust = load_trust_dir(vectors_dir / "globalconf")  # V3..V6 merged: V3 approves them
    checkers = evidence_checkers(trust)
    verdict = verify_archive(
        (vectors_dir / "archives" / "message-archive-1.zip").read_bytes(),
        check_container=lambda data: verify_container(data, checkers=checkers, now=TODAY),
    )
    assert len(verdict.containers) == 20


@pytest.mark.vectors
def test_reference_evidence_is_refused_by_configurations_that_do_not_approve_it(
    vectors_dir: Path,
) -> None:
    [(_, data)] = _containers(vectors_dir / "archives" / "message-archive-0.zip")
    for version in ("V4", "V5", "V6"):
        with pytest.raises(XRoadError) as caught:
            _verify(data, load_trust_dir(vectors_dir / "globalconf" / version))
        assert caught.value.code == Code.CANNOT_CREATE_CERT_PATH


@pytest.mark.vectors
def test_attachments_container_of_2024_chains_to_a_same_named_ca_with_another_key(
    vectors_dir: Path,
) -> None:
    """Signed under ``CN=Test CA,O=Test``: V4 and V6 approve a CA of that name with another key
    (``InvalidCertPath``); V3 (``X-Road Test CA CN``) and V5 (``CN=Test CA,O=X-Road Test CA``)
    none of that name (``CannotCreateCertPath``)."""
    data = (vectors_dir / "asic" / "valid-signed-message-with-attachments.asice").read_bytes()
    for version, code in [
        ("V3", Code.CANNOT_CREATE_CERT_PATH),
        ("V4", Code.INVALID_CERT_PATH),
        ("V5", Code.CANNOT_CREATE_CERT_PATH),
        ("V6", Code.INVALID_CERT_PATH),
    ]:
        with pytest.raises(XRoadError) as caught:
            _verify(data, load_trust_dir(vectors_dir / "globalconf" / version))
        assert caught.value.code == code, version
        if code == Code.INVALID_CERT_PATH:
            assert "is not signed by its issuer" in caught.value.message


@pytest.mark.vectors
def test_container_of_2014_lacks_only_its_ocsp_responder(vectors_dir: Path) -> None:
    """``valid-signed-message.asice`` (2014): no vector configuration approves AdminCA1. Granting
    AdminCA1 (its certificate is in ``soap-queries/test.ocsp``) and the TSA that signed its
    signature time-stamp (``CN=timestamp1``, taken from the token for this test only), the
    signature, the time-stamp over the signature value (SHA-256) and the signer's path verify;
    what remains missing is the certificate of its OCSP responder ``CN=Ocsp Signer``."""
    data = (vectors_dir / "asic" / "valid-signed-message.asice").read_bytes()
    with pytest.raises(XRoadError) as caught:
        _verify(data, load_trust_dir(vectors_dir / "globalconf"))
    assert caught.value.code == Code.CANNOT_CREATE_CERT_PATH
    assert "AdminCA1" in caught.value.message
    ocsp_vector = (vectors_dir / "soap-queries" / "test.ocsp").read_bytes()
    admin_ca1 = cocsp.load_der_ocsp_response(ocsp_vector).certificates[0]
    with zipfile.ZipFile(io.BytesIO(data)) as asic:
        token = decode_signature(asic.read("META-INF/signatures.xml")).timestamp_token
    assert token is not None
    [tsa] = timestamp.embedded_tsa_certificates(token)
    granted = TrustConfig(
        cas=(ApprovedCA("AdminCA1", top_ca=admin_ca1),),
        tsas=(ApprovedTSA("timestamp1", "", tsa),),
    )
    with pytest.raises(XRoadError) as caught:
        _verify(data, granted)
    assert caught.value.code == Code.INCORRECT_VALIDATION_INFO
    assert caught.value.message == "OCSP responder certificate not found (CN=Ocsp Signer)"


runner = CliRunner()


@pytest.mark.vectors
def test_cli_verifies_an_archived_container_with_the_v3_folder(
    vectors_dir: Path, tmp_path: Path
) -> None:
    [(name, data), *_] = _containers(vectors_dir / "archives" / "message-archive-1.zip")
    file = tmp_path / name
    file.write_bytes(data)
    v3 = vectors_dir / "globalconf" / "V3"
    result = runner.invoke(cli.asic_app, ["verify", str(file), "--trust", str(v3)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "valid ASiC-E container: verified"
    assert f"  signer        {MEMBER}" in lines
    assert "  validated at  2023-10-23T12:17:28Z (time-stamp)" in lines
    assert f"  TSA           {TSA}" in lines
    other = runner.invoke(cli.asic_app, ["verify", str(file), "--trust", str(v3.parent / "V6")])
    assert other.exit_code == 1
    assert other.output.startswith("refused: CannotCreateCertPath")
    archive = vectors_dir / "archives" / "message-archive-0.zip"
    args = ["verify", str(archive), "--previous-digest", "-", "--containers", "--trust", str(v3)]
    result = runner.invoke(cli.archive_app, args)
    assert result.exit_code == 0, result.output
    assert "fully verified" in result.output
