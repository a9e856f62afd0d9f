"""Real X-Road signatures: the ASiC containers' signatures verify, the others decode.

- ``asic/valid-signed-message*.asice``: ``META-INF/signatures.xml`` must verify against the
  container's ``message.xml`` and attachments (the reference's ``AsicContainerVerifierTest``
  treats both containers as valid). Certificates and OCSP are not validated here (expired test
  PKI); the signature value, references and signing-certificate binding are.
- ``soap-queries/signature.xml``: the same signature as in ``valid-signed-message.asice``, but the
  wrapper element was re-indented and lost its ``xmlns:xsi`` declaration. Inclusive c14n renders
  inherited namespaces, so its SignedInfo octets changed: it decodes, but its value no longer
  verifies (reference: used only as a decoding fixture).
- ``transport/normal.request``: the X-Road 5 format (a ``ds:Manifest`` reference); decode-only.
"""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests import vectors
from vdx.crypto.xades_decode import decode_signature
from vdx.crypto.xades_verify import verify_signature
from vdx.errors import Code, XRoadError
from vdx.message import transport

CONTAINERS = {
    "valid-signed-message.asice": ["/message.xml"],
    "valid-signed-message-with-attachments.asice": [
        "/message.xml",
        "/attachment1",
        "/attachment2",
    ],
}


def _container(path: Path) -> tuple[bytes, dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        data = {
            f"/{n}": archive.read(n)
            for n in names
            if n == "message.xml" or n.startswith("attachment")
        }
        return archive.read("META-INF/signatures.xml"), data


@pytest.mark.vectors
@pytest.mark.parametrize("name", list(CONTAINERS))
def test_container_signature_verifies(
    vectors_dir: Path, conformance: vectors.ConformanceLedger, name: str
) -> None:
    path = vectors_dir / "asic" / name
    signature, data = _container(path)
    try:
        verified = verify_signature(signature, data)
    except XRoadError as error:
        conformance.record(path, agrees=False, detail=f"signature: {error.fault_code}")
        raise
    conformance.record(path, agrees=True)
    assert sorted(data) == sorted(CONTAINERS[name])
    assert len(verified.ocsp_responses) == 1
    assert verified.ocsp_responses[0][:2] == b"\x30\x82"
    assert verified.timestamp_token is not None
    assert verified.timestamp_token[:1] == b"\x30"


@pytest.mark.vectors
def test_old_container_signature_fields(vectors_dir: Path) -> None:
    signature, data = _container(vectors_dir / "asic" / "valid-signed-message.asice")
    verified = verify_signature(signature, data)
    assert verified.signing_time == datetime(2014, 7, 1, 12, 7, 56, 53000, tzinfo=UTC)
    assert verified.signer_certificate.serial_number == 6620098923164181163
    # X-Road 6.0 wrote the token straight into SignatureTimeStamp (no EncapsulatedTimeStamp).
    assert verified.timestamp_token is not None
    assert len(verified.timestamp_token) == 1272


@pytest.mark.vectors
@pytest.mark.parametrize(
    ("name", "hash_name"),
    [
        ("valid-signed-message.asice", "sha256"),
        ("valid-signed-message-with-attachments.asice", "sha512"),
    ],
)
def test_timestamp_imprints_the_raw_signature_value(
    vectors_dir: Path, name: str, hash_name: str
) -> None:
    # Not the c14n ds:SignatureValue element of XAdES §7.3: the decoded value octets.
    signature, _ = _container(vectors_dir / "asic" / name)
    decoded = decode_signature(signature)
    assert decoded.timestamp_token is not None
    assert hashlib.new(hash_name, decoded.signature_value).digest() in decoded.timestamp_token


@pytest.mark.vectors
def test_tampered_container_message_is_detected(vectors_dir: Path) -> None:
    signature, data = _container(
        vectors_dir / "asic" / "valid-signed-message-with-attachments.asice"
    )
    data["/attachment2"] += b" "
    with pytest.raises(XRoadError) as caught:
        verify_signature(signature, data)
    assert caught.value.code == Code.INVALID_REFERENCE


@pytest.mark.vectors
def test_soap_queries_signature_decodes(
    vectors_dir: Path, conformance: vectors.ConformanceLedger
) -> None:
    path = vectors_dir / "soap-queries" / "signature.xml"
    decoded = decode_signature(path.read_bytes())
    fields_ok = (
        [r.uri for r in decoded.references] == ["/message.xml", "#signed-properties"]
        and decoded.signing_time == datetime(2014, 7, 1, 12, 7, 56, 53000, tzinfo=UTC)
        and len(decoded.ocsp_responses) == 1
        and len(decoded.certificates) == 1
        and decoded.timestamp_token is not None
    )
    conformance.record(path, agrees=fields_ok, detail="decoded fields differ")
    assert fields_ok


@pytest.mark.vectors
def test_soap_queries_signature_lost_its_namespace_context(vectors_dir: Path) -> None:
    data = (vectors_dir / "soap-queries" / "signature.xml").read_bytes()
    _, parts = _container(vectors_dir / "asic" / "valid-signed-message.asice")
    with pytest.raises(XRoadError) as caught:
        verify_signature(data, parts)
    assert caught.value.code == Code.INVALID_SIGNATURE_VALUE
    restored = data.replace(
        b'xmlns:xades="http://uri.etsi.org/01903/v1.3.2#">',
        b'xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        1,
    )
    verify_signature(restored, parts)


@pytest.mark.vectors
def test_transport_signature_part_decodes(
    vectors_dir: Path, conformance: vectors.ConformanceLedger
) -> None:
    path = vectors_dir / "transport" / "normal.request"
    raw = path.read_bytes()
    boundary = raw.split(b"\n", 1)[0][2:].decode("ascii").strip()
    message = transport.decode(raw, f"multipart/mixed; charset=UTF-8; boundary={boundary}")
    assert message.signature is not None
    decoded = decode_signature(message.signature)
    ok = len(decoded.ocsp_responses) == 1 and decoded.references[0].uri == "#sig-manifest-1"
    conformance.record(path, agrees=ok, detail="signature part does not decode as expected")
    assert ok
    with pytest.raises(XRoadError) as caught:  # X-Road 5 manifests are refused, not trusted
        verify_signature(decoded, {})
    assert caught.value.code in {Code.MALFORMED_SIGNATURE, Code.INVALID_SIGNATURE_VALUE}
