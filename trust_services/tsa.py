"""The time-stamping authority's decision (RFC 3161), pure: request bytes in, reply bytes out.

The token is CMS SignedData (RFC 5652 §5) over a TSTInfo (RFC 3161 §2.4.2) with the signed
attributes RFC 3161 §2.4.1 and RFC 5816 ask for: content type, message digest and the ESS
signing-certificate-v2 attribute naming the TSA certificate. Signed attributes are DER sorted
(X.690 §11.6) because verifiers re-encode them before checking the signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from trust_services.pki import Issuer

# RFC 3161 §2.4.1: the digest length must match the algorithm.
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
DEFAULT_POLICY = "1.3.6.1.4.1.59999.3161.1"  # VDX development TSA policy (private arc)
MAX_REQUEST_BYTES = 4096


@dataclass(frozen=True, slots=True)
class TsaReply:
    """The DER reply and, when granted, the serial number it used."""

    der: bytes
    granted: bool
    reason: str = ""


class _RejectionResp(core.Sequence):  # type: ignore[misc]
    """TimeStampResp without a token (RFC 3161 §2.4.2: the token is OPTIONAL); asn1crypto's
    own class requires the token, so a rejection is encoded with this narrower spec."""

    _fields = [("status", tsp.PKIStatusInfo)]  # noqa: RUF012 - asn1crypto's declaration style


def _rejection(reason: str, failure: str) -> TsaReply:
    reply = _RejectionResp(
        {
            "status": tsp.PKIStatusInfo(
                {
                    "status": "rejection",
                    "status_string": [reason],
                    "fail_info": tsp.PKIFailureInfo({failure}),
                }
            )
        }
    )
    return TsaReply(reply.dump(), granted=False, reason=reason)


def parse_request(request_der: bytes) -> tuple[tsp.TimeStampReq | None, TsaReply | None]:
    """The request, or the rejection to send instead (RFC 3161 §2.4.2 failure info)."""
    if len(request_der) > MAX_REQUEST_BYTES:
        return None, _rejection("request too large", "bad_request")
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        request.native  # noqa: B018 - forces asn1crypto's lazy parser over the whole request
    except (ValueError, TypeError):
        return None, _rejection("request is not a DER TimeStampReq", "bad_data_format")
    if request["version"].native != "v1":
        return None, _rejection("unsupported request version", "bad_request")
    imprint = request["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in DIGEST_SIZES:
        return None, _rejection(f"unsupported hash algorithm {algorithm}", "bad_alg")
    if len(imprint["hashed_message"].native) != DIGEST_SIZES[algorithm]:
        return None, _rejection("digest length does not match the algorithm", "bad_data_format")
    return request, None


def respond(
    request_der: bytes,
    authority: Issuer,
    serial: int,
    now: dt.datetime,
    policy: str = DEFAULT_POLICY,
) -> TsaReply:
    """Grant a time-stamp token for a valid request, else a rejection."""
    request, rejection = parse_request(request_der)
    if rejection is not None or request is None:
        return rejection or _rejection("bad request", "bad_request")
    requested_policy = request["req_policy"].native
    if requested_policy is not None and requested_policy != policy:
        return _rejection(f"policy {requested_policy} is not offered", "unaccepted_policy")
    info = {
        "version": "v1",
        "policy": policy,
        "message_imprint": request["message_imprint"],
        "serial_number": serial,
        "gen_time": now.astimezone(dt.UTC).replace(microsecond=0),
        "accuracy": {"seconds": 1},
        "ordering": False,
    }
    if request["nonce"].native is not None:
        info["nonce"] = request["nonce"].native
    tst_info = tsp.TSTInfo(info)
    token = _signed_token(tst_info, authority, now, include_cert=bool(request["cert_req"].native))
    reply = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
    return TsaReply(reply.dump(), granted=True)


def _signed_token(
    tst_info: tsp.TSTInfo, authority: Issuer, now: dt.datetime, *, include_cert: bool
) -> cms.ContentInfo:
    cert_der = authority.cert.public_bytes(serialization.Encoding.DER)
    cert = asn1_x509.Certificate.load(cert_der)
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
        cms.CMSAttribute(
            {"type": "signing_time", "values": [cms.Time({"utc_time": now.astimezone(dt.UTC)})]}
        ),
        cms.CMSAttribute(
            {"type": "message_digest", "values": [hashlib.sha256(tst_info.dump()).digest()]}
        ),
        cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [
                    {
                        "certs": [
                            {
                                "hash_algorithm": {"algorithm": "sha256"},
                                "cert_hash": hashlib.sha256(cert_der).digest(),
                            }
                        ]
                    }
                ],
            }
        ),
    ]
    signed_attrs = cms.CMSAttributes(sorted(attributes, key=lambda a: a.dump()))
    signature, signature_algorithm = _sign(authority, signed_attrs.dump())
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": signature_algorithm,
            "signature": signature,
        }
    )
    signed_data = {
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": core.ParsableOctetString(tst_info.dump()),
        },
        "signer_infos": [signer],
    }
    if include_cert:
        signed_data["certificates"] = [cert]
    return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})


def _sign(authority: Issuer, data: bytes) -> tuple[bytes, algos.SignedDigestAlgorithm]:
    key = authority.key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return signature, algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
        return signature, algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    raise TypeError("the TSA key must be RSA or EC")
