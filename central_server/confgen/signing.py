"""Configuration-signing keys as seen by the generator: a certificate, an algorithm, ``sign``.

The generator only needs :class:`DirectorySigner`; a software key (this module) and, later, a
token key (``vdx.tokens``) both fit it. Signature algorithm identifiers are the XML Signature
URIs that pr-gconf §2.3 puts in ``Signature-algorithm-id``; the raw signature is PKCS#1 v1.5
for RSA and DER (r, s) for ECDSA, which is what ``openssl dgst -verify`` expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from vdx.globalconf import algorithms

_RSA = {
    "sha256": algorithms.RSA_SHA256,
    "sha384": algorithms.RSA_SHA384,
    "sha512": algorithms.RSA_SHA512,
}
_ECDSA = {
    "sha256": algorithms.ECDSA_SHA256,
    "sha384": algorithms.ECDSA_SHA384,
    "sha512": algorithms.ECDSA_SHA512,
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class DirectorySigner(Protocol):
    """What signs a configuration directory. ``sign`` may block (callers use a thread)."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def signature_algorithm_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def certificate_der(signer: DirectorySigner) -> bytes:
    return signer.certificate.public_bytes(Encoding.DER)


@dataclass(frozen=True, slots=True)
class SoftwareDirectorySigner:
    """A private key held in memory (loaded from PEM or generated in tests)."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    hash_name: str = "sha512"

    def __post_init__(self) -> None:
        if self.hash_name not in _HASHES:
            raise ValueError(f"Unsupported hash {self.hash_name!r} for configuration signing")
        spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if self.key.public_key().public_bytes(*spki) != self.certificate.public_key().public_bytes(
            *spki
        ):
            raise ValueError("The configuration-signing certificate is not for this key")

    @property
    def signature_algorithm_id(self) -> str:
        table = _RSA if isinstance(self.key, rsa.RSAPrivateKey) else _ECDSA
        return table[self.hash_name]

    def sign(self, data: bytes) -> bytes:
        digest = _HASHES[self.hash_name]()
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), digest)
        return self.key.sign(data, ec.ECDSA(digest))

    @classmethod
    def from_pem(
        cls,
        key_pem: bytes,
        certificate_pem: bytes,
        password: bytes | None = None,
        hash_name: str = "sha512",
    ) -> SoftwareDirectorySigner:
        """Bytes in (the composition root reads the files); RSA and EC keys only."""
        key = serialization.load_pem_private_key(key_pem, password=password)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("Configuration-signing key must be RSA or EC")
        return cls(key, x509.load_pem_x509_certificate(certificate_pem), hash_name)
