"""Verification of X-Road XAdES signatures: value, references, signing-certificate binding.

Order of checks (each failure raises ``XRoadError``, nothing returns a bool):

1. the signer certificate: the one the caller expects, else the one embedded in ``KeyInfo``;
   if both exist they must be the same certificate (``IncorrectCertificate``);
2. the signature value over the canonical ``SignedInfo`` with the certificate's public key
   (``InvalidSignatureValue``) - first, so that any change to SignedInfo is reported as such;
3. every reference digest (``InvalidReference``): the signed properties (XAdES §6.3.1) and each
   detached file; every file the caller supplies must be covered (``InvalidReference``);
4. ``SigningCertificate``: the certificate digest (and serial) in the signed properties must be
   those of the signer certificate (XAdES §7.2.2; ``IncorrectCertificate``).

Certificate *validation* (path, validity at ``now``, OCSP status, timestamp) is the caller's
job with :mod:`vdx.crypto.certs`, :mod:`vdx.crypto.ocsp` and :mod:`vdx.crypto.timestamp`; the
verified result exposes the embedded OCSP responses and timestamp tokens (DER) for that.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vdx import xmlsafe
from vdx.crypto import digests
from vdx.crypto.hashchain import (
    HASH_CHAIN_FILE,
    MESSAGE_FILE,
    SIG_HASH_CHAIN_FILE,
    SIG_HASH_CHAIN_RESULT_FILE,
    Digest,
    HashChainResult,
)
from vdx.crypto.hashchain_verify import DocumentResolver, verify_hash_chain
from vdx.crypto.xades_decode import MANIFEST_TYPE, decode_signature
from vdx.crypto.xades_model import (
    SIGNATURE_METHODS,
    SIGNED_PROPERTIES_TYPE,
    XadesSignature,
)
from vdx.errors import Code, XRoadError

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """What a verified signature tells the caller, for certificate and evidence validation."""

    signer_certificate: x509.Certificate
    signing_time: datetime
    ocsp_responses: tuple[bytes, ...]
    timestamp_token: bytes | None
    signature: XadesSignature


def _signer(signature: XadesSignature, expected: x509.Certificate | None) -> x509.Certificate:
    embedded_der = signature.signer_certificate_der
    if expected is not None:
        if embedded_der is not None and embedded_der != expected.public_bytes(
            serialization.Encoding.DER
        ):
            raise XRoadError(
                Code.INCORRECT_CERTIFICATE, "Embedded certificate is not the expected signer"
            )
        return expected
    if embedded_der is None:
        raise XRoadError(Code.MALFORMED_SIGNATURE, "Signature carries no signer certificate")
    try:
        return x509.load_der_x509_certificate(embedded_der)
    except ValueError:
        raise XRoadError(
            Code.MALFORMED_SIGNATURE, "Embedded certificate is not valid DER"
        ) from None


def _raw_to_der_ecdsa(raw: bytes) -> bytes:
    # XML-DSig 1.1 §6.4.3: the value is r || s, each as wide as the curve order.
    if not raw or len(raw) % 2:
        raise XRoadError(Code.INVALID_SIGNATURE_VALUE, "ECDSA signature value has odd length")
    half = len(raw) // 2
    return encode_dss_signature(
        int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    )


def check_signature_value(
    public_key: object, method_uri: str, signed_octets: bytes, value: bytes
) -> None:
    """Verify one XML-DSig signature value; raises ``InvalidSignatureValue``."""
    method = SIGNATURE_METHODS.get(method_uri)
    if method is None:
        raise XRoadError(Code.UNSUPPORTED_ALGORITHM, f"Unsupported signature {method_uri:.100}")
    algorithm = _HASHES[method.hash_name]
    try:
        if method.key_type == "rsa" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, signed_octets, padding.PKCS1v15(), algorithm)
        elif method.key_type == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            width = (public_key.curve.key_size + 7) // 8
            if len(value) != 2 * width:
                raise XRoadError(Code.INVALID_SIGNATURE_VALUE, "ECDSA signature value size")
            public_key.verify(_raw_to_der_ecdsa(value), signed_octets, ec.ECDSA(algorithm))
        else:
            raise XRoadError(
                Code.INVALID_SIGNATURE_VALUE, "Signature method does not fit the signer key"
            )
    except InvalidSignature:
        raise XRoadError(Code.INVALID_SIGNATURE_VALUE, "Signature value is not valid") from None


def _check_references(signature: XadesSignature, data: Mapping[str, bytes]) -> None:
    covered: set[str] = set()
    signed_properties = 0
    for ref in signature.references:
        if ref.reference_type == MANIFEST_TYPE:
            raise XRoadError(
                Code.MALFORMED_SIGNATURE, "Manifest references (X-Road 5 format) are not supported"
            )
        if ref.local_octets is not None:
            if ref.uri != f"#{signature.signed_properties_id}":
                raise XRoadError(Code.MALFORMED_SIGNATURE, f"Unexpected reference {ref.uri:.60}")
            signed_properties += 1
            octets = ref.local_octets
        else:
            if ref.uri not in data:
                raise XRoadError(Code.INVALID_REFERENCE, f"No data for reference {ref.uri:.100}")
            octets = data[ref.uri]
            for transform in ref.transforms:
                octets = digests.canonicalize_document(octets, transform, xmlsafe.XmlLimits())
            covered.add(ref.uri)
        if not hmac.compare_digest(digests.digest(ref.digest_method_uri, octets), ref.digest_value):
            raise XRoadError(Code.INVALID_REFERENCE, f"Digest of {ref.uri:.100} does not match")
    if signed_properties != 1 or any(
        r.reference_type != SIGNED_PROPERTIES_TYPE
        for r in signature.references
        if r.local_octets is not None
    ):
        raise XRoadError(
            Code.MALFORMED_SIGNATURE, "Signature must reference its SignedProperties once"
        )
    uncovered = sorted(set(data) - covered)
    if uncovered:
        raise XRoadError(
            Code.INVALID_REFERENCE, f"Data not covered by the signature: {', '.join(uncovered)}"
        )


def _check_signing_certificate(signature: XadesSignature, signer: x509.Certificate) -> None:
    ref = signature.signing_certificate
    der = signer.public_bytes(serialization.Encoding.DER)
    if not hmac.compare_digest(digests.digest(ref.digest_method_uri, der), ref.digest_value):
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE, "SigningCertificate digest does not match the signer"
        )
    # The issuer name string is not compared: its rendering differs between implementations,
    # and the digest above already binds the exact certificate.
    if ref.serial_number is not None and ref.serial_number != signer.serial_number:
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE, "SigningCertificate serial does not match the signer"
        )


def verify_signature(
    signature: bytes | XadesSignature,
    data: Mapping[str, bytes],
    *,
    signer_certificate: x509.Certificate | None = None,
) -> VerifiedSignature:
    """Verify a signature over detached ``data`` (reference URI -> octets, e.g.
    ``{"/message.xml": soap_bytes, "/attachment1": ...}``). Every entry must be referenced."""
    if isinstance(signature, bytes):
        signature = decode_signature(signature)
    signer = _signer(signature, signer_certificate)
    check_signature_value(
        signer.public_key(),
        signature.signature_method_uri,
        signature.signed_info_octets,
        signature.signature_value,
    )
    _check_references(signature, data)
    _check_signing_certificate(signature, signer)
    return VerifiedSignature(
        signer_certificate=signer,
        signing_time=signature.signing_time,
        ocsp_responses=signature.ocsp_responses,
        timestamp_token=signature.timestamp_token,
        signature=signature,
    )


def verify_batch_signature(
    signature: bytes | XadesSignature,
    *,
    hash_chain_result: bytes,
    hash_chain: bytes,
    message_parts: Mapping[str, bytes],
    signer_certificate: x509.Certificate | None = None,
) -> tuple[VerifiedSignature, HashChainResult]:
    """Verify a batch signature over ``/sig-hashchainresult.xml`` and the message's inclusion.

    ``message_parts`` maps ``/message.xml`` and ``/attachmentN`` to their octets; each must be a
    leaf of the chain (``hash_chain``, stored as ``/sig-hashchain.xml``) ending in the result.
    """
    verified = verify_signature(
        signature,
        {SIG_HASH_CHAIN_RESULT_FILE: hash_chain_result},
        signer_certificate=signer_certificate,
    )
    if MESSAGE_FILE not in message_parts:
        raise XRoadError(Code.INVALID_REFERENCE, "Batch verification needs /message.xml")
    # The result names the chain file; X-Road 7 writes /sig-hashchain.xml, older /hashchain.xml.
    chains = {SIG_HASH_CHAIN_FILE: hash_chain, HASH_CHAIN_FILE: hash_chain}
    resolver = DocumentResolver({**chains, **message_parts})
    inputs: dict[str, Digest | None] = dict.fromkeys(message_parts)
    result = verify_hash_chain(hash_chain_result, resolver, inputs)
    return verified, result
