"""Small cryptographic helpers shared by the OCSP, certificate and timestamp checks.

Kept apart so the verification modules read as rule lists; nothing here decides policy. Each
helper raises :class:`XRoadError` with the code its caller passes, so a failed signature is
reported with the code of the evidence being checked (OCSP response, timestamp token ...).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from vdx.errors import Code, XRoadError

HASHES_BY_NAME: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def hash_by_name(name: str, code: Code) -> hashes.HashAlgorithm:
    """The hash algorithm called ``name`` (``sha256`` ...), or an error with ``code``."""
    try:
        return HASHES_BY_NAME[name.lower().replace("-", "")]()
    except KeyError:
        raise XRoadError(code, f"unsupported digest algorithm {name!r}") from None


def digest(data: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    hasher = hashes.Hash(algorithm)
    hasher.update(data)
    return hasher.finalize()


def key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm | None = None) -> bytes:
    """Hash of the subjectPublicKey BIT STRING value (RFC 6960 §4.1.1 issuerKeyHash / KeyHash)."""
    if algorithm is None or isinstance(algorithm, hashes.SHA1):
        # RFC 5280 §4.2.1.2 method 1 is exactly SHA-1 over the same bytes.
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    return digest(_public_key_bits(cert), algorithm)


def _public_key_bits(cert: x509.Certificate) -> bytes:
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    # SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }
    body = _der_value(spki, 0)[0]
    _alg, rest = _der_value(body, 0)
    bits, _ = _der_value(rest, 0)
    return bits[1:]  # drop the unused-bits octet


def _der_value(data: bytes, offset: int) -> tuple[bytes, bytes]:
    """Value of the DER element at ``offset`` and the bytes after it (definite lengths only)."""
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return data[start : start + length], data[start + length :]


def verify_signature(
    public_key: object,
    signature: bytes,
    data: bytes,
    *,
    hash_algorithm: hashes.HashAlgorithm | None,
    code: Code,
    what: str,
    pss: padding.PSS | None = None,
) -> None:
    """Check ``signature`` over ``data``; raise ``XRoadError(code)`` naming ``what`` if it fails."""
    if hash_algorithm is None:
        raise XRoadError(code, f"{what}: signature algorithm without a digest is not supported")
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = pss if pss is not None else padding.PKCS1v15()
            public_key.verify(signature, data, pad, hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
        else:
            raise XRoadError(code, f"{what}: unsupported public key type")
    except InvalidSignature:
        raise XRoadError(code, f"{what}: signature is not valid") from None
    except (UnsupportedAlgorithm, ValueError, TypeError) as error:
        raise XRoadError(code, f"{what}: cannot verify signature ({error})") from None


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` names and signed ``cert``: a plain fact used while searching paths.

    ``cryptography`` refuses SHA-1 certificate signatures; X-Road evidence from before 2017
    (the reference's own vectors) is signed sha1WithRSA, so those are checked by hand.
    Which CAs to trust at all is the configuration's decision, not this function's.
    """
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, TypeError, UnsupportedAlgorithm):
        return False
    except ValueError:
        if not isinstance(cert.signature_hash_algorithm, hashes.SHA1):
            return False
        try:
            verify_signature(
                issuer.public_key(),
                cert.signature,
                cert.tbs_certificate_bytes,
                hash_algorithm=cert.signature_hash_algorithm,
                code=Code.INVALID_CERT_PATH,
                what="certificate",
            )
        except XRoadError:
            return False
    return True


def has_eku(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bool:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return False
    return oid in eku.value
