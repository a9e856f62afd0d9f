"""The configuration signing key of a central server node, kept in its data directory.

The key signs every configuration directory (pr-gconf §2.3); its self-signed certificate is
what anchors list. On first start a key and certificate are created (key file mode 0600); later
starts load them.

Legacy fallback: the composition root uses it only when no token PIN is set (``token_pin``);
otherwise the keys are on a token with announced rotation (:mod:`central_server.conf_keys`).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from central_server.confgen import SoftwareDirectorySigner
from central_server.distribution.signing_key import load_software_signer

KEY_FILE = "key.pem"
CERT_FILE = "cert.pem"
VALIDITY = dt.timedelta(days=3650)


def _self_signed(key: rsa.RSAPrivateKey, instance: str, now: dt.datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, instance),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{instance} configuration signing"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA512())
    )


def load_or_create(folder: Path, instance: str, now: dt.datetime) -> SoftwareDirectorySigner:
    """The node's directory signer, created on first use."""
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    if not key_path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        cert = _self_signed(key, instance, now)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return load_software_signer(key_path, cert_path)
