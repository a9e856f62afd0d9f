"""Signed directory: produce -> parse -> verify, and every way verification must refuse."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.unit.globalconf.conftest import EXPIRES, FILES, NOW, SHARED, SigningKey
from vdx.errors import Code, XRoadError
from vdx.globalconf import parse_directory, verify_directory, verify_part

OPENSSL = shutil.which("openssl")


def _code(excinfo: pytest.ExceptionInfo[XRoadError]) -> str:
    return str(excinfo.value.code)


def test_round_trip_rsa(rsa_key: SigningKey) -> None:
    produced = rsa_key.produce()
    directory = verify_directory(produced.body, produced.content_type, rsa_key.anchor(), NOW, FILES)
    assert directory.expire_date == EXPIRES
    assert directory.version == 5
    assert [p.content_identifier for p in directory.parts] == [
        "SHARED-PARAMETERS",
        "PRIVATE-PARAMETERS",
    ]
    assert directory.instances == ("DEV",)
    assert directory.part("SHARED-PARAMETERS") is not None


def test_round_trip_ecdsa_stored_form(ec_key: SigningKey) -> None:
    stored = ec_key.produce().stored()
    assert stored.startswith(b"Content-Type: multipart/related; charset=UTF-8; boundary=")
    verify_directory(stored, None, ec_key.anchor(), NOW, FILES)


def test_valid_until_the_expiry_instant_then_expired(rsa_key: SigningKey) -> None:
    stored = rsa_key.produce().stored()
    verify_directory(stored, None, rsa_key.anchor(), EXPIRES)
    with pytest.raises(XRoadError) as excinfo:
        verify_directory(stored, None, rsa_key.anchor(), EXPIRES + timedelta(seconds=1))
    assert _code(excinfo) == Code.OUTDATED_GLOBALCONF
    assert "expired" in excinfo.value.message


def test_unknown_signer_is_refused(rsa_key: SigningKey, other_rsa_key: SigningKey) -> None:
    with pytest.raises(XRoadError) as excinfo:
        verify_directory(rsa_key.produce().stored(), None, other_rsa_key.anchor(), NOW)
    assert _code(excinfo) == Code.CERT_VALIDATION


def test_tampered_directory_is_refused(rsa_key: SigningKey) -> None:
    stored = rsa_key.produce().stored()
    tampered = stored.replace(b"instance='DEV'", b"instance='DEW'", 1)
    with pytest.raises(XRoadError) as excinfo:
        verify_directory(tampered, None, rsa_key.anchor(), NOW)
    assert _code(excinfo) == Code.INVALID_SIGNATURE_VALUE


def test_tampered_signature_is_refused(rsa_key: SigningKey) -> None:
    produced = rsa_key.produce()
    directory = parse_directory(produced.body, produced.content_type)
    encoded = base64.b64encode(directory.signature)
    flipped = base64.b64encode(bytes([directory.signature[0] ^ 1]) + directory.signature[1:])
    with pytest.raises(XRoadError) as excinfo:
        verify_directory(
            produced.body.replace(encoded, flipped), produced.content_type, rsa_key.anchor(), NOW
        )
    assert _code(excinfo) == Code.INVALID_SIGNATURE_VALUE


def test_changed_or_missing_file_is_refused(rsa_key: SigningKey) -> None:
    stored = rsa_key.produce().stored()
    changed = {**FILES, SHARED.content_location: b"<s />"}
    with pytest.raises(XRoadError) as excinfo:
        verify_directory(stored, None, rsa_key.anchor(), NOW, changed)
    assert _code(excinfo) == Code.IO_ERROR
    with pytest.raises(XRoadError) as excinfo:
        verify_directory(stored, None, rsa_key.anchor(), NOW, {})
    assert _code(excinfo) == Code.IO_ERROR
    directory = parse_directory(stored)
    verify_part(directory.parts[0], SHARED.data)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b.replace(b"Expire-date", b"Expiry-date"), "Expire-date"),
        (lambda b: b.replace(b"Version: 5", b"Version: five"), "Version"),
        (lambda b: b.replace(b"Content-location", b"Content-place", 1), "Content-location"),
        (
            lambda b: b.replace(
                b"Content-transfer-encoding: base64", b"Content-transfer-encoding: 8bit", 1
            ),
            "base64",
        ),
        (lambda b: b.replace(b"multipart/mixed", b"text/plain"), "multipart/mixed"),
        (
            lambda b: b.replace(b"Signature-Algorithm-Id", b"Signature-Algo"),
            "Signature-algorithm-id",
        ),
        (lambda b: b.replace(b"Content-Type: multipart/related", b"X: y", 1), "Content-Type"),
    ],
)
def test_malformed_directory(rsa_key: SigningKey, mutate: object, fragment: str) -> None:
    assert callable(mutate)
    with pytest.raises(XRoadError) as excinfo:
        parse_directory(mutate(rsa_key.produce().stored()))
    assert _code(excinfo) == Code.MALFORMED_GLOBALCONF
    assert fragment in excinfo.value.message


def test_extra_outer_part_is_malformed(rsa_key: SigningKey) -> None:
    produced = rsa_key.produce()
    outer = produced.content_type.rsplit("=", 1)[1]
    body = produced.body.replace(
        f"--{outer}--".encode(), f"--{outer}\r\n\r\nextra\r\n--{outer}--".encode()
    )
    with pytest.raises(XRoadError) as excinfo:
        parse_directory(body, produced.content_type)
    assert "3 parts" in excinfo.value.message


def test_unsupported_signature_algorithm(rsa_key: SigningKey) -> None:
    stored = rsa_key.produce().stored().replace(b"rsa-sha512", b"rsa-md5")
    with pytest.raises(XRoadError) as excinfo:
        verify_directory(stored, None, rsa_key.anchor(), NOW)
    assert _code(excinfo) == Code.UNSUPPORTED_ALGORITHM


def test_stored_form_with_dashes_in_the_boundary(rsa_key: SigningKey) -> None:
    produced = rsa_key.produce()
    outer = produced.content_type.rsplit("=", 1)[1]
    stored = produced.stored().replace(outer.encode(), b"----=_Part_1")
    assert parse_directory(stored).version == 5


def test_oversized_input_is_refused() -> None:
    with pytest.raises(XRoadError):
        parse_directory(b"x" * 100, "multipart/related; boundary=a", max_bytes=10)


@pytest.mark.skipif(OPENSSL is None, reason="openssl not installed")
def test_openssl_dgst_accepts_our_signature(rsa_key: SigningKey, tmp_path: Path) -> None:
    """The user check: only the anchor's certificate and openssl are needed to verify."""
    assert OPENSSL is not None
    produced = rsa_key.produce()
    directory = parse_directory(produced.body, produced.content_type)
    (tmp_path / "data").write_bytes(directory.signed_data)
    (tmp_path / "sig").write_bytes(directory.signature)
    (tmp_path / "cert.pem").write_bytes(
        rsa_key.anchor().certificates()[0].public_bytes(Encoding.PEM)
    )
    run = [OPENSSL, "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem"]
    subprocess.run(run, cwd=tmp_path, check=True, capture_output=True, timeout=30)  # noqa: S603
    verify = [OPENSSL, "dgst", "-sha512", "-verify", "pub.pem", "-signature", "sig", "data"]
    result = subprocess.run(verify, cwd=tmp_path, capture_output=True, timeout=30, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert b"Verified OK" in result.stdout
    (tmp_path / "data").write_bytes(directory.signed_data + b" ")
    result = subprocess.run(verify, cwd=tmp_path, capture_output=True, timeout=30, check=False)  # noqa: S603
    assert result.returncode != 0
