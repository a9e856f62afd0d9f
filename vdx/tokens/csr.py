"""PKCS#10 certification requests (RFC 2986) signed by a token key, and their subjects.

``cryptography`` signs CSRs only with keys it holds, so the request is assembled with
asn1crypto: ``CertificationRequestInfo`` (RFC 2986 §4.1) is encoded to DER, that DER is signed
by the token (the proof of possession, §3 step 2), and the signature is wrapped into
``CertificationRequest`` (§4.2). The result is handed back as a ``cryptography`` object, whose
``is_signature_valid`` the caller (and the CA) can check.
"""

from __future__ import annotations

from asn1crypto import core
from asn1crypto import csr as asn1_csr
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from vdx.crypto.xades_create import SigningKey
from vdx.identifiers import ClientId, SecurityServerId
from vdx.tokens.errors import SignerCode, token_error

# AlgorithmIdentifier names of asn1crypto for the XML-DSig methods a token key signs with.
_ALGORITHMS = {
    "rsa-sha256": "sha256_rsa",
    "rsa-sha384": "sha384_rsa",
    "rsa-sha512": "sha512_rsa",
    "ecdsa-sha256": "sha256_ecdsa",
    "ecdsa-sha384": "sha384_ecdsa",
    "ecdsa-sha512": "sha512_ecdsa",
}


def _algorithm_identifier(signature_method_uri: str) -> asn1_csr.SignedDigestAlgorithm:
    name = _ALGORITHMS.get(signature_method_uri.rpartition("#")[2])
    if name is None:
        raise token_error(SignerCode.UNSUPPORTED_SIGN_ALGORITHM, signature_method_uri)
    if name.endswith("_rsa"):
        # RFC 4055 §5 / RFC 3279 §2.2.1: PKCS#1 v1.5 identifiers carry NULL parameters.
        return asn1_csr.SignedDigestAlgorithm({"algorithm": name, "parameters": core.Null()})
    # RFC 5758 §3.2: ECDSA identifiers omit the parameters.
    return asn1_csr.SignedDigestAlgorithm({"algorithm": name})


def _der_ecdsa(raw: bytes) -> bytes:
    # XML-DSig and PKCS#11 give r || s; X.509 wants ECDSA-Sig-Value (RFC 3279 §2.2.3).
    half = len(raw) // 2
    r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    return encode_dss_signature(r, s)


def build_csr(
    subject: x509.Name, public_key_der: bytes, key: SigningKey
) -> x509.CertificateSigningRequest:
    """A CSR for ``subject`` over the key whose SubjectPublicKeyInfo is ``public_key_der``.

    ``key`` signs (its hash is the CSR's signature hash); it must hold the matching private
    key, which the returned request's ``is_signature_valid`` confirms.
    """
    info = asn1_csr.CertificationRequestInfo(
        {
            "version": "v1",  # RFC 2986 §4.1: version 0 ("v1")
            "subject": asn1_x509.Name.load(subject.public_bytes()),
            "subject_pk_info": asn1_keys.PublicKeyInfo.load(public_key_der),
            "attributes": asn1_csr.CRIAttributes([]),
        }
    )
    algorithm = _algorithm_identifier(key.signature_method_uri)
    signature = key.sign(info.dump())
    if algorithm.signature_algo == "ecdsa":
        signature = _der_ecdsa(signature)
    request = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": algorithm,
            "signature": signature,
        }
    )
    csr = x509.load_der_x509_csr(request.dump())
    if not csr.is_signature_valid:
        raise token_error(SignerCode.CSR_FAILED, "the token key does not match the public key")
    return csr


def csr_pem(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.PEM)


def _country(instance: str) -> x509.NameAttribute[str]:
    # X.520 countryName is PrintableString SIZE(2) (RFC 5280 Appendix A,
    # ub-country-name-alpha-length): only two-letter instance codes fit the profiles' C.
    if len(instance) != 2 or not instance.isascii() or not instance.isalpha():
        raise ValueError(
            f"instance {instance!r} cannot be a subject C (countryName is two letters)"
        )
    return x509.NameAttribute(NameOID.COUNTRY_NAME, instance)


def signing_subject(member: ClientId) -> x509.Name:
    """Subject of a member's signing certificate, as the dev CA's ``sign`` profile expects:
    C = instance, O = member class, CN = member code."""
    if member.subsystem_code is not None:
        raise ValueError("signing certificates are issued to members, not subsystems")
    return x509.Name(
        [
            _country(member.instance),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, member.member_class),
            x509.NameAttribute(NameOID.COMMON_NAME, member.member_code),
        ]
    )


def authentication_subject(server: SecurityServerId) -> x509.Name:
    """Subject of a security server's authentication certificate (dev CA ``auth`` profile):
    C = instance, O = owner's member class, serialNumber = owner's member code, CN = server code.
    Only CN is required by the profile; the rest identifies the owner."""
    owner = server.owner
    return x509.Name(
        [
            _country(owner.instance),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, owner.member_class),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, owner.member_code),
            x509.NameAttribute(NameOID.COMMON_NAME, server.server_code),
        ]
    )
