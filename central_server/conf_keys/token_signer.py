"""A token key as a configuration ``DirectorySigner``, and its self-signed certificate.

The token signs what the generator gives it; the directory's ``Signature-algorithm-id`` is the
XML-DSig URI of the token signer (pr-gconf §2.3 lists the same URIs). A token returns ECDSA
signatures as ``r || s``; the directory carries DER ``ECDSA-Sig-Value`` (what ``openssl dgst
-verify`` expects), so they are re-encoded here.

``cryptography`` signs certificates only with keys it holds, so the self-signed certificate is
assembled with asn1crypto: the ``TBSCertificate`` (RFC 5280 §4.1) is encoded to DER, signed by
the token, and wrapped; ``cryptography`` then checks the self-signature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from asn1crypto import core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

VALIDITY = dt.timedelta(days=3650)

# AlgorithmIdentifier names of asn1crypto for the XML-DSig URIs a token key signs with.
_ALGORITHMS = {
    "rsa-sha256": "sha256_rsa",
    "rsa-sha384": "sha384_rsa",
    "rsa-sha512": "sha512_rsa",
    "ecdsa-sha256": "sha256_ecdsa",
    "ecdsa-sha384": "sha384_ecdsa",
    "ecdsa-sha512": "sha512_ecdsa",
}


class RawSigner(Protocol):
    """What ``vdx.tokens.Token.signer`` returns: a method URI and a blocking ``sign``."""

    @property
    def signature_method_uri(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def _is_ecdsa(uri: str) -> bool:
    return uri.rpartition("#")[2].startswith("ecdsa-")


def _der_ecdsa(raw: bytes) -> bytes:
    # XML-DSig and PKCS#11 give r || s; openssl and X.509 want ECDSA-Sig-Value (RFC 3279 §2.2.3).
    half = len(raw) // 2
    return encode_dss_signature(
        int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    )


def der_signature(signer: RawSigner, data: bytes) -> bytes:
    raw = signer.sign(data)
    return _der_ecdsa(raw) if _is_ecdsa(signer.signature_method_uri) else raw


@dataclass(frozen=True, slots=True)
class TokenDirectorySigner:
    """``DirectorySigner`` over a token key; ``sign`` blocks (the publisher uses a thread)."""

    signer: RawSigner
    certificate: x509.Certificate

    @property
    def signature_algorithm_id(self) -> str:
        return self.signer.signature_method_uri

    def sign(self, data: bytes) -> bytes:
        return der_signature(self.signer, data)


def _algorithm(uri: str) -> asn1_x509.SignedDigestAlgorithm:
    name = _ALGORITHMS.get(uri.rpartition("#")[2])
    if name is None:
        raise ValueError(f"Unsupported signature method {uri}")
    if name.endswith("_rsa"):
        # RFC 4055 §5: PKCS#1 v1.5 identifiers carry NULL parameters.
        return asn1_x509.SignedDigestAlgorithm({"algorithm": name, "parameters": core.Null()})
    return asn1_x509.SignedDigestAlgorithm({"algorithm": name})  # RFC 5758 §3.2: absent


def _time(when: dt.datetime) -> asn1_x509.Time:
    # RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    when = when.astimezone(dt.UTC).replace(microsecond=0)
    kind = "utc_time" if when.year < 2050 else "general_time"
    return asn1_x509.Time({kind: when})


def self_signed_certificate(
    subject: x509.Name,
    public_key_der: bytes,
    signer: RawSigner,
    now: dt.datetime,
    *,
    serial: int | None = None,
    validity: dt.timedelta = VALIDITY,
) -> x509.Certificate:
    """A self-signed end-entity certificate over the token key ``public_key_der`` (SPKI)."""
    name = asn1_x509.Name.load(subject.public_bytes())
    algorithm = _algorithm(signer.signature_method_uri)
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial if serial is not None else x509.random_serial_number(),
            "signature": algorithm,
            "issuer": name,
            "validity": {
                "not_before": _time(now - dt.timedelta(minutes=5)),
                "not_after": _time(now + validity),
            },
            "subject": name,
            "subject_public_key_info": asn1_keys.PublicKeyInfo.load(public_key_der),
            "extensions": [
                {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": False}}
            ],
        }
    )
    signature = der_signature(signer, tbs.dump())
    certificate = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature}
    )
    loaded = x509.load_der_x509_certificate(certificate.dump())
    try:
        loaded.verify_directly_issued_by(loaded)
    except (InvalidSignature, ValueError, TypeError):
        raise ValueError("The token key does not match the certificate's public key") from None
    return loaded
