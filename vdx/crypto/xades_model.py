"""The X-Road XAdES signature profile: names, the typed model and the decoder.

An X-Road signature (``signature/bdoc-1.0/ts`` transport part, ``META-INF/signatures.xml`` in an
ASiC-E container) is an ``asic:XAdESSignatures`` document holding one ``ds:Signature``
(XML-DSig 1.1) with XAdES 1.3.2 qualifying properties (ETSI TS 101 903 / EN 319 132-1):

- ``ds:SignedInfo``: detached references to the signed files (``/message.xml``, ``/attachmentN``,
  or ``/sig-hashchainresult.xml`` for a batch), plus one reference of type ``SignedProperties``
  to ``#signed-properties`` (XAdES §6.3.1: the signed properties are covered by the signature);
- ``xades:SignedSignatureProperties``: ``SigningTime`` (§7.2.1) and ``SigningCertificate``
  (§7.2.2: digest, issuer and serial of the signer's certificate);
- ``xades:UnsignedSignatureProperties``: ``SignatureTimeStamp`` (§7.3) and
  ``RevocationValues/OCSPValues`` (§7.6.2) for the signer. Unlike XAdES §7.3 (c14n of the
  ``ds:SignatureValue`` element), the reference's token imprints the digest of the *decoded
  signature value octets* (measured on both ASiC vectors: SHA-256 in 2014, SHA-512 in 2024).

The decoder keeps the canonical octets of every same-document reference target and of
``SignedInfo`` as they are in *this* document (inclusive c14n renders the namespaces inherited
from the wrapper), so verification is a pure function of the decoded value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

DS_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS: Final = "http://uri.etsi.org/01903/v1.3.2#"
# ETSI TS 102 918 (ASiC) wrapper namespace; X-Road 7 writes v1.2.1, older versions v1.1.1.
ASIC_NS: Final = "http://uri.etsi.org/02918/v1.2.1#"
ASIC_NS_V111: Final = "http://uri.etsi.org/02918/v1.1.1#"
SIGNED_PROPERTIES_TYPE: Final = "http://uri.etsi.org/01903#SignedProperties"

# Signature methods (RFC 6931 §2.3.2 RSA, §2.3.6 ECDSA). RSA-SHA1 is not accepted.
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
ECDSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384: Final = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
ECDSA_SHA512: Final = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"


@dataclass(frozen=True, slots=True)
class SignatureMethod:
    """What a SignatureMethod URI means: key type and hash (``sha256`` ...)."""

    key_type: str  # "rsa" (PKCS#1 v1.5) or "ecdsa" (raw r||s, RFC 4050 / XML-DSig 1.1 §6.4.3)
    hash_name: str


SIGNATURE_METHODS: Final = {
    RSA_SHA256: SignatureMethod("rsa", "sha256"),
    RSA_SHA384: SignatureMethod("rsa", "sha384"),
    RSA_SHA512: SignatureMethod("rsa", "sha512"),
    ECDSA_SHA256: SignatureMethod("ecdsa", "sha256"),
    ECDSA_SHA384: SignatureMethod("ecdsa", "sha384"),
    ECDSA_SHA512: SignatureMethod("ecdsa", "sha512"),
}


@dataclass(frozen=True, slots=True)
class SignatureReference:
    """One ``ds:Reference`` of ``SignedInfo``.

    ``local_octets`` is set for same-document references (``#id``): the octets of the target
    after the reference's transforms (default: inclusive c14n, XML-DSig §4.4.3.2).
    """

    uri: str
    digest_method_uri: str
    digest_value: bytes
    transforms: tuple[str, ...] = ()
    reference_type: str | None = None
    reference_id: str | None = None
    local_octets: bytes | None = None

    @property
    def is_detached(self) -> bool:
        return not self.uri.startswith("#")


@dataclass(frozen=True, slots=True)
class SigningCertificateRef:
    """``xades:SigningCertificate/Cert``: how the signed properties identify the signer."""

    digest_method_uri: str
    digest_value: bytes
    issuer_name: str | None
    serial_number: int | None


@dataclass(frozen=True, slots=True)
class XadesSignature:
    """A decoded X-Road XAdES signature; all byte fields are exactly as found in the document."""

    signature_id: str | None
    signature_method_uri: str
    canonicalization_uri: str
    signed_info_octets: bytes  # canonical SignedInfo: the bytes the signature value covers
    references: tuple[SignatureReference, ...]
    signature_value: bytes  # as in the XML: PKCS#1 for RSA, r||s; the timestamp imprints it
    certificates: tuple[bytes, ...]  # DER of each ds:X509Certificate (signer first)
    signing_time: datetime
    signing_certificate: SigningCertificateRef
    signed_properties_id: str
    data_object_mime_types: tuple[tuple[str, str], ...]  # (ObjectReference, MimeType)
    ocsp_responses: tuple[bytes, ...]  # DER OCSPResponse of each EncapsulatedOCSPValue
    timestamp_tokens: tuple[bytes, ...]  # DER RFC 3161 TimeStampToken of each SignatureTimeStamp

    @property
    def detached_references(self) -> tuple[SignatureReference, ...]:
        return tuple(r for r in self.references if r.is_detached)

    @property
    def signer_certificate_der(self) -> bytes | None:
        return self.certificates[0] if self.certificates else None

    @property
    def timestamp_token(self) -> bytes | None:
        return self.timestamp_tokens[0] if self.timestamp_tokens else None
