"""Decoder of X-Road XAdES signature documents (untrusted bytes to ``XadesSignature``).

Structure problems raise ``MalformedSignature``; unknown algorithms ``UnsupportedAlgorithm``.
Defences against signature wrapping (XML-DSig best practices §2.1): the document holds exactly
one ``ds:Signature``; ``Id`` values are unique; a same-document reference may only point into
that signature (at its ``xades:SignedProperties`` or, in the X-Road 5 format, a ``ds:Manifest``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from lxml import etree

from vdx import xmlsafe
from vdx.crypto import digests
from vdx.crypto.xades_model import (
    ASIC_NS,
    ASIC_NS_V111,
    DS_NS,
    SIGNATURE_METHODS,
    XADES_NS,
    SignatureReference,
    SigningCertificateRef,
    XadesSignature,
)
from vdx.errors import Code, XRoadError

MANIFEST_TYPE: Final = "http://www.w3.org/2000/09/xmldsig#Manifest"


def _ds(local: str) -> str:
    return f"{{{DS_NS}}}{local}"


def _xades(local: str) -> str:
    return f"{{{XADES_NS}}}{local}"


def _malformed(message: str) -> XRoadError:
    return XRoadError(Code.MALFORMED_SIGNATURE, message)


def _one(parent: etree._Element, tag: str, what: str) -> etree._Element:
    found = parent.findall(tag)
    if len(found) != 1:
        raise _malformed(f"Expected exactly one {what}, found {len(found)}")
    return found[0]


def _optional(parent: etree._Element, tag: str, what: str) -> etree._Element | None:
    found = parent.findall(tag)
    if len(found) > 1:
        raise _malformed(f"More than one {what}")
    return found[0] if found else None


def _algorithm(element: etree._Element) -> str:
    algorithm = element.get("Algorithm")
    if not algorithm:
        raise _malformed(f"{etree.QName(element).localname} without Algorithm")
    return algorithm


def _b64(element: etree._Element, what: str) -> bytes:
    return digests.decode_base64(xmlsafe.text_of(element), what, Code.MALFORMED_SIGNATURE)


def _find_signature(root: etree._Element) -> etree._Element:
    if root.tag == _ds("Signature"):
        return root
    if root.tag not in {f"{{{ASIC_NS}}}XAdESSignatures", f"{{{ASIC_NS_V111}}}XAdESSignatures"}:
        raise _malformed(f"Unexpected signature document root {str(root.tag)[:80]}")
    return _one(root, _ds("Signature"), "ds:Signature in XAdESSignatures")


def _ids(root: etree._Element) -> dict[str, etree._Element]:
    by_id: dict[str, etree._Element] = {}
    for element in root.iter():
        value = element.get("Id") if isinstance(element.tag, str) else None
        if value is None:
            continue
        if value in by_id:
            raise _malformed(f"Duplicate Id {value!r:.60}")
        by_id[value] = element
    return by_id


def _reference(
    element: etree._Element, signature: etree._Element, by_id: dict[str, etree._Element]
) -> SignatureReference:
    uri = element.get("URI")
    if uri is None or uri in {"", "#"}:
        raise _malformed("Reference without a URI (the profile has no enveloped references)")
    transforms_element = _optional(element, _ds("Transforms"), "ds:Transforms")
    transforms = (
        tuple(_algorithm(t) for t in transforms_element.findall(_ds("Transform")))
        if transforms_element is not None
        else ()
    )
    method = _algorithm(_one(element, _ds("DigestMethod"), "ds:DigestMethod in Reference"))
    value = _b64(_one(element, _ds("DigestValue"), "ds:DigestValue in Reference"), "DigestValue")
    local_octets = None
    if uri.startswith("#"):
        local_octets = _local_octets(uri[1:], transforms, signature, by_id)
    return SignatureReference(
        uri=uri,
        digest_method_uri=method,
        digest_value=value,
        transforms=transforms,
        reference_type=element.get("Type"),
        reference_id=element.get("Id"),
        local_octets=local_octets,
    )


def _local_octets(
    target_id: str,
    transforms: tuple[str, ...],
    signature: etree._Element,
    by_id: dict[str, etree._Element],
) -> bytes:
    target = by_id.get(target_id)
    if target is None or not any(a is signature for a in target.iterancestors()):
        raise _malformed(f"Reference target #{target_id:.60} is not inside the signature")
    if target.tag not in {_xades("SignedProperties"), _ds("Manifest")}:
        raise _malformed(f"Reference target #{target_id:.60} is not SignedProperties")
    if len(transforms) > 1:
        raise XRoadError(Code.UNSUPPORTED_ALGORITHM, "More than one transform on a reference")
    # XML-DSig §4.4.3.2: without a transform, a node-set is turned into octets by inclusive c14n.
    return digests.canonicalize(target, transforms[0] if transforms else digests.C14N)


def _signing_certificate(properties: etree._Element) -> SigningCertificateRef:
    signing_cert = _one(properties, _xades("SigningCertificate"), "xades:SigningCertificate")
    certs = signing_cert.findall(_xades("Cert"))
    if not certs:
        raise _malformed("SigningCertificate without Cert")
    cert = certs[0]  # XAdES §7.2.2: the first Cert identifies the signer's own certificate
    cert_digest = _one(cert, _xades("CertDigest"), "xades:CertDigest")
    issuer_serial = _optional(cert, _xades("IssuerSerial"), "xades:IssuerSerial")
    issuer = serial = None
    if issuer_serial is not None:
        issuer = issuer_serial.findtext(_ds("X509IssuerName"))
        serial_text = (issuer_serial.findtext(_ds("X509SerialNumber")) or "").strip()
        if not serial_text.isdigit():
            raise _malformed("X509SerialNumber is not a non-negative integer")
        serial = int(serial_text)
    return SigningCertificateRef(
        digest_method_uri=_algorithm(_one(cert_digest, _ds("DigestMethod"), "ds:DigestMethod")),
        digest_value=_b64(_one(cert_digest, _ds("DigestValue"), "ds:DigestValue"), "CertDigest"),
        issuer_name=issuer,
        serial_number=serial,
    )


def _signing_time(properties: etree._Element) -> datetime:
    text = _one(properties, _xades("SigningTime"), "xades:SigningTime").text or ""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _malformed(f"SigningTime is not an xs:dateTime: {text!r:.40}") from None
    if value.tzinfo is None:
        raise _malformed("SigningTime has no time zone")
    return value


def _timestamps(unsigned: etree._Element | None) -> tuple[bytes, ...]:
    if unsigned is None:
        return ()
    tokens: list[bytes] = []
    for stamp in unsigned.findall(_xades("SignatureTimeStamp")):
        encapsulated = stamp.findall(_xades("EncapsulatedTimeStamp"))
        # X-Road versions before 6.x put the base64 token directly into SignatureTimeStamp.
        sources = encapsulated or [stamp]
        tokens.extend(_b64(s, "SignatureTimeStamp") for s in sources)
    return tuple(tokens)


def _ocsp_values(unsigned: etree._Element | None) -> tuple[bytes, ...]:
    if unsigned is None:
        return ()
    path = f"{_xades('RevocationValues')}/{_xades('OCSPValues')}/{_xades('EncapsulatedOCSPValue')}"
    return tuple(_b64(v, "EncapsulatedOCSPValue") for v in unsigned.findall(path))


def decode_signature(data: bytes, limits: xmlsafe.XmlLimits | None = None) -> XadesSignature:
    """Decode an ``asic:XAdESSignatures`` (or bare ``ds:Signature``) document."""
    try:
        root = xmlsafe.parse(data, limits)
    except XRoadError as error:
        raise _malformed(f"Signature is not well-formed XML: {error.message}") from None
    signature = _find_signature(root)
    by_id = _ids(root)
    signed_info = _one(signature, _ds("SignedInfo"), "ds:SignedInfo")
    c14n_uri = _algorithm(
        _one(signed_info, _ds("CanonicalizationMethod"), "CanonicalizationMethod")
    )
    method_uri = _algorithm(_one(signed_info, _ds("SignatureMethod"), "ds:SignatureMethod"))
    if method_uri not in SIGNATURE_METHODS:
        raise XRoadError(Code.UNSUPPORTED_ALGORITHM, f"Unsupported signature {method_uri:.100}")
    references = tuple(
        _reference(r, signature, by_id) for r in signed_info.findall(_ds("Reference"))
    )
    if not references:
        raise _malformed("SignedInfo has no references")
    value_element = _one(signature, _ds("SignatureValue"), "ds:SignatureValue")
    key_info = _optional(signature, _ds("KeyInfo"), "ds:KeyInfo")
    certificates: tuple[bytes, ...] = ()
    if key_info is not None:
        path = f"{_ds('X509Data')}/{_ds('X509Certificate')}"
        certificates = tuple(_b64(c, "X509Certificate") for c in key_info.findall(path))
    qualifying = signature.findall(f"{_ds('Object')}/{_xades('QualifyingProperties')}")
    if len(qualifying) != 1:
        raise _malformed(f"Expected one xades:QualifyingProperties, found {len(qualifying)}")
    signature_id = signature.get("Id")
    target = qualifying[0].get("Target")
    if signature_id is not None and target != f"#{signature_id}":
        raise _malformed("QualifyingProperties Target does not name this signature")
    signed_properties = _one(qualifying[0], _xades("SignedProperties"), "xades:SignedProperties")
    properties = _one(
        signed_properties, _xades("SignedSignatureProperties"), "SignedSignatureProperties"
    )
    unsigned = qualifying[0].find(
        f"{_xades('UnsignedProperties')}/{_xades('UnsignedSignatureProperties')}"
    )
    formats = signed_properties.findall(
        f"{_xades('SignedDataObjectProperties')}/{_xades('DataObjectFormat')}"
    )
    return XadesSignature(
        signature_id=signature_id,
        signature_method_uri=method_uri,
        canonicalization_uri=c14n_uri,
        signed_info_octets=digests.canonicalize(signed_info, c14n_uri),
        references=references,
        signature_value=_b64(value_element, "SignatureValue"),
        certificates=certificates,
        signing_time=_signing_time(properties),
        signing_certificate=_signing_certificate(properties),
        signed_properties_id=signed_properties.get("Id") or "",
        data_object_mime_types=tuple(
            (f.get("ObjectReference") or "", (f.findtext(_xades("MimeType")) or "").strip())
            for f in formats
        ),
        ocsp_responses=_ocsp_values(unsigned),
        timestamp_tokens=_timestamps(unsigned),
    )
