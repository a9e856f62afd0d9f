"""Configuration signing keys as values: states, the refusal, one key's record."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography import x509
from cryptography.x509.oid import NameOID

SOURCES = ("internal", "external")


class KeyState(enum.StrEnum):
    ANNOUNCED = "announced"
    ACTIVE = "active"
    RETIRED = "retired"


class SigningKeyError(Exception):
    """A refused key operation; ``code`` is ``not_found``, ``conflict`` or ``invalid``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class SigningKeyInfo:
    key_id: str
    source: str
    token_id: str
    state: KeyState
    cert_der: bytes
    created_at: dt.datetime
    activated_at: dt.datetime | None = None

    @property
    def cert_hash(self) -> str:
        """SHA-256 of the certificate's DER, hex (how operators compare certificates)."""
        return hashlib.sha256(self.cert_der).hexdigest()


def row_info(row: sa.Row[tuple[object, ...]]) -> SigningKeyInfo:
    m = row._mapping
    return SigningKeyInfo(
        key_id=str(m["key_id"]),
        source=str(m["source"]),
        token_id=str(m["token_id"]),
        state=KeyState(m["state"]),
        cert_der=bytes(m["cert_der"]),
        created_at=m["created_at"],
        activated_at=m["activated_at"],
    )


def subject_for(instance: str, source: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, instance),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{instance} {source} configuration signing"),
        ]
    )
