"""A token key as a configuration ``DirectorySigner``: the self-signed certificate made with
asn1crypto and signed by the token, and directory signatures that openssl-style verification
(PKCS#1 v1.5 / DER ECDSA over the data) accepts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from central_server.conf_keys import TokenDirectorySigner, self_signed_certificate
from central_server.conf_keys.model import subject_for
from vdx.globalconf import algorithms
from vdx.tokens import KeyAlgorithm, KeyUsage, Token, create_soft_token

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
FAST_SCRYPT = 2**14


@pytest.fixture
def token(tmp_path: Path) -> Token:
    created = create_soft_token(tmp_path, "conf-signing", "1234", scrypt_n=FAST_SCRYPT)
    created.login("1234")
    return created


@pytest.mark.parametrize(
    ("algorithm", "uri"),
    [
        (KeyAlgorithm.RSA2048, algorithms.RSA_SHA512),
        (KeyAlgorithm.EC_P256, algorithms.ECDSA_SHA512),
    ],
)
def test_token_key_signs_certificate_and_directory(
    token: Token, algorithm: KeyAlgorithm, uri: str
) -> None:
    record = token.generate_key("conf", KeyUsage.SIGNING, algorithm)
    raw = token.signer(record.key_id, "sha512")
    cert = self_signed_certificate(subject_for("VN", "internal"), record.public_key_der, raw, NOW)
    cert.verify_directly_issued_by(cert)  # raises when the token's signature is wrong
    assert cert.subject == cert.issuer
    assert cert.not_valid_before_utc < NOW < cert.not_valid_after_utc
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert basic.value.ca is False

    signer = TokenDirectorySigner(raw, cert)
    assert signer.signature_algorithm_id == uri
    data = b"--boundary\r\nExpire-date: 2026-11-25T12:10:00Z\r\n"
    signature = signer.sign(data)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA512())
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(signature, data, ec.ECDSA(hashes.SHA512()))  # DER, as openssl dgst wants


def test_wrong_public_key_refused(token: Token) -> None:
    one = token.generate_key("a", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    other = token.generate_key("b", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    with pytest.raises(ValueError, match="does not match"):
        self_signed_certificate(
            subject_for("VN", "internal"),
            one.public_key_der,
            token.signer(other.key_id, "sha512"),
            NOW,
        )


_PKCS11_SCRIPT = """
import datetime as dt, sys
from pathlib import Path
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from central_server.conf_keys import TokenDirectorySigner, self_signed_certificate
from central_server.conf_keys.model import subject_for
from vdx.tokens import KeyAlgorithm, KeyUsage, open_pkcs11_token
folder = Path(sys.argv[1])
token = open_pkcs11_token(sys.argv[2], sys.argv[3], folder / "meta.json")
token.login(sys.argv[4])
now = dt.datetime.now(dt.UTC)
for algorithm in (KeyAlgorithm.RSA2048, KeyAlgorithm.EC_P256):
    record = token.generate_key("conf-" + algorithm, KeyUsage.SIGNING, algorithm)
    raw = token.signer(record.key_id, "sha512")
    cert = self_signed_certificate(subject_for("VN", "external"), record.public_key_der, raw, now)
    cert.verify_directly_issued_by(cert)
    signature = TokenDirectorySigner(raw, cert).sign(b"directory")
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, b"directory", padding.PKCS1v15(), hashes.SHA512())
    else:
        key.verify(signature, b"directory", ec.ECDSA(hashes.SHA512()))
print("pkcs11 ok")
"""


def test_pkcs11_token_key_signs(tmp_path: Path) -> None:
    """The same adapter over a PKCS#11 key (SoftHSM2), in a child process: SoftHSM2 reads its
    configuration once per process, and the token tests own this process's."""
    import os  # noqa: PLC0415 - only this test runs a child process
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from tests.unit.tokens import softhsm as hsm  # noqa: PLC0415
    from tests.vectors import UNDER_CI  # noqa: PLC0415

    reason = hsm.unavailable()
    if reason is not None:
        if UNDER_CI:
            pytest.fail(f"CI must run the PKCS#11 tests: {reason}", pytrace=False)
        pytest.skip(reason)
    config = hsm.init_token(tmp_path)
    command = [sys.executable, "-c", _PKCS11_SCRIPT, str(tmp_path), str(hsm.LIBRARY)]
    command += [hsm.LABEL, hsm.USER_PIN]
    result = subprocess.run(  # noqa: S603 - our interpreter and a fixed script
        command,
        env={**os.environ, "SOFTHSM2_CONF": str(config)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "pkcs11 ok" in result.stdout
