"""OCSP (RFC 6960) responses: parsing, verification against a trust configuration, requests.

X-Road attaches an OCSP response for the signer's certificate to every message and keeps one
for its own certificates; a response is accepted only when it is signed by an authorised
responder, applies to the certificate, is not from the future, is fresh (``now - thisUpdate``
at most ``ocspFreshnessSeconds``, and ``nextUpdate`` not passed), and says ``good``.

Error codes follow the reference verifier: problems with the response itself are
``IncorrectValidationInfo``; a revoked or unknown certificate is ``CertValidation``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from vdx.crypto._asn1_verify import digest, has_eku, issued_by, key_hash, verify_signature
from vdx.errors import Code, XRoadError

_INFO = Code.INCORRECT_VALIDATION_INFO


@dataclass(frozen=True)
class OcspInfo:
    """What a response says about one certificate (from its matching SingleResponse)."""

    serial_number: int
    status: str  # "good" | "revoked" | "unknown"
    produced_at: datetime
    this_update: datetime
    next_update: datetime | None
    responder: str  # responder name (RFC 4514) or "keyhash:<hex>"
    revocation_time: datetime | None = None
    revocation_reason: str | None = None
    responder_cert: x509.Certificate | None = None


def load_response(der: bytes) -> ocsp.OCSPResponse:
    """Parse a DER OCSPResponse; require responseStatus ``successful`` (RFC 6960 §4.2.1)."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as error:
        raise XRoadError(_INFO, f"malformed OCSP response ({error})") from None
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise XRoadError(_INFO, f"OCSP response status is {response.response_status.name}")
    return response


def _signature_hash(response: ocsp.OCSPResponse) -> hashes.HashAlgorithm | None:
    try:
        return response.signature_hash_algorithm
    except UnsupportedAlgorithm:
        raise XRoadError(
            _INFO, f"unsupported OCSP signature algorithm {response.signature_algorithm_oid}"
        ) from None


def _responder_label(response: ocsp.OCSPResponse) -> str:
    if response.responder_name is not None:
        return response.responder_name.rfc4514_string()
    return f"keyhash:{(response.responder_key_hash or b'').hex()}"


def _info(
    response: ocsp.OCSPResponse, single: ocsp.OCSPSingleResponse, signer: x509.Certificate | None
) -> OcspInfo:
    status = single.certificate_status
    reason = single.revocation_reason
    return OcspInfo(
        serial_number=single.serial_number,
        status={
            ocsp.OCSPCertStatus.GOOD: "good",
            ocsp.OCSPCertStatus.REVOKED: "revoked",
        }.get(status, "unknown"),
        produced_at=response.produced_at_utc,
        this_update=single.this_update_utc,
        next_update=single.next_update_utc,
        responder=_responder_label(response),
        revocation_time=single.revocation_time_utc,
        revocation_reason=reason.name if reason is not None else None,
        responder_cert=signer,
    )


def describe(der: bytes) -> list[OcspInfo]:
    """Every SingleResponse of a successful response, unverified (for logs and reports)."""
    response = load_response(der)
    try:
        return [_info(response, single, None) for single in response.responses]
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise XRoadError(_INFO, f"malformed OCSP response ({error})") from None


def _matching_single(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, serial: int
) -> ocsp.OCSPSingleResponse:
    """The SingleResponse whose CertID names ``serial`` under ``issuer`` (RFC 6960 §4.1.1)."""
    name_der = issuer.subject.public_bytes()
    for single in response.responses:
        algorithm = single.hash_algorithm
        if (
            single.serial_number == serial
            and single.issuer_name_hash == digest(name_der, algorithm)
            and single.issuer_key_hash == key_hash(issuer, algorithm)
        ):
            return single
    raise XRoadError(_INFO, f"OCSP response does not apply to certificate (serial {serial:x})")


def find_response(
    candidates: Iterable[bytes], *, issuer: x509.Certificate, serial_number: int
) -> bytes | None:
    """The first candidate whose CertID names ``serial_number`` under ``issuer`` (unverified)."""
    for der in candidates:
        try:
            _matching_single(load_response(der), issuer, serial_number)
        except (XRoadError, ValueError, TypeError, UnsupportedAlgorithm):
            continue
        return der
    return None


def _find_signer(
    response: ocsp.OCSPResponse, candidates: Iterable[x509.Certificate]
) -> x509.Certificate:
    """The certificate named by the ResponderID (byName or byKey, RFC 6960 §4.2.2.3) whose key
    made the signature. Several may share a name (CA key rollover, or a forged certificate
    embedded in the response): each is tried, and authority is checked afterwards."""
    named = [
        cert
        for cert in dict.fromkeys(candidates)
        if (
            cert.subject == response.responder_name
            if response.responder_name is not None
            else key_hash(cert) == response.responder_key_hash
        )
    ]
    if not named:
        raise XRoadError(
            _INFO, f"OCSP responder certificate not found ({_responder_label(response)})"
        )
    failure: XRoadError | None = None
    for cert in named:
        try:
            verify_signature(
                cert.public_key(),
                response.signature,
                response.tbs_response_bytes,
                hash_algorithm=_signature_hash(response),
                code=_INFO,
                what="OCSP response",
            )
        except XRoadError as error:
            failure = failure or error
            continue
        return cert
    assert failure is not None  # noqa: S101  # `named` is not empty
    raise failure


