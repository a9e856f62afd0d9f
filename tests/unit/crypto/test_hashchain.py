"""Hash chains: DigestList encoding, the strict decoder, building and every verifier verdict."""

from __future__ import annotations

import hashlib

import pytest

from vdx.crypto import digests
from vdx.crypto.hashchain import (
    Digest,
    digest_list,
    parse_hash_chain,
    parse_hash_chain_result,
)
from vdx.crypto.hashchain_build import build_hash_chains
from vdx.crypto.hashchain_verify import DocumentResolver, verify_hash_chain
from vdx.errors import Code, XRoadError

SHA512 = digests.SHA512
HC = 'xmlns:hc="http://cyber.ee/hashchain" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'


def _h(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def _inputs(parts: list[bytes]) -> dict[str, Digest | None]:
    names = ["/message.xml", *(f"/attachment{i}" for i in range(1, len(parts)))]
    return {n: Digest(SHA512, _h(p)) for n, p in zip(names, parts, strict=True)}


def _verify(bundle_result: bytes, chain: bytes, parts: list[bytes]) -> None:
    verify_hash_chain(bundle_result, DocumentResolver({"/hashchain.xml": chain}), _inputs(parts))


def test_digest_list_is_der_of_single_digests() -> None:
    encoded = digest_list([Digest("u", b"\x01")])
    # SEQUENCE { SEQUENCE { OCTET STRING 01, UTF8String "u", SEQUENCE {} } }
    assert encoded == bytes.fromhex("300a30080401010c01753000")


def test_digest_list_uses_long_form_lengths() -> None:
    encoded = digest_list([Digest(SHA512, b"\x00" * 200)])
    assert encoded[:2] == b"\x30\x81"


@pytest.mark.parametrize("count", [2, 3, 4, 5, 6, 7, 8, 9, 17])
def test_every_message_of_a_batch_verifies(count: int) -> None:
    messages = [[f"message {i}".encode()] for i in range(count)]
    bundle = build_hash_chains([[_h(p) for p in m] for m in messages])
    assert len(bundle.hash_chains) == count
    for chain, parts in zip(bundle.hash_chains, messages, strict=True):
        _verify(bundle.result_xml, chain, parts)


def test_messages_with_attachments_verify_with_all_parts() -> None:
    messages = [[b"soap 0", b"att 1", b"att 2"], [b"soap 1"], [b"soap 2", b"att"]]
    bundle = build_hash_chains([[_h(p) for p in m] for m in messages])
    for chain, parts in zip(bundle.hash_chains, messages, strict=True):
        _verify(bundle.result_xml, chain, parts)


def test_single_message_with_attachments_gets_one_step() -> None:
    parts = [b"soap", b"attachment"]
    bundle = build_hash_chains([[_h(p) for p in parts]])
    chain = parse_hash_chain(bundle.hash_chains[0])
    assert [s.step_id for s in chain.steps] == ["STEP0"]
    _verify(bundle.result_xml, bundle.hash_chains[0], parts)


def test_result_points_at_step0_of_the_named_file() -> None:
    bundle = build_hash_chains([[_h(b"a")], [_h(b"b")]], hash_chain_file="/sig-hashchain.xml")
    result = parse_hash_chain_result(bundle.result_xml)
    assert result.uri == "/sig-hashchain.xml#STEP0"
    assert result.value == bundle.top_digest
    assert result.method_uri == SHA512


def test_tree_shape_of_five_leaves() -> None:
    # Reference layout: ((0,1),(2,3)) and the orphan leaf 4 promoted, then combined at the top.
    leaves = [_h(bytes([i])) for i in range(5)]
    bundle = build_hash_chains([[leaf] for leaf in leaves])

    def pair(a: bytes, b: bytes) -> bytes:
        return _h(digest_list([Digest(SHA512, a), Digest(SHA512, b)]))

    expected = pair(pair(pair(leaves[0], leaves[1]), pair(leaves[2], leaves[3])), leaves[4])
    assert bundle.top_digest == expected
    assert len(parse_hash_chain(bundle.hash_chains[4]).steps) == 1


def test_one_plain_message_needs_no_chain() -> None:
    with pytest.raises(ValueError, match="single input"):
        build_hash_chains([[_h(b"only")]])


def test_other_message_is_not_in_this_chain() -> None:
    bundle = build_hash_chains([[_h(b"a")], [_h(b"b")]])
    with pytest.raises(XRoadError) as caught:
        _verify(bundle.result_xml, bundle.hash_chains[0], [b"b"])
    assert caught.value.code == Code.INVALID_HASH_CHAIN_RESULT


def test_missing_attachment_input_is_reported_unused() -> None:
    bundle = build_hash_chains([[_h(b"a")], [_h(b"b")]])
    inputs = {**_inputs([b"a"]), "/attachment1": None}
    with pytest.raises(XRoadError) as caught:
        verify_hash_chain(
            bundle.result_xml, DocumentResolver({"/hashchain.xml": bundle.hash_chains[0]}), inputs
        )
    assert caught.value.code == Code.HASHCHAIN_UNUSED_INPUTS


def test_resolved_data_must_match_the_chain() -> None:
    bundle = build_hash_chains([[_h(b"a")], [_h(b"b")]])
    resolver = DocumentResolver({"/hashchain.xml": bundle.hash_chains[0], "/message.xml": b"x"})
    with pytest.raises(XRoadError) as caught:
        verify_hash_chain(bundle.result_xml, resolver, {"/message.xml": None})
    assert caught.value.code == Code.INVALID_HASH_CHAIN_REF


def test_unresolvable_chain_file_is_an_invalid_reference() -> None:
    bundle = build_hash_chains([[_h(b"a")], [_h(b"b")]])
    with pytest.raises(XRoadError) as caught:
        verify_hash_chain(bundle.result_xml, DocumentResolver({}), _inputs([b"a"]))
    assert caught.value.code == Code.INVALID_REFERENCE


def _chain(body: str) -> bytes:
    default = f'<hc:DefaultDigestMethod Algorithm="{SHA512}"/>'
    return f"<hc:HashChain {HC}>{default}{body}</hc:HashChain>".encode()


def _result(uri: str = "/hashchain.xml#STEP0") -> bytes:
    return (
        f'<hc:HashChainResult {HC} URI="{uri}"><ds:DigestMethod Algorithm="{SHA512}"/>'
        f"<ds:DigestValue>AA==</ds:DigestValue></hc:HashChainResult>"
    ).encode()


@pytest.mark.parametrize(
    ("chain", "uri"),
    [
        (
            '<hc:HashStep id="STEP0"><hc:StepRef URI="#STEP0"/></hc:HashStep>',
            "/hashchain.xml#STEP0",
        ),
        ('<hc:HashStep id="STEP0"/>', "/hashchain.xml#STEP9"),
        ('<hc:HashStep id="STEP0"/>', "/hashchain.xml"),
        ('<hc:HashStep id="S"/><hc:HashStep id="S"/>', "/hashchain.xml#S"),
        ('<hc:HashStep id="STEP0"><hc:Other/></hc:HashStep>', "/hashchain.xml#STEP0"),
        ('<hc:HashStep id="STEP0">text</hc:HashStep>', "/hashchain.xml#STEP0"),
        ('<hc:HashStep id="STEP0"><hc:DataRef URI="/m"/></hc:HashStep>', "/hashchain.xml#STEP0"),
        (
            (
                '<hc:HashStep id="STEP0"><hc:HashValue><ds:DigestValue>*</ds:DigestValue>'
                "</hc:HashValue></hc:HashStep>"
            ),
            "/hashchain.xml#STEP0",
        ),
    ],
    ids=["cycle", "no-such-step", "no-fragment", "dup-id", "unknown", "text", "no-value", "b64"],
)
def test_malformed_chains_are_refused(chain: str, uri: str) -> None:
    with pytest.raises(XRoadError) as caught:
        verify_hash_chain(_result(uri), DocumentResolver({"/hashchain.xml": _chain(chain)}), {})
    assert caught.value.code == Code.MALFORMED_HASH_CHAIN


def test_not_xml_is_malformed() -> None:
    with pytest.raises(XRoadError) as caught:
        parse_hash_chain_result(b"<unclosed")
    assert caught.value.code == Code.MALFORMED_HASH_CHAIN


def test_doctype_is_refused() -> None:
    with pytest.raises(XRoadError) as caught:
        parse_hash_chain(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    assert caught.value.code == Code.MALFORMED_HASH_CHAIN


def test_unknown_digest_algorithm_is_unsupported() -> None:
    with pytest.raises(XRoadError) as caught:
        build_hash_chains([[b"a"], [b"b"]], method_uri="http://www.w3.org/2000/09/xmldsig#sha1")
    assert caught.value.code == Code.UNSUPPORTED_ALGORITHM
