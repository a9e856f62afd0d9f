"""Key tokens shared by both servers: software and PKCS#11 keys, CSRs, certificate states.

File I/O and PKCS#11 calls are allowed here (no sockets, no event loop); every call may block,
so callers on an event loop run them in a thread. See docs/adr/0003-key-tokens.md.
"""

from __future__ import annotations

from pathlib import Path

from vdx.tokens.backend import TokenBackend, TokenSigner
from vdx.tokens.cert_states import CertEvent
from vdx.tokens.csr import authentication_subject, build_csr, csr_pem, signing_subject
from vdx.tokens.errors import SignerCode, TokenError
from vdx.tokens.model import (
    CertRecord,
    CertStatus,
    KeyAlgorithm,
    KeyRecord,
    KeyUsage,
    OcspStatus,
)
from vdx.tokens.soft_token import DEFAULT_SCRYPT_N, SoftToken
from vdx.tokens.token import Token, certificate_usage


def create_soft_token(
    directory: Path, token_id: str, pin: str, *, scrypt_n: int = DEFAULT_SCRYPT_N
) -> Token:
    """Initialise a software token in ``directory`` (``<id>.keystore`` + ``<id>.json``)."""
    backend = SoftToken.create(directory, token_id, pin, scrypt_n=scrypt_n)
    return Token(backend, directory / f"{token_id}.json")


def open_soft_token(directory: Path, token_id: str) -> Token:
    return Token(SoftToken.open(directory, token_id), directory / f"{token_id}.json")


def open_pkcs11_token(library_path: str, token_label: str, metadata_path: Path) -> Token:
    """A PKCS#11 token by label; its metadata (labels, usages, certificates) at
    ``metadata_path``. python-pkcs11 is imported only here, so software tokens work without
    it."""
    from vdx.tokens.pkcs11_token import Pkcs11Token  # noqa: PLC0415 - optional dependency

    return Token(Pkcs11Token(library_path, token_label), metadata_path)


__all__ = [
    "CertEvent",
    "CertRecord",
    "CertStatus",
    "KeyAlgorithm",
    "KeyRecord",
    "KeyUsage",
    "OcspStatus",
    "SignerCode",
    "SoftToken",
    "Token",
    "TokenBackend",
    "TokenError",
    "TokenSigner",
    "authentication_subject",
    "build_csr",
    "certificate_usage",
    "create_soft_token",
    "csr_pem",
    "open_pkcs11_token",
    "open_soft_token",
    "signing_subject",
]
