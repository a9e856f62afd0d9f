"""Typed records of a token's keys and certificates (frozen; stores replace, never mutate).

Names follow the reference signer's DTOs (``KeyInfo``, ``CertificateInfo``, ``KeyUsageInfo``);
status strings are the reference's wire values (``CertificateInfo.STATUS_*``,
``OCSP_RESPONSE_*``), so admin APIs can show them unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class KeyUsage(enum.StrEnum):
    """What a key is for (reference ``KeyUsageInfo``): TLS between servers, or signing."""

    AUTHENTICATION = "AUTHENTICATION"
    SIGNING = "SIGNING"


class KeyAlgorithm(enum.StrEnum):
    """Key kinds a token generates (the dev CA's ``pki.new_key`` names)."""

    RSA2048 = "rsa2048"
    RSA3072 = "rsa3072"
    EC_P256 = "ec-p256"

    @property
    def is_rsa(self) -> bool:
        return self is not KeyAlgorithm.EC_P256

    @property
    def rsa_bits(self) -> int:
        return {KeyAlgorithm.RSA2048: 2048, KeyAlgorithm.RSA3072: 3072}[self]


class CertStatus(enum.StrEnum):
    """Registration status of a certificate (reference ``CertificateInfo.STATUS_*``).

    ``DELETED`` is ours: the terminal state after the record is removed from the token.
    """

    SAVED = "saved"
    REGISTRATION_IN_PROGRESS = "registration in progress"
    REGISTERED = "registered"
    DELETION_IN_PROGRESS = "deletion in progress"
    GLOBAL_ERROR = "global error"
    DELETED = "deleted"


class OcspStatus(enum.StrEnum):
    """Last known OCSP verdict (reference ``OCSP_RESPONSE_*`` plus ``expired``).

    ``expired`` is the certificate's own validity having ended, which the admin UI shows in
    the same column as the OCSP verdict (ug-ss "OCSP response" states).
    """

    UNKNOWN = "unknown"
    GOOD = "good"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A key pair on a token. ``key_id`` is hex (the PKCS#11 ``CKA_ID`` on hardware tokens)."""

    key_id: str
    label: str
    usage: KeyUsage
    algorithm: KeyAlgorithm
    public_key_der: bytes  # SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)


@dataclass(frozen=True, slots=True)
class CertRecord:
    """A certificate imported onto one of the token's keys, with its X-Road state."""

    cert_id: str  # SHA-256 of the DER, hex: stable across tokens and restarts
    key_id: str
    der: bytes
    status: CertStatus
    active: bool
    ocsp_status: OcspStatus = OcspStatus.UNKNOWN
    ocsp_checked_at: datetime | None = None