def _check_authorised(
    signer: x509.Certificate,
    issuer: x509.Certificate,
    trusted_responders: Iterable[x509.Certificate],
    at: datetime,
) -> None:
    """RFC 6960 §4.2.2.2: the CA itself, a configured responder, or a delegate of the CA."""
    if signer == issuer:
        return
    if signer in tuple(trusted_responders):
        return
    if issued_by(signer, issuer) and has_eku(signer, ExtendedKeyUsageOID.OCSP_SIGNING):
        if not signer.not_valid_before_utc <= at <= signer.not_valid_after_utc:
            raise XRoadError(_INFO, "OCSP responder certificate was not valid when it signed")
        return
    raise XRoadError(_INFO, "OCSP responder is not authorised for the certificate's issuer")


def check_times(
    info: OcspInfo,
    now: datetime,
    *,
    freshness_seconds: int = 3600,
    clock_skew_seconds: int = 60,
    verify_next_update: bool = True,
) -> None:
    """Not from the future, fresh at ``now``, ``nextUpdate`` not passed."""
    skew = timedelta(seconds=clock_skew_seconds)
    if info.this_update > now + skew:
        raise XRoadError(_INFO, f"OCSP response is from the future (thisUpdate {info.this_update})")
    if now - info.this_update > timedelta(seconds=freshness_seconds):
        raise XRoadError(
            _INFO,
            f"OCSP response is too old (thisUpdate {info.this_update}, "
            f"freshness {freshness_seconds} s)",
        )
    if verify_next_update and info.next_update is not None and info.next_update < now:
        raise XRoadError(_INFO, f"OCSP response nextUpdate {info.next_update} has passed")


def check_status(info: OcspInfo) -> None:
    if info.status == "revoked":
        raise XRoadError(
            Code.CERT_VALIDATION,
            f"certificate is revoked (serial {info.serial_number:x}, at {info.revocation_time}, "
            f"reason {info.revocation_reason or 'unspecified'})",
        )
    if info.status != "good":
        raise XRoadError(Code.CERT_VALIDATION, "OCSP response says the certificate is unknown")


def verify_response(
    der: bytes,
    *,
    issuer: x509.Certificate,
    serial_number: int,
    now: datetime,
    trusted_responders: Iterable[x509.Certificate] = (),
    freshness_seconds: int = 3600,
    clock_skew_seconds: int = 60,
    verify_next_update: bool = True,
    check_cert_status: bool = True,
) -> OcspInfo:
    """Verify a response about certificate ``serial_number`` issued by ``issuer`` at ``now``.

    ``trusted_responders`` are responder certificates the configuration lists for the CA; the
    responder may also be the CA itself or a certificate the CA issued with id-kp-OCSPSigning.
    Raises :class:`XRoadError`; returns what the response says when everything holds.
    """
    try:
        return _verify_response(
            load_response(der),
            issuer=issuer,
            serial_number=serial_number,
            now=now,
            trusted=tuple(trusted_responders),
            freshness_seconds=freshness_seconds,
            clock_skew_seconds=clock_skew_seconds,
            verify_next_update=verify_next_update,
            check_cert_status=check_cert_status,
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        # cryptography decodes fields lazily: a malformed inner field surfaces here.
        raise XRoadError(_INFO, f"malformed OCSP response ({error})") from None


def _verify_response(
    response: ocsp.OCSPResponse,
    *,
    issuer: x509.Certificate,
    serial_number: int,
    now: datetime,
    trusted: tuple[x509.Certificate, ...],
    freshness_seconds: int,
    clock_skew_seconds: int,
    verify_next_update: bool,
    check_cert_status: bool,
) -> OcspInfo:
    single = _matching_single(response, issuer, serial_number)
    signer = _find_signer(response, (*response.certificates, *trusted, issuer))
    # The responder must have been valid when it vouched for the status (thisUpdate); its
    # producedAt is the responder's own clock and is only reported.
    _check_authorised(signer, issuer, trusted, single.this_update_utc)
    info = _info(response, single, signer)
    check_times(
        info,
        now,
        freshness_seconds=freshness_seconds,
        clock_skew_seconds=clock_skew_seconds,
        verify_next_update=verify_next_update,
    )
    if check_cert_status:
        check_status(info)
    return info


def verify_for_certificate(
    der: bytes,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    now: datetime,
    **options: object,
) -> OcspInfo:
    """:func:`verify_response` for ``cert`` (whose issuer is ``issuer``)."""
    return verify_response(
        der,
        issuer=issuer,
        serial_number=cert.serial_number,
        now=now,
        **options,  # type: ignore[arg-type]  # keyword options passed through unchanged
    )


def build_request(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    algorithm: hashes.HashAlgorithm | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """A DER OCSPRequest for ``cert`` (CertID hashed with SHA-1 unless told otherwise)."""
    # SHA-1 CertIDs are what responders index by (RFC 6960 §4.1.1, RFC 5019 §2.1.1); the hash
    # names the certificate, it protects nothing.
    default = hashes.SHA1()  # noqa: S303
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm or default)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def responder_urls(cert: x509.Certificate) -> list[str]:
    """OCSP URLs from the certificate's Authority Information Access extension."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [
        d.access_location.value
        for d in aia
        if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]
