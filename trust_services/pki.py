"""Pure certificate builders of the development CA: roots, responders, TSAs, end entities.

Everything here takes keys, names and ``now`` and returns certificates; nothing touches disk or
the clock. Extensions follow RFC 5280 §4.2 for CAs and end entities, RFC 6960 §4.2.2.2 for a
delegated OCSP responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) and RFC 3161 §2.3 for a TSA
(critical id-kp-timeStamping as its only extended key usage).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

CA_VALIDITY = dt.timedelta(days=3650)
SERVICE_VALIDITY = dt.timedelta(days=1825)
END_ENTITY_VALIDITY = dt.timedelta(days=730)
# Backdating absorbs small clock differences between the CA and its relying parties.
BACKDATE = dt.timedelta(minutes=5)


def new_key(kind: str = "rsa2048") -> PrivateKey:
    """Generate a key: ``rsa2048``, ``rsa3072`` or ``ec-p256``."""
    if kind == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    sizes = {"rsa2048": 2048, "rsa3072": 3072}
    if kind not in sizes:
        raise ValueError(f"unknown key kind {kind!r}: use rsa2048, rsa3072 or ec-p256")
    return rsa.generate_private_key(public_exponent=65537, key_size=sizes[kind])


def name(common_name: str, organization: str = "VDX Development") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def serial_number() -> int:
    # RFC 5280 §4.1.2.2: positive, at most 20 octets; 159 random bits keep it unique.
    return secrets.randbits(159) | 1


@dataclass(frozen=True, slots=True)
class Issuer:
    """A CA that signs: its certificate and key."""

    cert: x509.Certificate
    key: PrivateKey


def _builder(
    *,
    subject: x509.Name,
    issuer_name: x509.Name,
    public_key: CertificatePublicKeyTypes,
    now: dt.datetime,
    validity: dt.timedelta,
    issuer_key: PrivateKey,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )


def _key_usage(**enabled: bool) -> x509.KeyUsage:
    flags = {
        "digital_signature": False,
        "content_commitment": False,
        "key_encipherment": False,
        "data_encipherment": False,
        "key_agreement": False,
        "key_cert_sign": False,
        "crl_sign": False,
        "encipher_only": False,
        "decipher_only": False,
    }
    flags.update(enabled)
    return x509.KeyUsage(**flags)


def _sign(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    return builder.sign(key, hashes.SHA256())


def root_ca(key: PrivateKey, subject: x509.Name, now: dt.datetime) -> x509.Certificate:
    builder = _builder(
        subject=subject,
        issuer_name=subject,
        public_key=key.public_key(),
        now=now,
        validity=CA_VALIDITY,
        issuer_key=key,
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), True)
    return _sign(builder, key)


def intermediate_ca(
    issuer: Issuer, key: PrivateKey, subject: x509.Name, now: dt.datetime
) -> x509.Certificate:
    builder = _builder(
        subject=subject,
        issuer_name=issuer.cert.subject,
        public_key=key.public_key(),
        now=now,
        validity=CA_VALIDITY,
        issuer_key=issuer.key,
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), True)
    return _sign(builder, issuer.key)


def ocsp_responder(
    issuer: Issuer, key: PrivateKey, subject: x509.Name, now: dt.datetime
) -> x509.Certificate:
    """A delegated responder for ``issuer`` (RFC 6960 §4.2.2.2)."""
    builder = _builder(
        subject=subject,
        issuer_name=issuer.cert.subject,
        public_key=key.public_key(),
        now=now,
        validity=SERVICE_VALIDITY,
        issuer_key=issuer.key,
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    builder = builder.add_extension(_key_usage(digital_signature=True), True)
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False
    )
    # id-pkix-ocsp-nocheck: relying parties need not check the responder's own status.
    builder = builder.add_extension(x509.OCSPNoCheck(), False)
    return _sign(builder, issuer.key)


def tsa(issuer: Issuer, key: PrivateKey, subject: x509.Name, now: dt.datetime) -> x509.Certificate:
    """A time-stamping authority certificate (RFC 3161 §2.3: critical, sole EKU)."""
    builder = _builder(
        subject=subject,
        issuer_name=issuer.cert.subject,
        public_key=key.public_key(),
        now=now,
        validity=SERVICE_VALIDITY,
        issuer_key=issuer.key,
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    builder = builder.add_extension(
        _key_usage(digital_signature=True, content_commitment=True), True
    )
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True
    )
    return _sign(builder, issuer.key)


def end_entity(
    issuer: Issuer,
    csr: x509.CertificateSigningRequest,
    purpose: str,
    now: dt.datetime,
    validity: dt.timedelta = END_ENTITY_VALIDITY,
) -> x509.Certificate:
    """Issue an authentication (``auth``) or signing (``sign``) certificate for a CSR.

    X-Road authentication certificates serve TLS in both directions between security servers;
    signing certificates carry non-repudiation for members' message signatures.
    """
    public_key = csr.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError("only RSA and EC keys are certified")
    builder = _builder(
        subject=csr.subject,
        issuer_name=issuer.cert.subject,
        public_key=public_key,
        now=now,
        validity=validity,
        issuer_key=issuer.key,
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    if purpose == "auth":
        usage = _key_usage(
            digital_signature=True, key_encipherment=isinstance(public_key, rsa.RSAPublicKey)
        )
        builder = builder.add_extension(usage, True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            False,
        )
    elif purpose == "sign":
        builder = builder.add_extension(_key_usage(content_commitment=True), True)
    else:
        raise ValueError(f"unknown certificate purpose {purpose!r}")
    return _sign(builder, issuer.key)
