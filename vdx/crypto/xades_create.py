"""Creation of X-Road XAdES signatures (single message and batch over a hash chain).

The document has the shape X-Road 7 writes (see ``xades_model``): references carry ``Id``s and
``DataObjectFormat`` points at them (``#signature-reference-N``); canonicalisation is inclusive
c14n 1.0; digests default to SHA-512 as in the reference. The key operation is behind
:class:`SigningKey`, so a key in a PKCS#11 token can sign as well as a key object in memory.
``SignaturePolicyIdentifier`` (written by X-Road 7.5+) is not produced: it is optional in
XAdES-BES and our verifier, like the reference's, does not require it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

from vdx import xmlsafe
from vdx.crypto import digests
from vdx.crypto.hashchain import SIG_HASH_CHAIN_FILE, SIG_HASH_CHAIN_RESULT_FILE
from vdx.crypto.hashchain_build import build_hash_chains
from vdx.crypto.xades_decode import decode_signature
from vdx.crypto.xades_model import ASIC_NS, DS_NS, SIGNED_PROPERTIES_TYPE, XADES_NS

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class SigningKey(Protocol):
    """A private-key operation: returns the XML-DSig ``SignatureValue`` octets for ``data``
    (PKCS#1 v1.5 for RSA; raw ``r || s`` for ECDSA, as a PKCS#11 ``CKM_ECDSA`` token gives)."""

    @property
    def signature_method_uri(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class PrivateKeySigner:
    """A :class:`SigningKey` over an in-memory RSA or EC private key."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    hash_name: str = "sha512"

    @property
    def signature_method_uri(self) -> str:
        kind = "rsa" if isinstance(self.key, rsa.RSAPrivateKey) else "ecdsa"
        return f"http://www.w3.org/2001/04/xmldsig-more#{kind}-{self.hash_name}"

    def sign(self, data: bytes) -> bytes:
        algorithm = _HASHES[self.hash_name]
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, padding.PKCS1v15(), algorithm)
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(algorithm)))
        width = (self.key.curve.key_size + 7) // 8
        return r.to_bytes(width, "big") + s.to_bytes(width, "big")


@dataclass(frozen=True)
class CallableSigner:
    """A :class:`SigningKey` over a function, e.g. a call into a token or a signer service."""

    sign_function: Callable[[bytes], bytes]
    signature_method_uri: str

    def sign(self, data: bytes) -> bytes:
        return self.sign_function(data)


@dataclass(frozen=True, slots=True)
class DataPart:
    """A detached file the signature covers: ``/message.xml``, ``/attachment1`` ..."""

    uri: str
    data: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class BatchSignature:
    """One signature over a hash-chain result, and each message's chain proving inclusion."""

    signature_xml: bytes
    hash_chain_result: bytes  # stored as /sig-hashchainresult.xml
    hash_chains: tuple[bytes, ...]  # per message, stored as /sig-hashchain.xml


def _sub(parent: etree._Element, ns: str, local: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{local}")
    if text is not None:
        element.text = text
    return element


def _digest_elements(parent: etree._Element, method_uri: str, value: bytes) -> None:
    _sub(parent, DS_NS, "DigestMethod").set("Algorithm", method_uri)
    _sub(parent, DS_NS, "DigestValue", digests.encode_base64(value))


def _signing_time(now: datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("signing time must be timezone-aware")
    utc = now.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _signed_properties(
    parent: etree._Element,
    certificate: x509.Certificate,
    now: datetime,
    digest_method_uri: str,
    parts: Sequence[DataPart],
) -> etree._Element:
    properties = _sub(parent, XADES_NS, "SignedProperties")
    properties.set("Id", "signed-properties")
    signature_props = _sub(properties, XADES_NS, "SignedSignatureProperties")
    _sub(signature_props, XADES_NS, "SigningTime", _signing_time(now))
    cert = _sub(_sub(signature_props, XADES_NS, "SigningCertificate"), XADES_NS, "Cert")
    der = certificate.public_bytes(serialization.Encoding.DER)
    _digest_elements(
        _sub(cert, XADES_NS, "CertDigest"),
        digest_method_uri,
        digests.digest(digest_method_uri, der),
    )
    issuer_serial = _sub(cert, XADES_NS, "IssuerSerial")
    _sub(issuer_serial, DS_NS, "X509IssuerName", certificate.issuer.rfc4514_string())
    _sub(issuer_serial, DS_NS, "X509SerialNumber", str(certificate.serial_number))
    data_objects = _sub(properties, XADES_NS, "SignedDataObjectProperties")
    for index, part in enumerate(parts, start=1):
        data_format = _sub(data_objects, XADES_NS, "DataObjectFormat")
        data_format.set("ObjectReference", f"#signature-reference-{index}")
        _sub(data_format, XADES_NS, "MimeType", part.mime_type)
    return properties


def _unsigned_properties(
    qualifying: etree._Element, ocsp_responses: Sequence[bytes], timestamp_token: bytes | None
) -> None:
    if not ocsp_responses and timestamp_token is None:
        return
    unsigned = qualifying.find(f"{{{XADES_NS}}}UnsignedProperties")
    if unsigned is None:
        unsigned = _sub(qualifying, XADES_NS, "UnsignedProperties")
    props = unsigned.find(f"{{{XADES_NS}}}UnsignedSignatureProperties")
    if props is None:
        props = _sub(unsigned, XADES_NS, "UnsignedSignatureProperties")
    if timestamp_token is not None:
        stamp = _sub(props, XADES_NS, "SignatureTimeStamp")
        _sub(stamp, XADES_NS, "EncapsulatedTimeStamp", digests.encode_base64(timestamp_token))
    if ocsp_responses:
        values = _sub(_sub(props, XADES_NS, "RevocationValues"), XADES_NS, "OCSPValues")
        for number, response in enumerate(ocsp_responses, start=1):
            value = _sub(values, XADES_NS, "EncapsulatedOCSPValue", digests.encode_base64(response))
            value.set("Id", f"ocsp-response-{number}")


def create_signature(
    parts: Sequence[DataPart],
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    now: datetime,
    digest_method_uri: str = digests.SHA512,
    ocsp_responses: Sequence[bytes] = (),
    timestamp_token: bytes | None = None,
) -> bytes:
    """Sign the detached ``parts`` and return the ``asic:XAdESSignatures`` document."""
    if not parts:
        raise ValueError("a signature must cover at least one data part")
    digests.hash_name(digest_method_uri)
    root = etree.Element(
        f"{{{ASIC_NS}}}XAdESSignatures", nsmap={"asic": ASIC_NS, "ds": DS_NS, "xades": XADES_NS}
    )
    signature = _sub(root, DS_NS, "Signature")
    signature.set("Id", "signature")
    signed_info = _sub(signature, DS_NS, "SignedInfo")
    _sub(signed_info, DS_NS, "CanonicalizationMethod").set("Algorithm", digests.C14N)
    _sub(signed_info, DS_NS, "SignatureMethod").set("Algorithm", key.signature_method_uri)
    properties_ref = _sub(signed_info, DS_NS, "Reference")
    properties_ref.set("Id", "signature-reference-0")
    properties_ref.set("Type", SIGNED_PROPERTIES_TYPE)
    properties_ref.set("URI", "#signed-properties")
    for index, part in enumerate(parts, start=1):
        reference = _sub(signed_info, DS_NS, "Reference")
        reference.set("Id", f"signature-reference-{index}")
        reference.set("URI", part.uri)
        _digest_elements(reference, digest_method_uri, digests.digest(digest_method_uri, part.data))
    value = _sub(signature, DS_NS, "SignatureValue")
    value.set("Id", "signature-value")
    der = certificate.public_bytes(serialization.Encoding.DER)
    x509_data = _sub(_sub(signature, DS_NS, "KeyInfo"), DS_NS, "X509Data")
    _sub(x509_data, DS_NS, "X509Certificate", digests.encode_base64(der))
    qualifying = _sub(_sub(signature, DS_NS, "Object"), XADES_NS, "QualifyingProperties")
    qualifying.set("Target", "#signature")
    properties = _signed_properties(qualifying, certificate, now, digest_method_uri, parts)
    # The signed properties are digested in place: inclusive c14n sees the final ancestors.
    properties_octets = digests.canonicalize(properties, digests.C14N)
    _digest_elements(
        properties_ref, digest_method_uri, digests.digest(digest_method_uri, properties_octets)
    )
    value.text = digests.encode_base64(key.sign(digests.canonicalize(signed_info, digests.C14N)))
    _unsigned_properties(qualifying, ocsp_responses, timestamp_token)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False)


def add_unsigned_properties(
    signature_xml: bytes,
    *,
    ocsp_responses: Sequence[bytes] = (),
    timestamp_token: bytes | None = None,
) -> bytes:
    """Add OCSP responses and/or a signature timestamp to a signature VDX created.

    Unsigned properties are outside ``SignedInfo``, so the signature stays valid. As in the
    reference, the timestamp's message imprint is the digest of the decoded signature value
    (``decode_signature(xml).signature_value``), not of the c14n element XAdES §7.3 describes.
    """
    decode_signature(signature_xml)  # refuse anything that is not a well-formed signature
    root = xmlsafe.parse(signature_xml)
    qualifying = root.find(f".//{{{XADES_NS}}}QualifyingProperties")
    if qualifying is None:  # unreachable: decode_signature checked it
        raise ValueError("signature without QualifyingProperties")
    _unsigned_properties(qualifying, ocsp_responses, timestamp_token)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False)


def create_batch_signature(
    messages: Sequence[Sequence[bytes]],
    *,
    key: SigningKey,
    certificate: x509.Certificate,
    now: datetime,
    digest_method_uri: str = digests.SHA512,
    ocsp_responses: Sequence[bytes] = (),
) -> BatchSignature:
    """Sign several messages at once (per message: its octets, then its attachments' octets).

    One signature covers ``/sig-hashchainresult.xml``; each message gets the hash chain that
    links its ``/message.xml`` (and ``/attachmentN``) to that result. One message without
    attachments needs no chain: use :func:`create_signature` for it.
    """
    leaf_digests = [[digests.digest(digest_method_uri, p) for p in parts] for parts in messages]
    bundle = build_hash_chains(
        leaf_digests, method_uri=digest_method_uri, hash_chain_file=SIG_HASH_CHAIN_FILE
    )
    part = DataPart(SIG_HASH_CHAIN_RESULT_FILE, bundle.result_xml, "application/hash-chain-result")
    signature = create_signature(
        [part],
        key=key,
        certificate=certificate,
        now=now,
        digest_method_uri=digest_method_uri,
        ocsp_responses=ocsp_responses,
    )
    return BatchSignature(signature, bundle.result_xml, bundle.hash_chains)
