"""Building a Merkle tree over a batch of messages and one hash chain per message.

The tree has the shape of the reference ``HashChainBuilder``, so our chains look like its
chains: the n leaves are laid out left to right in a complete binary tree with
``2**ceil(log2 n)`` leaf slots; a subtree holding one leaf has that leaf's value (no extra
hashing), a subtree with leaves on both sides has the digest of the DigestList (left, right).
A message with attachments is one leaf whose value is the digest of the DigestList of its parts
(message first, then ``/attachment1`` ...), and its chain ends with a step referencing each part.

Each message's chain walks from the root (``STEP0``) to its leaf: every step holds the path's
own side (a ``StepRef`` to the next step, or a ``DataRef`` at the leaf) and the sibling's value
(``HashValue``), left before right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from vdx.crypto import digests
from vdx.crypto.hashchain import (
    DS_NS,
    HASH_CHAIN_FILE,
    HASHCHAIN_NS,
    MESSAGE_FILE,
    DataRef,
    HashValue,
    StepRef,
    StepValue,
    attachment_file,
    digest_hash_step,
)


@dataclass(frozen=True, slots=True)
class HashChainBundle:
    """What a batch signature or timestamp needs: the top hash, its XML, one chain per input."""

    top_digest: bytes
    result_xml: bytes
    hash_chains: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class _Branch:
    left: _Node
    right: _Node


@dataclass(frozen=True, slots=True)
class _Node:
    value: bytes
    first: int  # index of the first leaf below
    count: int  # number of leaves below
    branch: _Branch | None = None  # None for a leaf


def _build(leaves: Sequence[bytes], first: int, slots: int, method: str) -> _Node | None:
    count = max(0, min(slots, len(leaves) - first))
    if count == 0:
        return None
    if count == 1:
        return _Node(leaves[first], first, 1)
    half = slots // 2
    left = _build(leaves, first, half, method)
    right = _build(leaves, first + half, half, method)
    if left is None or right is None:
        return left  # an orphan subtree is promoted unchanged (leaves are packed to the left)
    value = digest_hash_step(method, [left.value, right.value])
    return _Node(value, first, count, _Branch(left, right))


def _path(root: _Node, leaf: int) -> list[tuple[bool, _Branch]]:
    """Branches from the root down to ``leaf``: (leaf is on the left?, branch)."""
    path: list[tuple[bool, _Branch]] = []
    node = root
    while node.branch is not None:
        on_left = leaf < node.branch.right.first
        path.append((on_left, node.branch))
        node = node.branch.left if on_left else node.branch.right
    return path


def _element(parent: etree._Element, value: StepValue) -> None:
    if isinstance(value, HashValue):
        node = etree.SubElement(parent, f"{{{HASHCHAIN_NS}}}HashValue")
    elif isinstance(value, StepRef):
        etree.SubElement(parent, f"{{{HASHCHAIN_NS}}}StepRef", URI=value.uri)
        return
    else:
        node = etree.SubElement(parent, f"{{{HASHCHAIN_NS}}}DataRef", URI=value.uri)
    etree.SubElement(node, f"{{{DS_NS}}}DigestValue").text = digests.encode_base64(value.value)


def _document(local: str) -> etree._Element:
    # The reference's JAXB output puts ds in the default namespace; prefixes carry no meaning.
    return etree.Element(f"{{{HASHCHAIN_NS}}}{local}", nsmap={"ns2": HASHCHAIN_NS, "ds": DS_NS})


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _chain_xml(method: str, steps: Sequence[Sequence[StepValue]]) -> bytes:
    root = _document("HashChain")
    etree.SubElement(root, f"{{{HASHCHAIN_NS}}}DefaultDigestMethod", Algorithm=method)
    for number, values in enumerate(steps):
        step = etree.SubElement(root, f"{{{HASHCHAIN_NS}}}HashStep", id=f"STEP{number}")
        for value in values:
            _element(step, value)
    return _serialize(root)


def build_hash_chains(
    inputs: Sequence[Sequence[bytes]],
    *,
    method_uri: str = digests.SHA512,
    hash_chain_file: str = HASH_CHAIN_FILE,
    data_file: str = MESSAGE_FILE,
) -> HashChainBundle:
    """Build the tree over ``inputs`` (per message: digests of the message, then attachments).

    ``hash_chain_file`` is the name under which each message's chain will be stored (the
    result points at its ``STEP0``); ``data_file`` names the message in the ``DataRef``.
    A single message without attachments needs no chain: sign its digest directly.
    """
    if not inputs or any(not parts for parts in inputs):
        raise ValueError("hash chains need at least one input, each with at least one part")
    if len(inputs) == 1 and len(inputs[0]) == 1:
        raise ValueError("hash chains cannot be constructed for a single input without parts")
    digests.hash_name(method_uri)
    leaves = [
        parts[0] if len(parts) == 1 else digest_hash_step(method_uri, parts) for parts in inputs
    ]
    slots = 1 << (len(leaves) - 1).bit_length()
    root = _build(leaves, 0, slots, method_uri)
    if root is None:  # unreachable: inputs is not empty
        raise ValueError("no inputs")
    chains: list[bytes] = []
    for index, parts in enumerate(inputs):
        steps: list[list[StepValue]] = []
        path = _path(root, index)
        for depth, (on_left, node) in enumerate(path):
            sibling = node.right if on_left else node.left
            mine: StepValue
            if depth == len(path) - 1 and len(parts) == 1:
                mine = DataRef(data_file, parts[0])
            else:
                mine = StepRef(f"#STEP{depth + 1}")
            other = HashValue(sibling.value)
            steps.append([mine, other] if on_left else [other, mine])
        if len(parts) > 1:
            names = [data_file, *(attachment_file(i) for i in range(1, len(parts)))]
            steps.append([DataRef(n, d) for n, d in zip(names, parts, strict=True)])
        chains.append(_chain_xml(method_uri, steps))
    result = _document("HashChainResult")
    result.set("URI", f"{hash_chain_file}#STEP0")
    etree.SubElement(result, f"{{{DS_NS}}}DigestMethod", Algorithm=method_uri)
    etree.SubElement(result, f"{{{DS_NS}}}DigestValue").text = digests.encode_base64(root.value)
    return HashChainBundle(root.value, _serialize(result), tuple(chains))
