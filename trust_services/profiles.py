"""Which subjects the development CA certifies: one declarative rule per profile.

A CSR is refused unless its subject has every required attribute, no attribute outside the
profile, and the fixed values the CA is configured with (e.g. ``C`` = the X-Road instance of a
signing certificate, as the reference's EJBCA profile derives member identifiers from subject
fields). Keys must be RSA of at least 2048 bits or EC P-256/P-384.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

# Short names a profile may use, mapped to their OIDs (RFC 4514 §3 plus serialNumber).
ATTRIBUTES: Mapping[str, x509.ObjectIdentifier] = {
    "C": NameOID.COUNTRY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
}
_BY_OID = {oid: short for short, oid in ATTRIBUTES.items()}


class CsrRejectedError(ValueError):
    """A CSR the CA will not certify; the message says why, for the requester."""


@dataclass(frozen=True, slots=True)
class SubjectRule:
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    fixed: Mapping[str, str] = field(default_factory=dict)


DEFAULT_PROFILES: Mapping[str, SubjectRule] = {
    # Security server authentication: CN names the server (its code), the rest is optional.
    "auth": SubjectRule(required=frozenset({"CN"}), optional=frozenset({"C", "O", "serialNumber"})),
    # Member signing: C = instance, O = member class, CN = member code (EJBCA-style profile).
    "sign": SubjectRule(required=frozenset({"C", "O", "CN"}), optional=frozenset({"serialNumber"})),
}


def subject_fields(subject: x509.Name) -> dict[str, str]:
    """The subject as short name -> value; unknown or repeated attributes raise."""
    fields: dict[str, str] = {}
    for attribute in subject:
        short = _BY_OID.get(attribute.oid)
        if short is None:
            raise CsrRejectedError(
                f"subject attribute {attribute.oid.dotted_string} is not allowed"
            )
        if short in fields:
            raise CsrRejectedError(f"subject attribute {short} appears more than once")
        value = attribute.value
        fields[short] = value if isinstance(value, str) else value.decode("utf-8", "replace")
    return fields


def check_csr(csr: x509.CertificateSigningRequest, rule: SubjectRule) -> None:
    """Raise :class:`CsrRejectedError` unless the CSR is well signed and fits ``rule``."""
    if not csr.is_signature_valid:
        raise CsrRejectedError("the CSR's signature does not verify (proof of possession)")
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CsrRejectedError("RSA keys must have at least 2048 bits")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ("secp256r1", "secp384r1"):
            raise CsrRejectedError("EC keys must use P-256 or P-384")
    else:
        raise CsrRejectedError("only RSA and EC keys are certified")
    fields = subject_fields(csr.subject)
    missing = sorted(rule.required - fields.keys())
    if missing:
        raise CsrRejectedError(f"subject lacks {', '.join(missing)}")
    extra = sorted(fields.keys() - rule.required - rule.optional)
    if extra:
        raise CsrRejectedError(
            f"subject attribute(s) {', '.join(extra)} not allowed by the profile"
        )
    for short, expected in rule.fixed.items():
        if fields.get(short) != expected:
            raise CsrRejectedError(f"subject {short} must be {expected!r}")
    for short, value in fields.items():
        if not value.strip() or any(ord(ch) < 0x20 for ch in value):
            raise CsrRejectedError(f"subject {short} is empty or has control characters")
