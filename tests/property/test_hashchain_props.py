"""Properties of hash chains: any batch builds chains that verify; any flipped byte fails."""

from __future__ import annotations

import contextlib
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from vdx.crypto import digests
from vdx.crypto.hashchain import Digest, HashValue, parse_hash_chain
from vdx.crypto.hashchain_build import build_hash_chains
from vdx.crypto.hashchain_verify import DocumentResolver, verify_hash_chain
from vdx.errors import XRoadError

SHA256 = digests.SHA256

# A message is its SOAP octets plus 0..2 attachments; a batch is 1..12 messages.
messages = st.lists(st.binary(max_size=40), min_size=1, max_size=3)
batches = st.lists(messages, min_size=1, max_size=12).filter(
    lambda batch: len(batch) > 1 or len(batch[0]) > 1
)


def _names(count: int) -> list[str]:
    return ["/message.xml", *(f"/attachment{i}" for i in range(1, count))]


def _verify(result: bytes, chain: bytes, parts: list[bytes]) -> None:
    documents = {"/hashchain.xml": chain, **dict(zip(_names(len(parts)), parts, strict=True))}
    verify_hash_chain(result, DocumentResolver(documents), dict.fromkeys(_names(len(parts))))


def _build(batch: list[list[bytes]]) -> tuple[bytes, tuple[bytes, ...]]:
    leaf_digests = [[hashlib.sha256(p).digest() for p in parts] for parts in batch]
    bundle = build_hash_chains(leaf_digests, method_uri=SHA256)
    return bundle.result_xml, bundle.hash_chains


@given(batches)
def test_every_message_of_any_batch_verifies(batch: list[list[bytes]]) -> None:
    result, chains = _build(batch)
    for parts, chain in zip(batch, chains, strict=True):
        _verify(result, chain, parts)


@given(batches, st.data())
def test_a_flipped_data_byte_fails(batch: list[list[bytes]], data: st.DataObject) -> None:
    result, chains = _build(batch)
    index = data.draw(st.integers(0, len(batch) - 1))
    parts = list(batch[index])
    part = data.draw(st.integers(0, len(parts) - 1))
    if parts[part]:
        position = data.draw(st.integers(0, len(parts[part]) - 1))
        changed = bytearray(parts[part])
        changed[position] ^= 1 << data.draw(st.integers(0, 7))
        parts[part] = bytes(changed)
    else:
        parts[part] = b"\x00"
    try:
        _verify(result, chains[index], parts)
    except XRoadError:
        return
    raise AssertionError("a changed message verified")


@given(batches, st.data())
def test_a_flipped_digest_in_the_chain_fails(batch: list[list[bytes]], data: st.DataObject) -> None:
    result, chains = _build(batch)
    index = data.draw(st.integers(0, len(batch) - 1))
    chain = parse_hash_chain(chains[index])
    # Sibling values are what the proof rests on. (A DataRef's written digest is not: when the
    # caller supplies the input's digest, the reference verifier uses that one instead.)
    digests_in_chain = [
        value.value for step in chain.steps for value in step.values if isinstance(value, HashValue)
    ]
    if not digests_in_chain:  # one message with attachments: a single step of DataRefs
        return
    victim = data.draw(st.sampled_from(digests_in_chain))
    flipped = bytes([victim[0] ^ 0x80]) + victim[1:]
    tampered = chains[index].replace(
        digests.encode_base64(victim).encode(), digests.encode_base64(flipped).encode()
    )
    inputs: dict[str, Digest | None] = {
        name: Digest(SHA256, hashlib.sha256(p).digest())
        for name, p in zip(_names(len(batch[index])), batch[index], strict=True)
    }
    try:
        verify_hash_chain(result, DocumentResolver({"/hashchain.xml": tampered}), inputs)
    except XRoadError:
        return
    raise AssertionError("a tampered chain verified")


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_decoder(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        parse_hash_chain(data)
