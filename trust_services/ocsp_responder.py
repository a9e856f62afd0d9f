"""The OCSP responder's decision (RFC 6960), pure: request bytes in, response bytes out.

Responses carry no nonce even when asked (RFC 6960 §4.4.1 makes it optional) so that security
servers can cache and pass them on, as X-Road does. A request for another CA's certificate is
answered ``unauthorized`` (§2.3); one that does not parse, ``malformedRequest``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from trust_services.pki import Issuer

DEFAULT_VALIDITY = dt.timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class CertRecord:
    """What the CA knows of one certificate it issued."""

    serial: int
    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None


Lookup = Callable[[int], CertRecord | None]


def _hashes_of(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    name_hash = hashes.Hash(algorithm)
    name_hash.update(issuer.subject.public_bytes())
    key_hash = hashes.Hash(algorithm)
    key_hash.update(_subject_public_key_bits(issuer))
    return name_hash.finalize(), key_hash.finalize()


def _subject_public_key_bits(cert: x509.Certificate) -> bytes:
    # RFC 6960 §4.1.1: issuerKeyHash covers the BIT STRING value of subjectPublicKey, without
    # the algorithm identifier; asn1crypto extracts it from the SubjectPublicKeyInfo.
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    info = keys.PublicKeyInfo.load(spki)
    return bytes(info["public_key"].contents[1:])  # skip the unused-bits octet


def respond(
    request_der: bytes,
    *,
    issuer: x509.Certificate,
    responder: Issuer,
    lookup: Lookup,
    now: dt.datetime,
    validity: dt.timedelta = DEFAULT_VALIDITY,
) -> bytes:
    """Answer one OCSP request for certificates of ``issuer``."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    name_hash, key_hash = _hashes_of(issuer, request.hash_algorithm)
    if (request.issuer_name_hash, request.issuer_key_hash) != (name_hash, key_hash):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    record = lookup(request.serial_number)
    if record is None:
        status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    elif record.revoked_at is not None and record.revoked_at <= now:
        status, revoked_at, reason = ocsp.OCSPCertStatus.REVOKED, record.revoked_at, record.reason
    else:
        status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
    this_update = now.replace(microsecond=0)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=this_update + validity,
            revocation_time=revoked_at,
            revocation_reason=reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder.cert)
        .certificates([responder.cert])
    )
    response = builder.sign(responder.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
