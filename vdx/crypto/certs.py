"""Validation of authentication and signing certificates against a trust configuration.

A certificate is accepted for a purpose at ``now`` when (the order of the reference's
``CertChainVerifier`` and ``SignatureVerifier``):

1. a path leads from it through the approved CA's intermediates to the approved top CA, every
   issuer's signature verifying (``CannotCreateCertPath`` when no issuer is known,
   ``InvalidCertPath`` when a named issuer did not sign it or is not a CA);
2. every certificate on the path is valid at ``now`` (``CertValidityTime``);
3. its key usage fits the purpose: signing certificates need nonRepudiation
   (contentCommitment), authentication certificates digitalSignature, and clientAuth or
   serverAuth when they carry an extended key usage; an authentication-only CA issues no
   signing certificates (``IncorrectCertificate``);
4. an OCSP response from an authorised responder, fresh at ``now``, says ``good``.

By default only the end-entity certificate's OCSP status is checked; intermediates are trusted
as published in the configuration unless ``check_intermediate_ocsp`` asks for theirs too.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from vdx.crypto import ocsp
from vdx.crypto._asn1_verify import issued_by
from vdx.crypto.trust import ApprovedCA, TrustConfig
from vdx.errors import Code, XRoadError

Purpose = Literal["auth", "sign"]
MAX_PATH_LENGTH = 8


@dataclass(frozen=True)
class ValidatedCertificate:
    """The outcome of a successful validation."""

    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # end entity first, approved top CA last
    ca: ApprovedCA
    ocsp: ocsp.OcspInfo | None

    @property
    def issuer(self) -> x509.Certificate:
        return self.chain[1] if len(self.chain) > 1 else self.chain[0]


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from DER or PEM bytes; ``IncorrectCertificate`` when it is neither."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise XRoadError(Code.INCORRECT_CERTIFICATE, f"malformed certificate ({error})") from None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _path_in(cert: x509.Certificate, ca: ApprovedCA) -> tuple[x509.Certificate, ...] | None:
    """A path from ``cert`` to ``ca.top_ca`` within ``ca``'s certificates, or ``None``.

    Raises ``InvalidCertPath`` when an issuer is named but its signature does not verify.
    """
    chain = [cert]
    current = cert
    for _ in range(MAX_PATH_LENGTH):
        if current == ca.top_ca:
            return tuple(chain)
        named = [c for c in ca.certificates if c.subject == current.issuer and c != current]
        if not named:
            return None
        issuer = next((c for c in named if issued_by(current, c)), None)
        if issuer is None:
            raise XRoadError(
                Code.INVALID_CERT_PATH,
                f"certificate {current.subject.rfc4514_string()} is not signed by its issuer",
            )
        if not _is_ca(issuer):
            raise XRoadError(Code.INVALID_CERT_PATH, "issuer certificate is not a CA certificate")
        chain.append(issuer)
        current = issuer
    raise XRoadError(Code.INVALID_CERT_PATH, "certificate path is too long")


def build_path(
    cert: x509.Certificate, trust: TrustConfig
) -> tuple[ApprovedCA, tuple[x509.Certificate, ...]]:
    """The approved CA and the path (end entity first) that ``cert`` chains to."""
    failure: XRoadError | None = None
    for ca in trust.cas:
        try:
            path = _path_in(cert, ca)
        except XRoadError as error:
            failure = failure or error
            continue
        if path is not None and len(path) > 1:
            return ca, path
    if failure is not None:
        raise failure
    raise XRoadError(
        Code.CANNOT_CREATE_CERT_PATH,
        f"no approved CA issued {cert.subject.rfc4514_string()} "
        f"(issuer {cert.issuer.rfc4514_string()})",
    )


def check_validity(cert: x509.Certificate, now: datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise XRoadError(
            Code.CERT_VALIDITY_TIME,
            f"certificate {cert.subject.rfc4514_string()} is not yet valid "
            f"(notBefore {cert.not_valid_before_utc})",
        )
    if now > cert.not_valid_after_utc:
        raise XRoadError(
            Code.CERT_VALIDITY_TIME,
            f"certificate {cert.subject.rfc4514_string()} has expired "
            f"(notAfter {cert.not_valid_after_utc})",
        )


def check_purpose(cert: x509.Certificate, purpose: Purpose) -> None:
    """Key usage (RFC 5280 §4.2.1.3) and extended key usage (§4.2.1.12) for ``purpose``."""
    try:
        usage: x509.KeyUsage | None = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if purpose == "sign":
        if usage is None or not usage.content_commitment:
            raise XRoadError(
                Code.INCORRECT_CERTIFICATE, "signing certificate lacks the nonRepudiation key usage"
            )
        return
    if purpose != "auth":
        raise XRoadError(Code.INTERNAL_ERROR, f"unknown certificate purpose {purpose!r}")
    if usage is None or not usage.digital_signature:
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE,
            "authentication certificate lacks the digitalSignature key usage",
        )
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if ExtendedKeyUsageOID.CLIENT_AUTH not in eku and ExtendedKeyUsageOID.SERVER_AUTH not in eku:
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE,
            "authentication certificate's extended key usage allows neither TLS client "
            "nor server authentication",
        )


def validate_certificate(
    cert: x509.Certificate,
    purpose: Purpose,
    trust: TrustConfig,
    ocsp_response_der: bytes | Sequence[bytes] | None,
    now: datetime,
    *,
    require_ocsp: bool = True,
    check_intermediate_ocsp: bool = False,
) -> ValidatedCertificate:
    """Validate ``cert`` for ``purpose`` at ``now``; raise :class:`XRoadError` if it fails.

    ``ocsp_response_der`` is the end-entity's OCSP response (or several candidates, the one
    whose CertID matches is used). ``require_ocsp=False`` skips the revocation check, for the
    places that check a certificate's shape before any response exists (CSR import).
    ``check_intermediate_ocsp=True`` also requires, among the same candidates, a good
    response for every intermediate CA on the path (the reference's CertChainVerifier does
    so for evidence that carries them).
    """
    ca, chain = build_path(cert, trust)
    for link in chain:
        check_validity(link, now)
    check_purpose(cert, purpose)
    if purpose == "sign" and ca.authentication_only:
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE, f"CA {ca.name} issues authentication certificates only"
        )
    status = _check_ocsp(
        cert,
        issuer=chain[1],
        ca=ca,
        trust=trust,
        responses=ocsp_response_der,
        now=now,
        required=require_ocsp,
    )
    if check_intermediate_ocsp and require_ocsp:
        for child, parent in itertools.pairwise(chain[1:]):
            _check_ocsp(
                child,
                issuer=parent,
                ca=ca,
                trust=trust,
                responses=ocsp_response_der,
                now=now,
                required=True,
            )
    return ValidatedCertificate(cert=cert, chain=chain, ca=ca, ocsp=status)


def _check_ocsp(
    cert: x509.Certificate,
    *,
    issuer: x509.Certificate,
    ca: ApprovedCA,
    trust: TrustConfig,
    responses: bytes | Sequence[bytes] | None,
    now: datetime,
    required: bool,
) -> ocsp.OcspInfo | None:
    candidates = [responses] if isinstance(responses, bytes) else list(responses or ())
    if not candidates:
        if required:
            raise XRoadError(
                Code.MISSING_VALIDATION_INFO,
                f"no OCSP response for certificate (serial {cert.serial_number:x})",
            )
        return None
    chosen = ocsp.find_response(candidates, issuer=issuer, serial_number=cert.serial_number)
    if chosen is None:
        if len(candidates) > 1:
            raise XRoadError(
                Code.INCORRECT_VALIDATION_INFO,
                f"none of {len(candidates)} OCSP responses applies to certificate "
                f"(serial {cert.serial_number:x})",
            )
        chosen = candidates[0]  # verifying it names what is wrong with it
    return ocsp.verify_response(
        chosen,
        issuer=issuer,
        serial_number=cert.serial_number,
        now=now,
        trusted_responders=ca.responder_certs,
        freshness_seconds=trust.ocsp_freshness_seconds,
        clock_skew_seconds=trust.clock_skew_seconds,
        verify_next_update=trust.verify_next_update,
    )
