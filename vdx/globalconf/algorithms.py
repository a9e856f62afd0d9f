"""Hash and signature algorithm identifiers used by the signed configuration directory.

pr-gconf §2.3 and §2.4 name algorithms by their XML Signature URIs: hash algorithms from
XMLDSIG §6.2 (and RFC 6931 for the ``xmldsig-more`` ones), signature algorithms from XMLDSIG
§6.4. Only the ones an X-Road central server emits are accepted; anything else is refused as
``UnsupportedAlgorithm`` rather than guessed.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import Certificate

from vdx.errors import Code, XRoadError

SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

_HASHES = {SHA256: "sha256", SHA384: "sha384", SHA512: "sha512"}
# signature URI -> (key kind, hash)
_SIGNATURES: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    RSA_SHA256: ("rsa", hashes.SHA256),
    RSA_SHA384: ("rsa", hashes.SHA384),
    RSA_SHA512: ("rsa", hashes.SHA512),
    ECDSA_SHA256: ("ec", hashes.SHA256),
    ECDSA_SHA384: ("ec", hashes.SHA384),
    ECDSA_SHA512: ("ec", hashes.SHA512),
}


def digest(algorithm_uri: str, data: bytes) -> bytes:
    """Digest of ``data`` with the hash algorithm named by its XMLDSIG URI."""
    name = _HASHES.get(algorithm_uri.strip())
    if name is None:
        raise XRoadError(
            Code.UNSUPPORTED_ALGORITHM, f"Unsupported hash algorithm {algorithm_uri!r:.120}"
        )
    return hashlib.new(name, data).digest()


def check_signature_algorithm(algorithm_uri: str) -> None:
    if algorithm_uri.strip() not in _SIGNATURES:
        raise XRoadError(
            Code.UNSUPPORTED_ALGORITHM, f"Unsupported signature algorithm {algorithm_uri!r:.120}"
        )


def verify_signature(
    algorithm_uri: str, certificate: Certificate, signature: bytes, data: bytes
) -> None:
    """Check a raw (PKCS#1 v1.5 or DER ECDSA) signature; raise ``InvalidSignatureValue``."""
    check_signature_algorithm(algorithm_uri)
    kind, hash_type = _SIGNATURES[algorithm_uri.strip()]
    key = certificate.public_key()
    try:
        if kind == "rsa" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_type())
        elif kind == "ec" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_type()))
        else:
            raise XRoadError(
                Code.INVALID_SIGNATURE_VALUE,
                f"Verification key does not suit signature algorithm {algorithm_uri}",
            )
    except InvalidSignature:
        raise XRoadError(Code.INVALID_SIGNATURE_VALUE, "Signature value does not verify") from None
