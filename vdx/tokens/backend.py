"""What a token kind provides (software keystore, PKCS#11 device) and the signer over it.

A backend holds private keys and performs the private-key operation; everything else (labels,
usages, certificates, states) lives in :mod:`vdx.tokens.token`, shared by every backend.
Backends block (scrypt, file writes, device calls): callers on an event loop run them in a
thread (ARCHITECTURE rule 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from vdx.crypto import xades_model
from vdx.tokens.errors import SignerCode, token_error
from vdx.tokens.model import KeyAlgorithm

HASH_NAMES = ("sha256", "sha384", "sha512")

# XML-DSig signature method URIs (RFC 6931 §2.3.2-2.3.3; §2.3.6 for ECDSA).
_METHODS: dict[tuple[bool, str], str] = {
    (True, "sha256"): xades_model.RSA_SHA256,
    (True, "sha384"): xades_model.RSA_SHA384,
    (True, "sha512"): xades_model.RSA_SHA512,
    (False, "sha256"): xades_model.ECDSA_SHA256,
    (False, "sha384"): xades_model.ECDSA_SHA384,
    (False, "sha512"): xades_model.ECDSA_SHA512,
}


def signature_method_uri(algorithm: KeyAlgorithm, hash_name: str) -> str:
    method = _METHODS.get((algorithm.is_rsa, hash_name))
    if method is None:
        raise token_error(
            SignerCode.UNSUPPORTED_SIGN_ALGORITHM, f"no signature method for {hash_name!r}"
        )
    return method


class TokenBackend(Protocol):
    """The private-key side of a token."""

    @property
    def token_id(self) -> str: ...

    @property
    def is_active(self) -> bool:
        """Logged in: private keys usable."""
        ...

    def login(self, pin: str) -> None: ...

    def logout(self) -> None: ...

    def generate_key(self, key_id: str, label: str, algorithm: KeyAlgorithm) -> bytes:
        """Create a key pair; returns its SubjectPublicKeyInfo DER."""
        ...

    def delete_key(self, key_id: str) -> None: ...

    def sign(self, key_id: str, algorithm: KeyAlgorithm, hash_name: str, data: bytes) -> bytes:
        """Hash ``data`` with ``hash_name`` and sign: PKCS#1 v1.5 (RSA) or raw ``r || s``."""
        ...


@dataclass(frozen=True)
class TokenSigner:
    """A token key as a :class:`vdx.crypto.xades_create.SigningKey`."""

    backend: TokenBackend
    key_id: str
    algorithm: KeyAlgorithm
    hash_name: str = "sha512"

    @property
    def signature_method_uri(self) -> str:
        return signature_method_uri(self.algorithm, self.hash_name)

    def sign(self, data: bytes) -> bytes:
        return self.backend.sign(self.key_id, self.algorithm, self.hash_name, data)
