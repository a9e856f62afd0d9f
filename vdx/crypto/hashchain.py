"""Hash chains of the X-Road message log: the typed model, the strict decoder and DigestList.

A hash chain (``http://cyber.ee/hashchain``, schema ``hashchain.xsd``) proves that one message
(and its attachments) is a leaf of a Merkle tree whose top hash was signed or timestamped once
for a whole batch. A ``HashChainResult`` names the first hash step (``URI="/file#STEP0"``) and
carries the top digest; each ``HashStep`` lists values that are concatenated as a DER
``DigestList`` and hashed:

    DigestList   ::= SEQUENCE OF SingleDigest
    SingleDigest ::= SEQUENCE { digest OCTET STRING, digestMethod UTF8String,
                                transforms SEQUENCE {} }

(the reference's ``DigestList`` class; the transforms sequence is always empty).

The decoder checks the document against the structure of ``hashchain.xsd`` by hand, so a
malformed chain fails with ``MalformedHashChain`` exactly where schema validation would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from vdx import xmlsafe
from vdx.crypto import digests
from vdx.errors import Code, XRoadError

HASHCHAIN_NS: Final = "http://cyber.ee/hashchain"
DS_NS: Final = "http://www.w3.org/2000/09/xmldsig#"

# File names the reference uses inside a message-log record / ASiC container
# (``MessageFileNames``): the chain, its result and the data it covers.
HASH_CHAIN_FILE: Final = "/hashchain.xml"
SIG_HASH_CHAIN_FILE: Final = "/sig-hashchain.xml"
SIG_HASH_CHAIN_RESULT_FILE: Final = "/sig-hashchainresult.xml"
MESSAGE_FILE: Final = "/message.xml"


def attachment_file(index: int) -> str:
    """Name of the ``index``-th attachment (numbered from 1)."""
    return f"/attachment{index}"


@dataclass(frozen=True, slots=True)
class Digest:
    """A digest value together with the URI of the algorithm that produced it."""

    method_uri: str
    value: bytes


@dataclass(frozen=True, slots=True)
class HashValue:
    """A hash step value given literally (the sibling subtree of the Merkle path)."""

    value: bytes
    method_uri: str | None = None


@dataclass(frozen=True, slots=True)
class StepRef:
    """A value computed from another hash step (``#STEPn`` or ``/other-file#STEPn``)."""

    uri: str
    method_uri: str | None = None


@dataclass(frozen=True, slots=True)
class DataRef:
    """A value that is the digest of a data file (message or attachment), after transforms."""

    uri: str
    value: bytes
    transforms: tuple[str, ...] = ()
    method_uri: str | None = None


StepValue = HashValue | StepRef | DataRef


@dataclass(frozen=True, slots=True)
class HashStep:
    step_id: str | None
    values: tuple[StepValue, ...]


@dataclass(frozen=True, slots=True)
class HashChain:
    default_method_uri: str | None
    steps: tuple[HashStep, ...]

    def step(self, step_id: str) -> HashStep | None:
        return next((s for s in self.steps if s.step_id == step_id), None)


@dataclass(frozen=True, slots=True)
class HashChainResult:
    """The signed/timestamped top of the tree and where its first hash step is."""

    uri: str
    method_uri: str | None
    value: bytes


# ---------------------------------------------------------------------------- DigestList (DER)


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def digest_list(items: Sequence[Digest]) -> bytes:
    """DER ``DigestList`` of ``items``, in order (the input of a hash step's digest)."""
    singles = b"".join(
        _der(0x30, _der(0x04, d.value) + _der(0x0C, d.method_uri.encode()) + _der(0x30, b""))
        for d in items
    )
    return _der(0x30, singles)


def digest_hash_step(method_uri: str, values: Sequence[bytes]) -> bytes:
    """Digest of the DigestList of ``values``, all made with ``method_uri``."""
    return digests.digest(method_uri, digest_list([Digest(method_uri, v) for v in values]))


# ---------------------------------------------------------------------------- decoding


def _q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


_DIGEST_METHOD = _q(DS_NS, "DigestMethod")
_DIGEST_VALUE = _q(DS_NS, "DigestValue")
_TRANSFORMS = _q(DS_NS, "Transforms")
_TRANSFORM = _q(DS_NS, "Transform")


def _malformed(message: str) -> XRoadError:
    return XRoadError(Code.MALFORMED_HASH_CHAIN, message)


def _parse_root(data: bytes, local: str, limits: xmlsafe.XmlLimits | None) -> etree._Element:
    try:
        root = xmlsafe.parse(data, limits)
    except XRoadError as error:
        # The reference reports any unreadable chain as MalformedHashChain.
        raise _malformed(f"Parsing hash chain failed: {error.message}") from None
    if root.tag != _q(HASHCHAIN_NS, local):
        raise _malformed(f"Expected hashchain:{local}, found {str(root.tag)[:80]}")
    return root


def _children(element: etree._Element) -> list[etree._Element]:
    """Element children of element-only content: stray text is a schema violation."""
    if (element.text or "").strip():
        raise _malformed(f"Unexpected text in {etree.QName(element).localname}")
    children = xmlsafe.elements(element)
    if any((child.tail or "").strip() for child in children):
        raise _malformed(f"Unexpected text in {etree.QName(element).localname}")
    return children


def _algorithm(element: etree._Element) -> str:
    algorithm = element.get("Algorithm")
    if not algorithm:
        raise _malformed(f"{etree.QName(element).localname} without Algorithm")
    return algorithm


def _uri(element: etree._Element) -> str:
    uri = element.get("URI")
    if uri is None:
        raise _malformed(f"{etree.QName(element).localname} without URI")
    return uri


def _transforms(element: etree._Element) -> tuple[str, ...]:
    transforms = _children(element)
    if not transforms or any(t.tag != _TRANSFORM or _children(t) for t in transforms):
        raise _malformed("Transforms must hold one or more parameterless ds:Transform")
    return tuple(_algorithm(t) for t in transforms)


@dataclass(frozen=True, slots=True)
class _ValueParts:
    method_uri: str | None
    transforms: tuple[str, ...]
    value: bytes


def _leading_method(children: list[etree._Element]) -> str | None:
    if children and children[0].tag == _DIGEST_METHOD:
        return _algorithm(children.pop(0))
    return None


def _no_more(children: list[etree._Element], name: str) -> None:
    if children:
        raise _malformed(f"Unexpected element {str(children[0].tag)[:80]} in {name}")


def _value_parts(element: etree._Element, *, allow_transforms: bool) -> _ValueParts:
    """Content model ``(ds:DigestMethod?, ds:Transforms?, ds:DigestValue)`` of hashchain.xsd."""
    children = _children(element)
    name = etree.QName(element).localname
    method_uri = _leading_method(children)
    transforms: tuple[str, ...] = ()
    if allow_transforms and children and children[0].tag == _TRANSFORMS:
        transforms = _transforms(children.pop(0))
    if not children or children[0].tag != _DIGEST_VALUE:
        raise _malformed(f"{name} lacks ds:DigestValue")
    value = digests.decode_base64(
        children.pop(0).text, f"{name} digest value", Code.MALFORMED_HASH_CHAIN
    )
    _no_more(children, name)
    return _ValueParts(method_uri, transforms, value)


def _step_value(element: etree._Element) -> StepValue:
    namespace = etree.QName(element).namespace
    local = etree.QName(element).localname if namespace == HASHCHAIN_NS else ""
    if local == "HashValue":
        parts = _value_parts(element, allow_transforms=True)
        if parts.transforms:
            raise _malformed("Transforms on a HashValue have no input to act on")
        return HashValue(parts.value, parts.method_uri)
    if local == "StepRef":
        children = _children(element)  # (ds:DigestMethod?)
        method_uri = _leading_method(children)
        _no_more(children, "StepRef")
        return StepRef(_uri(element), method_uri)
    if local == "DataRef":
        parts = _value_parts(element, allow_transforms=True)
        return DataRef(_uri(element), parts.value, parts.transforms, parts.method_uri)
    raise _malformed(f"Unexpected element {str(element.tag)[:80]} in HashStep")


def parse_hash_chain(data: bytes, limits: xmlsafe.XmlLimits | None = None) -> HashChain:
    """Decode a ``hashchain:HashChain`` document, or raise ``MalformedHashChain``."""
    root = _parse_root(data, "HashChain", limits)
    children = _children(root)
    default_method: str | None = None
    if children and children[0].tag == _q(HASHCHAIN_NS, "DefaultDigestMethod"):
        default_method = _algorithm(children.pop(0))
    steps: list[HashStep] = []
    for child in children:
        if child.tag != _q(HASHCHAIN_NS, "HashStep"):
            raise _malformed(f"Unexpected element {str(child.tag)[:80]} in HashChain")
        values = tuple(_step_value(v) for v in _children(child))
        steps.append(HashStep(child.get("id"), values))
    ids = [s.step_id for s in steps if s.step_id is not None]
    if len(ids) != len(set(ids)):
        raise _malformed("Hash step ids are not unique")  # xs:ID uniqueness
    return HashChain(default_method, tuple(steps))


def parse_hash_chain_result(
    data: bytes, limits: xmlsafe.XmlLimits | None = None
) -> HashChainResult:
    """Decode a ``hashchain:HashChainResult`` document, or raise ``MalformedHashChain``."""
    root = _parse_root(data, "HashChainResult", limits)
    parts = _value_parts(root, allow_transforms=False)
    return HashChainResult(_uri(root), parts.method_uri, parts.value)
