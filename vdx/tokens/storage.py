"""Files next to a token: atomic 0600 writes and the JSON metadata of keys and certificates.

Metadata (labels, usages, public keys, certificates and their states) is not secret; it is
kept beside the token so that both token kinds share one model, and so that keys can be
listed without logging in. A write goes to a temporary file in the same directory, is
fsync'ed and renamed over the old file (rename is atomic on POSIX), so a crash leaves either
the old or the new file, never half of one.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vdx.fileio import write_atomic
from vdx.tokens.errors import keyconf_error
from vdx.tokens.model import (
    CertRecord,
    CertStatus,
    KeyAlgorithm,
    KeyRecord,
    KeyUsage,
    OcspStatus,
)

METADATA_FORMAT = "vdx-token-metadata-1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text, validate=True)


@dataclass(frozen=True, slots=True)
class TokenMetadata:
    keys: tuple[KeyRecord, ...] = ()
    certs: tuple[CertRecord, ...] = ()


def _key_json(key: KeyRecord) -> dict[str, Any]:
    return {
        "id": key.key_id,
        "label": key.label,
        "usage": key.usage.value,
        "algorithm": key.algorithm.value,
        "publicKey": b64(key.public_key_der),
    }


def _cert_json(cert: CertRecord) -> dict[str, Any]:
    checked = cert.ocsp_checked_at
    return {
        "id": cert.cert_id,
        "keyId": cert.key_id,
        "certificate": b64(cert.der),
        "status": cert.status.value,
        "active": cert.active,
        "ocspStatus": cert.ocsp_status.value,
        "ocspCheckedAt": None if checked is None else checked.isoformat(),
    }


def encode_metadata(metadata: TokenMetadata) -> bytes:
    document = {
        "format": METADATA_FORMAT,
        "keys": [_key_json(k) for k in metadata.keys],
        "certificates": [_cert_json(c) for c in metadata.certs],
    }
    return json.dumps(document, indent=2, sort_keys=True).encode("utf-8")


def _key_from(item: dict[str, Any]) -> KeyRecord:
    return KeyRecord(
        key_id=str(item["id"]),
        label=str(item["label"]),
        usage=KeyUsage(item["usage"]),
        algorithm=KeyAlgorithm(item["algorithm"]),
        public_key_der=unb64(item["publicKey"]),
    )


def _cert_from(item: dict[str, Any]) -> CertRecord:
    checked = item.get("ocspCheckedAt")
    active = item["active"]
    if not isinstance(active, bool):
        raise TypeError("active must be a boolean")
    return CertRecord(
        cert_id=str(item["id"]),
        key_id=str(item["keyId"]),
        der=unb64(item["certificate"]),
        status=CertStatus(item["status"]),
        active=active,
        ocsp_status=OcspStatus(item["ocspStatus"]),
        ocsp_checked_at=None if checked is None else datetime.fromisoformat(str(checked)),
    )


def decode_metadata(data: bytes) -> TokenMetadata:
    """Parse a metadata file; anything malformed raises ``MalformedKeyConf``."""
    try:
        document = json.loads(data)
        if document.get("format") != METADATA_FORMAT:
            raise ValueError(f"format is not {METADATA_FORMAT}")
        keys = tuple(_key_from(item) for item in document["keys"])
        certs = tuple(_cert_from(item) for item in document["certificates"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise keyconf_error(f"token metadata is malformed: {exc}") from None
    return TokenMetadata(keys, certs)


def load_metadata(path: Path) -> TokenMetadata:
    """The metadata at ``path``; a missing file is an empty token."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return TokenMetadata()
    return decode_metadata(data)


def save_metadata(path: Path, metadata: TokenMetadata) -> None:
    write_atomic(path, encode_metadata(metadata))
