"""The signed configuration directory (pr-gconf §2.3-§2.6): parse and verify.

Wire shape: a ``multipart/related`` of exactly two parts. The first is the directory, a
``multipart/mixed`` whose first entry carries only the headers ``Expire-date`` and ``Version``
(§2.4) and whose other entries each reference one configuration file by ``Content-location``
and hold its base64 digest. The second is the base64 signature over the *body* of the first
part (§2.3), with ``Signature-algorithm-id`` and ``Verification-certificate-hash``.

Directory files as stored by the reference (``internalconf``, ``externalconf``) begin with their
own ``Content-Type`` header line and a blank line; :func:`split_stored` separates that.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509

from vdx.errors import Code, XRoadError
from vdx.globalconf import algorithms
from vdx.globalconf._xml import malformed, parse_datetime
from vdx.globalconf.anchor import ConfigurationAnchor
from vdx.message import multipart

SHARED_PARAMETERS = "SHARED-PARAMETERS"
PRIVATE_PARAMETERS = "PRIVATE-PARAMETERS"
DEFAULT_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DirectoryPart:
    """One directory entry: which file, where to get it, and the digest it must have."""

    content_location: str
    hash_algorithm: str
    hash_value: bytes
    content_identifier: str | None = None
    instance: str | None = None
    file_name: str | None = None


@dataclass(frozen=True, slots=True)
class SignedDirectory:
    expire_date: datetime
    version: int | None
    parts: tuple[DirectoryPart, ...]
    signed_data: bytes
    signature: bytes
    signature_algorithm: str
    cert_hash: bytes
    cert_hash_algorithm: str

    def part(self, content_identifier: str) -> DirectoryPart | None:
        return next((p for p in self.parts if p.content_identifier == content_identifier), None)

    @property
    def instances(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.instance for p in self.parts if p.instance))


def split_stored(data: bytes) -> tuple[str, bytes]:
    """Split a stored directory file into its Content-Type value and the multipart body.

    A bare body, as ``curl -o`` saves a download, starts with its boundary line; the boundary
    is then taken from that line (RFC 2046 §5.1.1: the first delimiter names it).
    """
    stripped = data.lstrip(b"\r\n")
    if stripped.startswith(b"--"):
        boundary = stripped.split(b"\n", 1)[0].rstrip(b"\r")[2:].decode("latin-1").strip()
        return f'multipart/related; boundary="{boundary}"', stripped
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = data.partition(separator)
        if found and not head.lstrip().startswith(b"--"):
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-type":
                    return value.strip(), body
    raise malformed("Directory file does not start with a Content-Type header")


def _params(value: str) -> tuple[str, dict[str, str]]:
    """``head; name=value; ...`` with values in double or single quotes (the reference writes
    ``instance='DEV'`` although §2.5 shows double quotes)."""
    head, *rest = value.split(";")
    params: dict[str, str] = {}
    for item in rest:
        name, eq, raw = item.partition("=")
        if eq:
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
                raw = raw[1:-1]
            params[name.strip().lower()] = raw
    return head.strip(), params


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise malformed(f"{what} is not valid base64") from None


def _need(part: multipart.Part, name: str) -> str:
    value = part.header(name)
    if value is None or not value.strip():
        raise malformed(f"Directory part lacks the {name} header")
    return value.strip()


def _boundary(content_type: str, media_type: str) -> str:
    try:
        parsed = multipart.parse_content_type(content_type)
    except XRoadError as error:
        raise malformed(error.message) from None
    boundary = parsed.param("boundary")
    if parsed.media_type != media_type or not boundary:
        raise malformed(f"Expected {media_type} with a boundary, got {parsed.media_type}")
    return boundary


def parse_directory(
    data: bytes, content_type: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> SignedDirectory:
    """Parse a signed directory; ``content_type=None`` means ``data`` is a stored file."""
    if len(data) > max_bytes:
        raise malformed(f"Directory larger than {max_bytes} bytes")
    if content_type is None:
        content_type, data = split_stored(data)
    try:
        outer = multipart.split(data, _boundary(content_type, "multipart/related"))
        if len(outer) != 2:  # §2.3: the directory and its signature, nothing else
            raise malformed(f"Signed directory has {len(outer)} parts instead of 2")
        directory, signature = outer
        inner_type = directory.header("Content-Type") or ""
        entries = multipart.split(directory.body, _boundary(inner_type, "multipart/mixed"))
    except XRoadError as error:
        raise malformed(f"Directory MIME structure: {error.message}") from None
    if not entries:
        raise malformed("Directory has no entries")
    expire_raw = entries[0].header("Expire-date")
    if expire_raw is None:  # §2.4: the first entry MUST carry Expire-date
        raise malformed("First directory entry lacks Expire-date")
    version_raw = entries[0].header("Version")
    if version_raw is not None and not version_raw.strip().isdigit():
        raise malformed("Directory Version is not an integer")
    cert_hash_raw, cert_params = _params(_need(signature, "Verification-certificate-hash"))
    return SignedDirectory(
        expire_date=parse_datetime(expire_raw),
        version=int(version_raw) if version_raw is not None else None,
        parts=tuple(_entry(entry) for entry in entries[1:]),
        signed_data=directory.body,
        signature=_b64(signature.body.decode("latin-1"), "Signature"),
        signature_algorithm=_need(signature, "Signature-algorithm-id"),
        cert_hash=_b64(cert_hash_raw, "Verification-certificate-hash"),
        cert_hash_algorithm=cert_params.get("hash-algorithm-id", algorithms.SHA512),
    )


def _entry(entry: multipart.Part) -> DirectoryPart:
    encoding = (entry.header("Content-transfer-encoding") or "base64").strip().lower()
    if encoding != "base64":  # §2.4: the digest MUST be base64
        raise malformed(f"Directory entry encoding {encoding!r:.30} is not base64")
    identifier, params = _params(entry.header("Content-identifier") or "")
    return DirectoryPart(
        content_location=_need(entry, "Content-location"),
        hash_algorithm=_need(entry, "Hash-algorithm-id"),
        hash_value=_b64(entry.body.decode("latin-1"), "Directory entry digest"),
        content_identifier=identifier or None,
        instance=params.get("instance"),
        file_name=entry.header("Content-file-name"),
    )


def find_verification_cert(
    directory: SignedDirectory, anchor: ConfigurationAnchor
) -> x509.Certificate:
    """§2.6 step 3: the anchor certificate whose digest the signature part names."""
    for der in anchor.verification_certs:
        candidate = algorithms.digest(directory.cert_hash_algorithm, der)
        if hmac.compare_digest(candidate, directory.cert_hash):
            return x509.load_der_x509_certificate(der)
    raise XRoadError(
        Code.CERT_VALIDATION,
        f"Cannot verify signature of configuration instance {anchor.instance}: could not find "
        f"verification certificate for certificate hash "
        f"{base64.b64encode(directory.cert_hash).decode()}",
    )


def verify_part(part: DirectoryPart, content: bytes) -> None:
    """§2.6 step 4.2: the downloaded file must have the digest the directory lists."""
    if not hmac.compare_digest(algorithms.digest(part.hash_algorithm, content), part.hash_value):
        # The reference raises its I/O error code here ("Failed to verify content integrity").
        raise XRoadError(
            Code.IO_ERROR, f"Failed to verify content integrity ({part.content_location})"
        )


def verify_directory(
    data: bytes | SignedDirectory,
    content_type: str | None,
    anchor: ConfigurationAnchor,
    now: datetime,
    files: Mapping[str, bytes] | None = None,
) -> SignedDirectory:
    """Verify a signed directory against ``anchor`` at ``now``; return it, or raise.

    Order: structure (``MalformedGlobalConf``), signer known to the anchor (``CertValidation``),
    signature (``InvalidSignatureValue``), freshness (``OutdatedGlobalConf``), then, when
    ``files`` maps Content-location to file bytes, every listed file's digest (``IOError``).
    """
    directory = data if isinstance(data, SignedDirectory) else parse_directory(data, content_type)
    certificate = find_verification_cert(directory, anchor)
    try:
        algorithms.verify_signature(
            directory.signature_algorithm, certificate, directory.signature, directory.signed_data
        )
    except XRoadError as error:
        if error.code != Code.INVALID_SIGNATURE_VALUE:
            raise
        raise XRoadError(
            Code.INVALID_SIGNATURE_VALUE,
            f"Failed to verify signature of configuration instance {anchor.instance}",
        ) from None
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    if moment > directory.expire_date:
        raise XRoadError(
            Code.OUTDATED_GLOBALCONF,
            f"Configuration directory expired at {directory.expire_date.isoformat()}",
        )
    if files is not None:
        for part in directory.parts:
            content = files.get(part.content_location)
            if content is None:
                raise XRoadError(
                    Code.IO_ERROR, f"Missing configuration file {part.content_location}"
                )
            verify_part(part, content)
    return directory
