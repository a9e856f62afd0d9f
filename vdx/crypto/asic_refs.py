"""The digest references inside an ASiC-E container's XML files, read with the hardened parser.

Four files name other files with a digest: the XAdES signature (``ds:Reference`` in
``ds:SignedInfo``, XML-DSig §4.4.3), the hash chains (``DataRef`` in a ``HashStep``, X-Road
hash chain schema), the ASiC manifest of a batch time-stamp (``asic:DataObjectReference``, ETSI
EN 319 162-1 §A.4) and the ODF manifest (a path and media type per file, no digest). This module
only reads them; comparing the digests is :mod:`vdx.crypto.asic_verify`'s part.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from lxml import etree

from vdx import xmlsafe
from vdx.errors import Code, XRoadError

DS = "http://www.w3.org/2000/09/xmldsig#"
ODF_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
HASH_CHAIN = "http://cyber.ee/hashchain"
# XML-Enc §5.7.2 and RFC 6931 §2.1.3 identifiers of the digests X-Road may configure.
DIGESTS = {
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}


@dataclass(frozen=True, slots=True)
class DigestRef:
    """A reference by URI with the digest its author computed."""

    uri: str
    algorithm: str
    digest: bytes

    @property
    def is_file(self) -> bool:
        """Whether the URI names a container file (``/message.xml``), not an element (``#id``)."""
        return not self.uri.startswith("#")

    @property
    def entry_name(self) -> str:
        # The reference strips one leading slash to get the entry name.
        return self.uri[1:] if self.uri.startswith("/") else self.uri


def digest(algorithm: str, data: bytes) -> bytes:
    """Digest ``data`` with the algorithm an XML-DSig ``Algorithm`` URI names."""
    name = DIGESTS.get(algorithm)
    if name is None:
        raise XRoadError(Code.UNSUPPORTED_ALGORITHM, f"unsupported digest method {algorithm:.100}")
    return hashlib.new(name, data).digest()


def _parse(data: bytes, code: Code, what: str) -> etree._Element:
    try:
        return xmlsafe.parse(data)
    except XRoadError as error:
        raise XRoadError(code, f"{what}: {error.message}") from None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _digest_value(element: etree._Element, code: Code, what: str) -> bytes:
    value = element.find(f"{{{DS}}}DigestValue")
    if value is None:
        raise XRoadError(code, f"{what}: reference without DigestValue")
    # Java's encoder breaks lines with CR LF; whitespace is not part of base64 (RFC 2045 §6.8).
    text = "".join(xmlsafe.text_of(value).split())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise XRoadError(code, f"{what}: DigestValue is not base64") from None


def _algorithm(element: etree._Element, default: str | None, code: Code, what: str) -> str:
    method = element.find(f"{{{DS}}}DigestMethod")
    algorithm = method.get("Algorithm") if method is not None else default
    if not algorithm:
        raise XRoadError(code, f"{what}: reference without DigestMethod")
    return algorithm


def signature_references(signature_xml: bytes) -> tuple[DigestRef, ...]:
    """The ``ds:Reference`` elements of the one signature in ``META-INF/signatures.xml``."""
    code, what = Code.MALFORMED_SIGNATURE, "signatures.xml"
    root = _parse(signature_xml, code, what)
    if _local(root) != "XAdESSignatures":
        raise XRoadError(code, f"{what}: root element is not asic:XAdESSignatures")
    signatures = root.findall(f"{{{DS}}}Signature")
    if len(signatures) != 1:
        raise XRoadError(code, f"{what}: expected one ds:Signature, found {len(signatures)}")
    signed_info = signatures[0].find(f"{{{DS}}}SignedInfo")
    if signed_info is None:
        raise XRoadError(code, f"{what}: ds:Signature without ds:SignedInfo")
    refs = []
    for reference in signed_info.findall(f"{{{DS}}}Reference"):
        uri = reference.get("URI")
        if uri is None:
            raise XRoadError(code, f"{what}: ds:Reference without URI")
        refs.append(
            DigestRef(
                uri, _algorithm(reference, None, code, what), _digest_value(reference, code, what)
            )
        )
    if not refs:
        raise XRoadError(code, f"{what}: signature has no references")
    return tuple(refs)


def has_signature_timestamp(signature_xml: bytes) -> bool:
    """Whether the signature carries its own time-stamp (``xades:SignatureTimeStamp``)."""
    root = _parse(signature_xml, Code.MALFORMED_SIGNATURE, "signatures.xml")
    return any(_local(e) == "SignatureTimeStamp" for e in root.iter() if isinstance(e.tag, str))


def hash_chain_data_refs(chain_xml: bytes, what: str) -> tuple[DigestRef, ...]:
    """The ``DataRef`` elements of a hash chain: the inputs the chain claims to cover."""
    code = Code.MALFORMED_HASH_CHAIN
    root = _parse(chain_xml, code, what)
    if root.tag != f"{{{HASH_CHAIN}}}HashChain":
        raise XRoadError(code, f"{what}: root element is not HashChain")
    default_method = root.find(f"{{{HASH_CHAIN}}}DefaultDigestMethod")
    default = default_method.get("Algorithm") if default_method is not None else None
    refs = []
    for data_ref in root.iter(f"{{{HASH_CHAIN}}}DataRef"):
        uri = data_ref.get("URI")
        if not uri:
            raise XRoadError(code, f"{what}: DataRef without URI")
        refs.append(
            DigestRef(
                uri, _algorithm(data_ref, default, code, what), _digest_value(data_ref, code, what)
            )
        )
    return tuple(refs)


def asic_manifest_refs(manifest_xml: bytes) -> tuple[tuple[DigestRef, ...], tuple[str, ...]]:
    """Data object references (with digests) and signature references of an ASiC manifest."""
    code, what = Code.TIMESTAMP_VALIDATION, "ASiCManifest.xml"
    root = _parse(manifest_xml, code, what)
    if _local(root) != "ASiCManifest":
        raise XRoadError(code, f"{what}: root element is not asic:ASiCManifest")
    data_refs, sig_refs = [], []
    for element in xmlsafe.elements(root):
        uri = element.get("URI")
        if not uri:
            raise XRoadError(code, f"{what}: reference without URI")
        if _local(element) == "SigReference":
            sig_refs.append(uri)
        elif _local(element) == "DataObjectReference":
            algorithm = _algorithm(element, None, code, what)
            data_refs.append(DigestRef(uri, algorithm, _digest_value(element, code, what)))
    return tuple(data_refs), tuple(sig_refs)


def odf_manifest(manifest_xml: bytes) -> dict[str, str]:
    """``full-path -> media-type`` of an ODF manifest (``META-INF/manifest.xml``)."""
    code, what = Code.ASIC_INVALID_CONTAINER, "manifest.xml"
    root = _parse(manifest_xml, code, what)
    if root.tag != f"{{{ODF_MANIFEST}}}manifest":
        raise XRoadError(code, f"{what}: root element is not manifest:manifest")
    listed: dict[str, str] = {}
    for entry in xmlsafe.elements(root):
        if entry.tag != f"{{{ODF_MANIFEST}}}file-entry":
            raise XRoadError(code, f"{what}: unexpected element {_local(entry)!r:.60}")
        path = entry.get(f"{{{ODF_MANIFEST}}}full-path")
        media_type = entry.get(f"{{{ODF_MANIFEST}}}media-type")
        if not path or media_type is None:
            raise XRoadError(code, f"{what}: file-entry without full-path or media-type")
        if path in listed:
            raise XRoadError(code, f"{what}: {path!r:.80} listed twice")
        listed[path] = media_type
    return listed
