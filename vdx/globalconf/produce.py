"""Build a signed configuration directory (pr-gconf §2.3-§2.5), laid out as the reference does.

The caller hands over the configuration files, the expiry and version, and a signing callable
(bytes -> raw signature: PKCS#1 v1.5 for RSA, DER for ECDSA) with the certificate of its key;
the key itself never passes through here. The signature covers the exact bytes of the
``multipart/mixed`` directory body, so ``openssl dgst -sha512 -verify`` accepts it on those bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from vdx.globalconf import _xml, algorithms
from vdx.globalconf._xml import malformed
from vdx.message import multipart

Signer = Callable[[bytes], bytes]


@dataclass(frozen=True, slots=True)
class ConfigurationFile:
    """A file the directory references: its content identifier, instance and location."""

    content_identifier: str
    instance: str
    content_location: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ProducedDirectory:
    body: bytes
    content_type: str

    def stored(self) -> bytes:
        """The file form the reference keeps on disk: a Content-Type line, a blank line, body."""
        return f"Content-Type: {self.content_type}\r\n\r\n".encode("ascii") + self.body


def _header_value(value: str) -> str:
    if any(c in value for c in "\r\n") or not value.isascii():
        raise malformed(f"Header value {value!r:.60} is not a single ASCII line")
    return value


def build_directory_body(
    files: Sequence[ConfigurationFile],
    expire_date: datetime,
    version: int | None,
    hash_algorithm: str,
    boundary: str,
) -> bytes:
    """The signed ``multipart/mixed`` directory (§2.4); its first entry is header-only."""
    lines = [f"--{boundary}", f"Expire-date: {_xml.format_datetime(expire_date, millis=False)}"]
    if version is not None:
        lines.append(f"Version: {version}")
    lines.append("")
    for item in files:
        digest = base64.b64encode(algorithms.digest(hash_algorithm, item.data)).decode("ascii")
        lines += [
            f"--{boundary}",
            "Content-type: application/octet-stream",
            "Content-transfer-encoding: base64",
            _header_value(
                f"Content-identifier: {item.content_identifier}; instance='{item.instance}'"
            ),
            _header_value(f"Content-location: {item.content_location}"),
            f"Hash-algorithm-id: {hash_algorithm}",
            "",
            digest,
        ]
    lines.append(f"--{boundary}--")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def produce_directory(
    files: Sequence[ConfigurationFile],
    *,
    expire_date: datetime,
    sign: Signer,
    signature_algorithm: str,
    certificate: x509.Certificate,
    version: int | None = None,
    hash_algorithm: str = algorithms.SHA512,
    cert_hash_algorithm: str = algorithms.SHA512,
    boundaries: tuple[str, str] | None = None,
) -> ProducedDirectory:
    """Sign a directory of ``files``; returns the ``multipart/related`` body and its type."""
    algorithms.check_signature_algorithm(signature_algorithm)
    outer, inner = boundaries or (multipart.new_boundary(), multipart.new_boundary())
    directory = build_directory_body(files, expire_date, version, hash_algorithm, inner)
    signature = base64.b64encode(sign(directory)).decode("ascii")
    cert_hash = base64.b64encode(
        algorithms.digest(cert_hash_algorithm, certificate.public_bytes(Encoding.DER))
    ).decode("ascii")
    head = [
        f"--{outer}",
        f"Content-Type: multipart/mixed; charset=UTF-8; boundary={inner}",
        "",
        "",
    ]
    tail = [
        "",
        f"--{outer}",
        "Content-Type: application/octet-stream",
        "Content-Transfer-Encoding: base64",
        f"Signature-Algorithm-Id: {signature_algorithm}",
        f'Verification-certificate-hash: {cert_hash}; hash-algorithm-id="{cert_hash_algorithm}"',
        "",
        signature,
        f"--{outer}--",
        "",
    ]
    body = "\r\n".join(head).encode("ascii") + directory + "\r\n".join(tail).encode("ascii")
    return ProducedDirectory(body, f"multipart/related; charset=UTF-8; boundary={outer}")
