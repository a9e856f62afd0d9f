"""PKCS#10 requests signed by token keys: structure, subjects, and OpenSSL's verdict."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from asn1crypto import csr as asn1_csr
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from tests.unit.tokens.helpers import issue
from tests.unit.tokens.softhsm import SoftHsm
from trust_services import profiles
from vdx.crypto.xades_create import PrivateKeySigner
from vdx.identifiers import ClientId, SecurityServerId
from vdx.tokens import (
    KeyAlgorithm,
    KeyUsage,
    SignerCode,
    Token,
    TokenError,
    authentication_subject,
    build_csr,
    csr_pem,
    open_pkcs11_token,
    signing_subject,
)

MEMBER = ClientId("VN", "GOV", "1234")
SERVER = SecurityServerId(MEMBER, "ss1")
CASES = [
    (KeyAlgorithm.RSA2048, "sha256", SignatureAlgorithmOID.RSA_WITH_SHA256),
    (KeyAlgorithm.RSA3072, "sha512", SignatureAlgorithmOID.RSA_WITH_SHA512),
    (KeyAlgorithm.EC_P256, "sha256", SignatureAlgorithmOID.ECDSA_WITH_SHA256),
    (KeyAlgorithm.EC_P256, "sha384", SignatureAlgorithmOID.ECDSA_WITH_SHA384),
]


def openssl_verify(csr: x509.CertificateSigningRequest) -> None:
    """``openssl req -verify`` must accept the request (skipped without openssl)."""
    tool = shutil.which("openssl")
    if tool is None:
        pytest.skip("openssl is not installed")
    result = subprocess.run(  # noqa: S603 - fixed arguments, a test tool
        [tool, "req", "-verify", "-noout"],
        input=csr_pem(csr),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"verify OK" in result.stdout + result.stderr


def check_request(
    csr: x509.CertificateSigningRequest,
    subject: x509.Name,
    public_key_der: bytes,
    oid: x509.ObjectIdentifier,
) -> None:
    assert csr.is_signature_valid
    assert csr.subject == subject
    assert csr.signature_algorithm_oid == oid
    spki = csr.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spki == public_key_der
    algorithm = asn1_csr.CertificationRequest.load(csr.public_bytes(serialization.Encoding.DER))[
        "signature_algorithm"
    ]
    if algorithm.signature_algo == "rsassa_pkcs1v15":
        assert algorithm["parameters"].dump() == b"\x05\x00"  # NULL (RFC 4055 §5)
    else:
        assert not algorithm["parameters"].native  # absent (RFC 5758 §3.2)
    openssl_verify(csr)


@pytest.mark.parametrize(("algorithm", "hash_name", "oid"), CASES)
def test_soft_token_csr(
    soft_token: Token, algorithm: KeyAlgorithm, hash_name: str, oid: x509.ObjectIdentifier
) -> None:
    key = soft_token.generate_key("sign", KeyUsage.SIGNING, algorithm)
    subject = signing_subject(MEMBER)
    csr = soft_token.create_csr(key.key_id, subject, hash_name)
    check_request(csr, subject, key.public_key_der, oid)
    profiles.check_csr(csr, profiles.DEFAULT_PROFILES["sign"])


@pytest.mark.parametrize(("algorithm", "hash_name", "oid"), CASES[::2])
def test_pkcs11_token_csr(
    softhsm: SoftHsm,
    tmp_path: Path,
    algorithm: KeyAlgorithm,
    hash_name: str,
    oid: x509.ObjectIdentifier,
) -> None:
    token = open_pkcs11_token(softhsm.library, softhsm.label, tmp_path / "meta.json")
    token.login(softhsm.pin)
    try:
        key = token.generate_key("auth", KeyUsage.AUTHENTICATION, algorithm)
        subject = authentication_subject(SERVER)
        csr = token.create_csr(key.key_id, subject, hash_name)
        check_request(csr, subject, key.public_key_der, oid)
        profiles.check_csr(csr, profiles.DEFAULT_PROFILES["auth"])
        token.import_certificate(issue(csr, "auth"))
        token.delete_key(key.key_id)
    finally:
        token.logout()


def test_subjects_follow_the_dev_ca_profiles() -> None:
    sign = signing_subject(MEMBER)
    assert [(a.oid, a.value) for a in sign] == [
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, "GOV"),
        (NameOID.COMMON_NAME, "1234"),
    ]
    auth = authentication_subject(SERVER)
    assert profiles.subject_fields(auth) == {
        "C": "VN",
        "O": "GOV",
        "serialNumber": "1234",
        "CN": "ss1",
    }
    with pytest.raises(ValueError, match="subsystems"):
        signing_subject(ClientId("VN", "GOV", "1234", "sub"))
    with pytest.raises(ValueError, match="two letters"):
        signing_subject(ClientId("VDX", "GOV", "1234"))
    with pytest.raises(ValueError, match="two letters"):
        authentication_subject(SecurityServerId(ClientId("V1", "GOV", "1"), "ss"))


def test_a_key_that_does_not_match_is_caught() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    spki = other.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(TokenError) as excinfo:
        build_csr(signing_subject(MEMBER), spki, PrivateKeySigner(key, "sha256"))
    assert excinfo.value.signer_code is SignerCode.CSR_FAILED


def test_same_request_as_cryptography_would_build() -> None:
    """An in-memory key gives the request cryptography builds itself (ECDSA aside, whose
    signature is randomised): the TBS part is byte-identical."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = signing_subject(MEMBER)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ours = build_csr(subject, spki, PrivateKeySigner(key, "sha256"))
    theirs = (
        x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    )
    assert ours.tbs_certrequest_bytes == theirs.tbs_certrequest_bytes
