"""OCSP responses made by the reference implementation: parsed, verified, fresh then stale.

``soap-queries/test.ocsp`` and the OCSP part of ``transport/ocsp.request`` are EJBCA responses
from 2013, signed by the CA itself (``AdminCA1``, responder identified by key hash) and
carrying that CA's certificate. The certificates they are about are not among the vectors, so
they are verified by serial number under the embedded issuer: at their own thisUpdate they are
fresh and good; at a 2026 ``now`` they are stale (``IncorrectValidationInfo``), as the
reference's ``OcspVerifier`` would say with its default ocspFreshnessSeconds of 3600.

The ASiC containers embed the signer's certificate with its OCSP response in
``xades:RevocationValues``; the vectors lack the configuration that approved their CAs and
responders, so they serve as negative cases here. Full validation of the message-archive
containers against the V3 configuration (read by ``vdx.globalconf.trust.load_trust_dir``) is
in ``test_timestamp_vectors`` and ``test_evidence_vectors``.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import ocsp as cocsp

from tests import vectors
from vdx import xmlsafe
from vdx.crypto import certs, ocsp
from vdx.crypto.trust import ApprovedCA, TrustConfig
from vdx.errors import Code, XRoadError
from vdx.globalconf.trust import load_trust_dir
from vdx.message import transport

TODAY = datetime(2026, 1, 1, tzinfo=UTC)
ADMIN_CA1_KEY_HASH = "772d892e03b6fdf8d26539313522d0461ae8d209"

# file -> (serial number, thisUpdate) the reference response states
EXPECTED = {
    "soap-queries/test.ocsp": (4494400857428571204, datetime(2013, 2, 7, 9, 2, 33, tzinfo=UTC)),
    "transport/ocsp.request": (1250088567489427747, datetime(2013, 2, 6, 7, 56, 9, tzinfo=UTC)),
}


def _response_der(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".ocsp":
        return data
    decoded = transport.decode(
        data, "multipart/mixed; charset=UTF-8; boundary=xtop1357783211hcn1yiro"
    )
    [der] = decoded.ocsp_responses
    return der


def _verdicts(der: bytes) -> tuple[object, ...]:
    [info] = ocsp.describe(der)
    issuer = cocsp.load_der_ocsp_response(der).certificates[0]
    fresh = ocsp.verify_response(
        der,
        issuer=issuer,
        serial_number=info.serial_number,
        now=info.this_update + timedelta(minutes=1),
    )
    try:
        ocsp.verify_response(der, issuer=issuer, serial_number=info.serial_number, now=TODAY)
    except XRoadError as error:
        today = str(error.code)
    else:
        today = "accepted"
    return (fresh.serial_number, fresh.this_update, fresh.status, fresh.responder, today)


@pytest.mark.vectors
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_ocsp_response_is_fresh_at_its_time_and_stale_today(
    vectors_dir: Path, conformance: vectors.ConformanceLedger, name: str
) -> None:
    path = vectors_dir / name
    der = _response_der(path)
    assert len(der) == 1307
    serial, this_update = EXPECTED[name]
    want = (
        serial,
        this_update,
        "good",
        f"keyhash:{ADMIN_CA1_KEY_HASH}",
        Code.INCORRECT_VALIDATION_INFO,
    )
    try:
        got: tuple[object, ...] = _verdicts(der)
    except XRoadError as error:
        got = (error.fault_code,)
    conformance.record(path, agrees=got == want, detail=f"got {got}, want {want}")
    assert got == want


@pytest.mark.vectors
def test_reference_ocsp_response_for_another_serial_does_not_apply(vectors_dir: Path) -> None:
    der = (vectors_dir / "soap-queries" / "test.ocsp").read_bytes()
    issuer = cocsp.load_der_ocsp_response(der).certificates[0]
    with pytest.raises(XRoadError, match="does not apply"):
        ocsp.verify_response(der, issuer=issuer, serial_number=1, now=TODAY)


def _cert(text: str | None) -> x509.Certificate:
    # V4 and later publish the certificate as base64 of PEM, V3 as base64 of DER.
    return certs.load_certificate(base64.b64decode("".join((text or "").split())))


def trust_for(vectors_dir: Path, version: str) -> TrustConfig:
    """The trust of a vector configuration version, read by the production reader."""
    return load_trust_dir(vectors_dir / "globalconf" / version)


def signer_and_ocsp(container: bytes) -> tuple[x509.Certificate, bytes]:
    """The signer's certificate and its OCSP response from an ASiC-E signatures.xml."""
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        root = xmlsafe.parse(archive.read("META-INF/signatures.xml"))
    cert_text = next(root.iter("{*}X509Certificate")).text
    ocsp_text = next(root.iter("{*}EncapsulatedOCSPValue")).text or ""
    return _cert(cert_text), base64.b64decode("".join(ocsp_text.split()))


@pytest.mark.vectors
def test_same_named_ca_with_another_key_is_refused(vectors_dir: Path) -> None:
    """``valid-signed-message-with-attachments.asice`` (2024-11) names issuer ``CN=Test CA,O=Test``;
    the V4 (2024-05) and V6 (2025-11) configurations approve CAs of that name but with other
    keys, so the path is invalid: a name alone earns no trust. (Not recorded: the reference
    validated this container against a configuration the vectors do not include.)"""
    path = vectors_dir / "asic" / "valid-signed-message-with-attachments.asice"
    cert, ocsp_der = signer_and_ocsp(path.read_bytes())
    then = cocsp.load_der_ocsp_response(ocsp_der).this_update_utc
    for version in ("V4", "V6"):
        trust = trust_for(vectors_dir, version)
        with pytest.raises(XRoadError) as caught:
            certs.validate_certificate(cert, "sign", trust, ocsp_der, then)
        assert caught.value.code == Code.INVALID_CERT_PATH


@pytest.mark.vectors
def test_older_container_names_a_responder_the_vectors_do_not_hold(vectors_dir: Path) -> None:
    """``valid-signed-message.asice`` (2014): the signer chains to AdminCA1 (sha1WithRSA), but
    its OCSP responder ``Ocsp Signer`` is neither embedded nor in any vector configuration, so
    the response cannot be verified here (not recorded)."""
    path = vectors_dir / "asic" / "valid-signed-message.asice"
    cert, ocsp_der = signer_and_ocsp(path.read_bytes())
    [info] = ocsp.describe(ocsp_der)
    assert info.serial_number == cert.serial_number
    assert info.responder == "CN=Ocsp Signer"
    response = cocsp.load_der_ocsp_response(ocsp_der)
    trust = TrustConfig(cas=(ApprovedCA("AdminCA1", top_ca=_admin_ca1(vectors_dir)),))
    with pytest.raises(XRoadError, match="responder certificate not found"):
        certs.validate_certificate(cert, "sign", trust, ocsp_der, response.this_update_utc)


def _admin_ca1(vectors_dir: Path) -> x509.Certificate:
    der = (vectors_dir / "soap-queries" / "test.ocsp").read_bytes()
    return cocsp.load_der_ocsp_response(der).certificates[0]
