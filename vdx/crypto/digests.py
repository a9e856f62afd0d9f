"""Digest and canonicalisation algorithms named by their XML-DSig URIs.

Hash chains (X-Road message log) and XAdES signatures name algorithms the same way: by the URIs
of XML Signature 1.1 §6.2 (digests) and §6.5 (canonicalisation), plus the additional ones of
RFC 6931 (``xmldsig-more``). This module is the one table from URI to implementation, so an
unknown or weak algorithm is refused in one place with ``UnsupportedAlgorithm``.
"""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass
from typing import Final

from lxml import etree

from vdx import xmlsafe
from vdx.errors import Code, XRoadError

# XML Signature 1.1 §6.2 and RFC 6931 §2.1. SHA-1 is deliberately absent: X-Road 7 never produces
# it and accepting it would let a forger pick a broken hash.
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA384: Final = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512: Final = "http://www.w3.org/2001/04/xmlenc#sha512"

_HASHLIB_NAMES: Final = {SHA256: "sha256", SHA384: "sha384", SHA512: "sha512"}

# XML Signature 1.1 §6.5: canonicalisation methods (also usable as Transforms).
C14N: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_WITH_COMMENTS: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_WITH_COMMENTS: Final = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"


@dataclass(frozen=True, slots=True)
class C14nMethod:
    """One canonicalisation algorithm: inclusive or exclusive, with or without comments."""

    exclusive: bool
    with_comments: bool


_C14N_METHODS: Final = {
    C14N: C14nMethod(exclusive=False, with_comments=False),
    C14N_WITH_COMMENTS: C14nMethod(exclusive=False, with_comments=True),
    EXC_C14N: C14nMethod(exclusive=True, with_comments=False),
    EXC_C14N_WITH_COMMENTS: C14nMethod(exclusive=True, with_comments=True),
}


def hash_name(digest_method_uri: str) -> str:
    """The hashlib name for a digest URI, or ``UnsupportedAlgorithm``."""
    name = _HASHLIB_NAMES.get(digest_method_uri)
    if name is None:
        raise XRoadError(
            Code.UNSUPPORTED_ALGORITHM, f"Unsupported digest algorithm {digest_method_uri!r:.100}"
        )
    return name


def digest_uri_for(name: str) -> str:
    """The digest URI for a hashlib name (``sha256``, ``sha384``, ``sha512``)."""
    for uri, known in _HASHLIB_NAMES.items():
        if known == name:
            return uri
    raise XRoadError(Code.UNSUPPORTED_ALGORITHM, f"Unsupported digest algorithm {name!r:.40}")


def digest(digest_method_uri: str, data: bytes) -> bytes:
    """Hash ``data`` with the algorithm named by ``digest_method_uri``."""
    return hashlib.new(hash_name(digest_method_uri), data).digest()


def c14n_method(uri: str) -> C14nMethod:
    """The canonicalisation named by ``uri``, or ``UnsupportedAlgorithm``."""
    method = _C14N_METHODS.get(uri)
    if method is None:
        raise XRoadError(Code.UNSUPPORTED_ALGORITHM, f"Unsupported canonicalization {uri!r:.100}")
    return method


def canonicalize(node: etree._Element | etree._ElementTree, method_uri: str) -> bytes:
    """Canonical octets of ``node`` (an element is a document subset: its inherited namespaces
    are rendered on it, as XML-DSig §4.4.3.3 requires for same-document references)."""
    method = c14n_method(method_uri)
    return etree.tostring(
        node, method="c14n", exclusive=method.exclusive, with_comments=method.with_comments
    )


def canonicalize_document(data: bytes, method_uri: str, limits: xmlsafe.XmlLimits | None) -> bytes:
    """Parse untrusted ``data`` with the hardened parser and canonicalise the whole document."""
    c14n_method(method_uri)  # refuse an unknown algorithm before parsing anything
    root = xmlsafe.parse(data, limits)
    return canonicalize(root.getroottree(), method_uri)


def decode_base64(text: str | None, what: str, code: Code) -> bytes:
    """Decode xs:base64Binary content. XML Schema allows whitespace anywhere in it (the
    reference writes CR LF line breaks, serialised as ``&#13;``); anything else is refused."""
    compact = "".join((text or "").split())
    if not compact:
        raise XRoadError(code, f"{what} is empty")
    try:
        return binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise XRoadError(code, f"{what} is not valid base64") from None


def encode_base64(data: bytes) -> str:
    """Base64 without line breaks, as XML-DSig values are written by VDX."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")
