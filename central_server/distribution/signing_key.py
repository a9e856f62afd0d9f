"""Load the software configuration-signing key from PEM files (blocking file I/O)."""

from __future__ import annotations

from pathlib import Path

from central_server.confgen import SoftwareDirectorySigner


def load_software_signer(
    key_file: Path,
    certificate_file: Path,
    password: bytes | None = None,
    hash_name: str = "sha512",
) -> SoftwareDirectorySigner:
    """RSA keys sign with rsa-sha512, EC keys with ecdsa-sha512 (``hash_name`` changes it)."""
    return SoftwareDirectorySigner.from_pem(
        key_file.read_bytes(), certificate_file.read_bytes(), password, hash_name
    )
