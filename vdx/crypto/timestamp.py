"""RFC 3161 timestamps: requests to a TSA and verification of its tokens.

X-Road timestamps each signature (or, in batches, the root of a hash chain over them). A token
is accepted when (RFC 3161 §2.4.2, the reference's ``TimestampVerifier``):

- it is a granted TimeStampResp or a bare TimeStampToken (CMS SignedData of a TSTInfo);
- its signer is the certificate of an approved TSA, valid at genTime, carrying the critical
  id-kp-timeStamping extended key usage (RFC 3161 §2.3);
- the signed attributes hold the content type id-ct-TSTInfo and a message digest equal to the
  digest of the TSTInfo, and the signature over them verifies;
- the message imprint equals the digest of the timestamped data, and the nonce is echoed.

Failures raise ``XRoadError(Code.TIMESTAMP_VALIDATION)``. ASN.1 is handled with asn1crypto,
which has no type stubs: its objects stay inside the small ``_``-prefixed functions below.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

# asn1crypto ships no type information; its values are narrowed with casts where they leave it.
from asn1crypto import algos, cms, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID

from vdx.crypto._asn1_verify import digest, hash_by_name, verify_signature
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, XRoadError

_TS = Code.TIMESTAMP_VALIDATION
SUPPORTED_IMPRINT_HASHES = ("sha256", "sha384", "sha512")


class _TimeStampResp(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """RFC 3161 §2.4.2 TimeStampResp; asn1crypto's own marks the token as required, but a
    refusal carries none."""

    _fields = [  # noqa: RUF012  # asn1crypto's declarative spec
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class TimestampRequest:
    der: bytes
    nonce: int | None
    hash_name: str
    imprint: bytes


@dataclass(frozen=True)
class TimestampInfo:
    """What a verified token attests."""

    gen_time: datetime
    serial_number: int
    policy: str
    hash_name: str
    imprint: bytes
    nonce: int | None
    tsa_cert: x509.Certificate
    token_der: bytes  # the TimeStampToken (ContentInfo) alone, as archived


def build_request(
    data: bytes,
    *,
    hash_name: str = "sha512",
    nonce: int | bool | None = True,
    cert_req: bool = True,
    policy: str | None = None,
) -> TimestampRequest:
    """A DER TimeStampReq over the digest of ``data`` (RFC 3161 §2.4.1).

    ``nonce=True`` draws a random 64-bit nonce; an int is used as given; ``None``/``False``
    sends none.
    """
    if hash_name not in SUPPORTED_IMPRINT_HASHES:
        raise XRoadError(Code.UNSUPPORTED_ALGORITHM, f"unsupported imprint digest {hash_name}")
    imprint = digest(data, hash_by_name(hash_name, _TS))
    chosen: int | None
    if nonce is True:
        chosen = secrets.randbits(63) | 1
    elif nonce is False or nonce is None:
        chosen = None
    else:
        chosen = int(nonce)
    return TimestampRequest(
        der=_encode_request(hash_name, imprint, chosen, cert_req, policy),
        nonce=chosen,
        hash_name=hash_name,
        imprint=imprint,
    )


def _encode_request(
    hash_name: str, imprint: bytes, nonce: int | None, cert_req: bool, policy: str | None
) -> bytes:
    fields: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": hash_name}, "hashed_message": imprint},
        "cert_req": cert_req,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    if policy is not None:
        fields["req_policy"] = policy
    return cast(bytes, tsp.TimeStampReq(fields).dump())


def _load_token(der: bytes) -> Any:
    """The ContentInfo of a TimeStampResp (status granted) or of a bare token."""
    try:
        info = cms.ContentInfo.load(der)
        if info["content_type"].native == "signed_data":
            _ = info["content"]["encap_content_info"]["content_type"].native
            return info
    except (ValueError, TypeError, KeyError):
        pass
    try:
        response = _TimeStampResp.load(der)
        status = response["status"]["status"].native
    except (ValueError, TypeError, KeyError) as error:
        raise XRoadError(_TS, f"malformed timestamp ({error})") from None
    if status not in {"granted", "granted_with_mods"}:
        text = str(response["status"]["status_string"].native)[:120]  # the TSA's own words
        raise XRoadError(_TS, f"TSA refused the request ({status}: {text})")
    token = response["time_stamp_token"]
    if isinstance(token, core.Void):
        raise XRoadError(_TS, "granted timestamp response has no token")
    return token


def token_from_response(der: bytes) -> bytes:
    """The TimeStampToken bytes of a TimeStampResp (or of a bare token)."""
    return cast(bytes, _load_token(der).dump())


def _signed_data(token: Any) -> tuple[Any, Any, bytes]:
    """(SignedData, TSTInfo, TSTInfo DER) with structural checks."""
    try:
        signed = token["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise XRoadError(_TS, "signed content is not a TSTInfo")
        content = encap["content"]
        raw = content.contents if isinstance(content, core.ParsableOctetString) else None
        if raw is None:
            raise XRoadError(_TS, "timestamp token has no TSTInfo content")
        tst = tsp.TSTInfo.load(raw)
        _ = tst.native  # parse everything now: errors surface here, not later
        signers = signed["signer_infos"]
        _ = signers.native
        _ = signed["certificates"].native
    except (ValueError, TypeError, KeyError) as error:
        raise XRoadError(_TS, f"malformed timestamp token ({error})") from None
    if len(signers) != 1:
        raise XRoadError(_TS, f"timestamp token has {len(signers)} signers, expected 1")
    return signed, tst, cast(bytes, raw)


def _embedded_certs(signed: Any) -> list[x509.Certificate]:
    found = []
    for choice in signed["certificates"] or []:
        if choice.name == "certificate":
            found.append(x509.load_der_x509_certificate(choice.chosen.dump()))
    return found


def _signer_cert(signer: Any, candidates: Iterable[x509.Certificate]) -> x509.Certificate | None:
    sid = signer["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            want_issuer = cast(bytes, sid.chosen["issuer"].dump())
            want_serial = cast(int, sid.chosen["serial_number"].native)
            if cert.serial_number == want_serial and cert.issuer.public_bytes() == want_issuer:
                return cert
        else:
            want_ski = cast(bytes, sid.chosen.native)
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == want_ski:
                return cert
    return None


def _check_tsa_cert(cert: x509.Certificate, gen_time: datetime) -> None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise XRoadError(_TS, "TSA certificate has no extended key usage") from None
    if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise XRoadError(
            _TS, "TSA certificate must have the critical id-kp-timeStamping key usage only"
        )
    if not cert.not_valid_before_utc <= gen_time <= cert.not_valid_after_utc:
        raise XRoadError(_TS, f"TSA certificate was not valid at genTime {gen_time}")


_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"  # RFC 2634 §5.4, ESSCertID with SHA-1
_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"  # RFC 5035 §3, ESSCertIDv2


def _check_signing_certificate(attrs: dict[str, Any], tsa_cert: x509.Certificate) -> None:
    """RFC 3161 §2.4.1 / RFC 5816: the token names its TSA certificate by hash, so another
    certificate with the same key cannot be substituted."""
    cert_der = tsa_cert.public_bytes(serialization.Encoding.DER)
    for oid in (_SIGNING_CERTIFICATE_V2, _SIGNING_CERTIFICATE):
        if oid not in attrs:
            continue
        signing_cert = core.Sequence.load(attrs[oid][0].dump())
        first = core.Sequence.load(signing_cert[0].dump())[0]  # first ESSCertID(v2)
        ess = core.Sequence.load(first.dump())
        if oid == _SIGNING_CERTIFICATE:
            algorithm, cert_hash = "sha1", cast(bytes, core.OctetString.load(ess[0].dump()).native)
        elif ess[0].dump()[:1] == b"\x30":  # explicit hashAlgorithm
            algorithm = cast(str, algos.DigestAlgorithm.load(ess[0].dump())["algorithm"].native)
            cert_hash = cast(bytes, core.OctetString.load(ess[1].dump()).native)
        else:  # DEFAULT sha256
            algorithm, cert_hash = (
                "sha256",
                cast(bytes, core.OctetString.load(ess[0].dump()).native),
            )
        if digest(cert_der, hash_by_name(algorithm, _TS)) != cert_hash:
            raise XRoadError(_TS, "signing-certificate attribute does not name the TSA certificate")
        return
    raise XRoadError(_TS, "timestamp token lacks the signing-certificate attribute")


def _check_signer_info(signer: Any, tsa_cert: x509.Certificate, tst_der: bytes) -> None:
    """CMS §5.4 and §5.6: signed attributes, message digest, signature."""
    digest_name = cast(str, signer["digest_algorithm"]["algorithm"].native)
    algorithm = hash_by_name(digest_name, _TS)
    attrs = signer["signed_attrs"]
    if attrs.native is None or len(attrs) == 0:
        signed_bytes = tst_der
    else:
        values = {a["type"].native: a["values"] for a in attrs}
        _check_signing_certificate({a["type"].dotted: a["values"] for a in attrs}, tsa_cert)
        if "content_type" not in values or values["content_type"][0].native != "tst_info":
            raise XRoadError(_TS, "signed attributes lack content type id-ct-TSTInfo")
        if "message_digest" not in values:
            raise XRoadError(_TS, "signed attributes lack the message digest")
        if values["message_digest"][0].native != digest(tst_der, algorithm):
            raise XRoadError(_TS, "message digest attribute does not match the TSTInfo")
        # The signature covers the attributes as an explicit SET OF, not [0] IMPLICIT.
        encoded = cast(bytes, attrs.dump())
        signed_bytes = b"\x31" + encoded[1:]
    sig_algo = signer["signature_algorithm"]
    pss = None
    if sig_algo.signature_algo == "rsassa_pss":
        params = sig_algo["parameters"]
        mgf_hash = hash_by_name(params["mask_gen_algorithm"]["parameters"]["algorithm"].native, _TS)
        pss = padding.PSS(padding.MGF1(mgf_hash), int(params["salt_length"].native))
        algorithm = hash_by_name(params["hash_algorithm"]["algorithm"].native, _TS)
    verify_signature(
        tsa_cert.public_key(),
        cast(bytes, signer["signature"].native),
        signed_bytes,
        hash_algorithm=algorithm,
        code=_TS,
        what="timestamp token",
        pss=pss,
    )


def verify_timestamp(
    token_der: bytes,
    *,
    data: bytes | None = None,
    imprint: bytes | None = None,
    trust: TrustConfig,
    nonce: int | None = None,
    now: datetime | None = None,
) -> TimestampInfo:
    """Verify a timestamp over ``data`` (or a precomputed ``imprint``) by an approved TSA.

    With ``now``, a genTime later than ``now`` (beyond the configured clock skew) is refused:
    a fresh token from the future means one of the clocks is wrong.

    Raises ``XRoadError(Code.TIMESTAMP_VALIDATION)``; returns what the token attests.
    """
    try:
        info = _verify(token_der, data=data, imprint=imprint, trust=trust, nonce=nonce)
    except (ValueError, TypeError, KeyError) as error:
        # asn1crypto decodes lazily: a malformed inner field surfaces wherever it is read.
        raise XRoadError(_TS, f"malformed timestamp token ({error})") from None
    if now is not None and info.gen_time > now + timedelta(seconds=trust.clock_skew_seconds):
        raise XRoadError(_TS, f"timestamp genTime {info.gen_time} is in the future")
    return info


def _verify(
    token_der: bytes,
    *,
    data: bytes | None,
    imprint: bytes | None,
    trust: TrustConfig,
    nonce: int | None,
) -> TimestampInfo:
    token = _load_token(token_der)
    signed, tst, tst_der = _signed_data(token)
    signer = signed["signer_infos"][0]
    fields = tst.native
    hash_name = cast(str, fields["message_imprint"]["hash_algorithm"]["algorithm"])
    got_imprint = cast(bytes, fields["message_imprint"]["hashed_message"])
    if imprint is None:
        if data is None:
            raise XRoadError(Code.INTERNAL_ERROR, "verify_timestamp needs data or imprint")
        imprint = digest(data, hash_by_name(hash_name, _TS))
    if got_imprint != imprint:
        raise XRoadError(_TS, "timestamp message imprint does not match the data")
    if nonce is not None and fields["nonce"] != nonce:
        raise XRoadError(_TS, "timestamp nonce does not match the request")
    gen_time = cast(datetime, fields["gen_time"])
    tsa_cert = _signer_cert(signer, trust.tsa_certificates())
    if tsa_cert is None:
        embedded = _signer_cert(signer, _embedded_certs(signed))
        who = embedded.subject.rfc4514_string() if embedded else "an unknown certificate"
        raise XRoadError(_TS, f"timestamp is signed by {who}, not an approved TSA")
    _check_tsa_cert(tsa_cert, gen_time)
    _check_signer_info(signer, tsa_cert, tst_der)
    return TimestampInfo(
        gen_time=gen_time,
        serial_number=cast(int, fields["serial_number"]),
        policy=cast(str, fields["policy"]),
        hash_name=hash_name,
        imprint=got_imprint,
        nonce=cast("int | None", fields["nonce"]),
        tsa_cert=tsa_cert,
        token_der=cast(bytes, token.dump()),
    )


def embedded_tsa_certificates(token_der: bytes) -> list[x509.Certificate]:
    """Certificates carried in a token (for reports; trust comes from the configuration)."""
    signed, _tst, _raw = _signed_data(_load_token(token_der))
    try:
        return _embedded_certs(signed)
    except ValueError as error:
        raise XRoadError(_TS, f"malformed certificate in timestamp token ({error})") from None
