"""A throwaway test PKI: root and intermediate CA, OCSP responder, TSA, auth and sign certs.

Keys are generated once per process (RSA 2048 is slow enough to matter when every test wants
a fresh set). Everything is built with ``cryptography``; RFC 3161 tokens are assembled with
``asn1crypto`` and signed with ``cryptography``, so the code under test meets tokens built by
a different path than the one it parses with.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vdx.crypto.trust import ApprovedCA, ApprovedTSA, OcspResponder, TrustConfig

NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2030, 1, 1, tzinfo=UTC)
OCSP_URL = "http://ocsp.test.invalid/"
TSA_URL = "http://tsa.test.invalid/"


@functools.cache
def key(label: str) -> rsa.RSAPrivateKey:
    """One RSA key per label per process."""
    del label  # the label only selects the cache slot
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_SHORT = {
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "organizationIdentifier": NameOID.ORGANIZATION_IDENTIFIER,
}


def name(cn: str, **extra: str) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, extra.pop("C", "VN"))]
    attrs += [x509.NameAttribute(_SHORT[k], v) for k, v in extra.items()]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def make_cert(
    subject: x509.Name,
    subject_key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool = False,
    usage: dict[str, bool] | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    not_before: datetime = NOT_BEFORE,
    not_after: datetime = NOT_AFTER,
    serial: int | None = None,
) -> x509.Certificate:
    flags = dict.fromkeys(
        [
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        ],
        False,
    )
    flags.update(usage or ({"key_cert_sign": True, "crl_sign": True} if ca else {}))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(subject_key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(**flags, encipher_only=False, decipher_only=False), critical=True
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False
        )
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    intermediate: x509.Certificate
    responder: x509.Certificate  # delegated by the intermediate, id-kp-OCSPSigning
    tsa: x509.Certificate  # issued by the root, critical id-kp-timeStamping
    auth: x509.Certificate  # issued by the intermediate
    sign: x509.Certificate  # issued by the intermediate
    other_root: x509.Certificate  # a CA nobody approved

    def trust(self, **overrides: object) -> TrustConfig:
        ca = ApprovedCA(
            name="VDX Test CA",
            top_ca=self.root,
            intermediates=(self.intermediate,),
            ocsp_responders=(OcspResponder(OCSP_URL),),
        )
        values: dict[str, object] = {
            "cas": (ca,),
            "tsas": (ApprovedTSA("VDX Test TSA", TSA_URL, self.tsa),),
        }
        values.update(overrides)
        return TrustConfig(**values)  # type: ignore[arg-type]


@functools.cache
def pki() -> Pki:
    root = make_cert(name("VDX Test Root CA", O="VDX"), key("root"), None, key("root"), ca=True)
    inter = make_cert(
        name("VDX Test Issuing CA", O="VDX"), key("inter"), root, key("root"), ca=True
    )
    responder = make_cert(
        name("VDX Test OCSP", O="VDX"),
        key("responder"),
        inter,
        key("inter"),
        usage={"digital_signature": True},
        eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    tsa = make_cert(
        name("VDX Test TSA", O="VDX"),
        key("tsa"),
        root,
        key("root"),
        usage={"digital_signature": True, "content_commitment": True},
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=True,
    )
    auth = make_cert(
        name("SS1", O="GOV", serialNumber="VN/SS1/GOV"),
        key("auth"),
        inter,
        key("inter"),
        usage={"digital_signature": True, "key_encipherment": True},
        eku=[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    )
    sign = make_cert(
        name("0102030405", O="GOV", C="VN"),
        key("sign"),
        inter,
        key("inter"),
        usage={"content_commitment": True},
    )
    other = make_cert(name("Rogue CA", O="Rogue"), key("other"), None, key("other"), ca=True)
    return Pki(root, inter, responder, tsa, auth, sign, other)


def ocsp_response(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    status: str = "good",
    this_update: datetime = NOW - timedelta(minutes=5),
    next_update: datetime | None = None,
    responder: x509.Certificate | None = None,
    responder_key: rsa.RSAPrivateKey | None = None,
    revocation_time: datetime | None = None,
    reason: x509.ReasonFlags | None = None,
    by_key: bool = False,
    include_certs: bool = True,
) -> bytes:
    """A DER OCSP response about ``cert`` signed by the responder (default: the delegate)."""
    p = pki()
    if responder is None:
        responder, responder_key = p.responder, key("responder")
    assert responder_key is not None
    cert_status = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=cert,
        issuer=issuer,
        algorithm=hashes.SHA1(),  # noqa: S303  # CertIDs use SHA-1 (RFC 5019 §2.1.1)
        cert_status=cert_status,
        this_update=this_update,
        next_update=next_update,
        revocation_time=(revocation_time or this_update) if status == "revoked" else None,
        revocation_reason=reason if status == "revoked" else None,
    )
    builder = builder.responder_id(
        ocsp.OCSPResponderEncoding.HASH if by_key else ocsp.OCSPResponderEncoding.NAME, responder
    )
    if include_certs:
        builder = builder.certificates([responder])
    response = builder.sign(responder_key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)


def tamper_signature(der: bytes) -> bytes:
    """Flip a bit near the end of a DER structure (inside its signature value)."""
    data = bytearray(der)
    data[-10] ^= 0x01
    return bytes(data)


# ---------------------------------------------------------------- RFC 3161 tokens


def _ax_cert(cert: x509.Certificate) -> ax509.Certificate:
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _with_signing_certificate(
    attrs: cms.CMSAttributes, tsa: x509.Certificate, kind: str
) -> cms.CMSAttributes:
    """Append an ESS signing-certificate(-v2) attribute (built as raw DER)."""
    der = tsa.public_bytes(serialization.Encoding.DER)
    if kind == "v1":
        oid, cert_hash = "1.2.840.113549.1.9.16.2.12", hashlib.sha1(der).digest()  # noqa: S324
    else:
        oid, cert_hash = "1.2.840.113549.1.9.16.2.47", hashlib.sha256(der).digest()
    if kind == "wrong":
        cert_hash = bytes(len(cert_hash))
    ess_cert_id = core.Sequence.load(
        core.Sequence(contents=core.OctetString(cert_hash).dump()).dump()
    )
    certs = core.Sequence(contents=ess_cert_id.dump())
    signing_certificate = core.Sequence(contents=certs.dump())
    attribute = core.Sequence(
        contents=core.ObjectIdentifier(oid).dump()
        + core.SetOf(contents=signing_certificate.dump()).dump()
    )
    raw = b"".join(a.dump() for a in attrs) + attribute.dump()
    return cms.CMSAttributes.load(core.SetOf(contents=raw).dump())


def timestamp_token(
    data: bytes,
    *,
    hash_name: str = "sha256",
    gen_time: datetime = NOW,
    nonce: int | None = None,
    tsa: x509.Certificate | None = None,
    tsa_key: rsa.RSAPrivateKey | None = None,
    include_cert: bool = True,
    imprint: bytes | None = None,
    as_response: bool = False,
    tamper_message_digest: bool = False,
    signing_cert: str = "v2",  # "v2" | "v1" | "none" | "wrong"
) -> bytes:
    """A TimeStampToken (or TimeStampResp when ``as_response``) over ``data``'s digest."""
    p = pki()
    if tsa is None:
        tsa, tsa_key = p.tsa, key("tsa")
    assert tsa_key is not None
    digest = imprint if imprint is not None else hashlib.new(hash_name, data).digest()
    info = {
        "version": "v1",
        "policy": "1.3.6.1.4.1.99999.1",
        "message_imprint": {
            "hash_algorithm": {"algorithm": hash_name},
            "hashed_message": digest,
        },
        "serial_number": 42,
        "gen_time": gen_time,
    }
    if nonce is not None:
        info["nonce"] = nonce
    tst_der = tsp.TSTInfo(info).dump()
    content_digest = hashlib.sha256(tst_der).digest()
    if tamper_message_digest:
        content_digest = bytes(32)
    attrs = [
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "signing_time", "values": [cms.Time({"utc_time": gen_time})]},
        {"type": "message_digest", "values": [content_digest]},
    ]
    signed_attrs = cms.CMSAttributes(attrs)
    if signing_cert != "none":
        signed_attrs = _with_signing_certificate(signed_attrs, tsa, signing_cert)
    signature = tsa_key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    ax_tsa = _ax_cert(tsa)
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": ax_tsa.issuer,
                        "serial_number": ax_tsa.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
            "signature": signature,
        }
    )
    signed = {
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": core.ParsableOctetString(tst_der),
        },
        "signer_infos": [signer],
    }
    if include_cert:
        signed["certificates"] = [ax_tsa]
    token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed)})
    if as_response:
        return tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": token}
        ).dump()
    return token.dump()
