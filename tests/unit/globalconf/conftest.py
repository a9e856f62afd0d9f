"""A throw-away configuration-signing key and certificate, made once per session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from vdx.globalconf import (
    AnchorSource,
    ConfigurationAnchor,
    ConfigurationFile,
    ProducedDirectory,
    produce_directory,
)
from vdx.globalconf.algorithms import ECDSA_SHA256, RSA_SHA512

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=10)
SHARED = ConfigurationFile("SHARED-PARAMETERS", "DEV", "/V5/20260301/shared-params.xml", b"<s/>")
PRIVATE = ConfigurationFile("PRIVATE-PARAMETERS", "DEV", "/V5/20260301/private-params.xml", b"<p/>")
FILES = {f.content_location: f.data for f in (SHARED, PRIVATE)}


@dataclass(frozen=True)
class SigningKey:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    algorithm: str

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(Encoding.DER)

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA512())
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def anchor(self, instance: str = "DEV") -> ConfigurationAnchor:
        return ConfigurationAnchor(instance, (AnchorSource("http://cs/internalconf", (self.der,)),))

    def produce(self, expire_date: datetime = EXPIRES) -> ProducedDirectory:
        return produce_directory(
            [SHARED, PRIVATE],
            expire_date=expire_date,
            sign=self.sign,
            signature_algorithm=self.algorithm,
            certificate=self.cert,
            version=5,
        )


def _make(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, algorithm: str) -> SigningKey:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "internalSigningKey")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return SigningKey(key, cert, algorithm)


@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return _make(rsa.generate_private_key(public_exponent=65537, key_size=2048), RSA_SHA512)


@pytest.fixture(scope="session")
def other_rsa_key() -> SigningKey:
    return _make(rsa.generate_private_key(public_exponent=65537, key_size=2048), RSA_SHA512)


@pytest.fixture(scope="session")
def ec_key() -> SigningKey:
    return _make(ec.generate_private_key(ec.SECP256R1()), ECDSA_SHA256)
