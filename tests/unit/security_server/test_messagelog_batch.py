"""The batch time-stamp's hash chain: same bytes as the shared builder, proofs that verify,
and the shape of the reference's ``ts-hashchain.xml`` in its archived containers."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from security_server.messagelog.batch import (
    SIGNATURE_FILE,
    TS_HASH_CHAIN_FILE,
    LazyProofs,
    plan_batch,
)
from tests import vectors
from vdx.crypto import digests
from vdx.crypto.asic import read_container
from vdx.crypto.hashchain import DataRef, HashValue, StepRef, parse_hash_chain
from vdx.crypto.hashchain import parse_hash_chain_result as parse_result
from vdx.crypto.hashchain_build import build_hash_chains
from vdx.crypto.hashchain_verify import DocumentResolver, verify_hash_chain
from vdx.errors import XRoadError


def _signatures(n: int) -> list[bytes]:
    return [f"<sig n='{i}'/>".encode() for i in range(n)]


def _leaf(signature: bytes) -> bytes:
    return hashlib.sha512(signature).digest()


def _verify(result: bytes, proof: bytes, signature: bytes) -> None:
    documents = {TS_HASH_CHAIN_FILE: proof, SIGNATURE_FILE: signature}
    verify_hash_chain(result, DocumentResolver(documents), {SIGNATURE_FILE: None})


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_bytes_equal_the_shared_builder(n: int) -> None:
    leaves = [_leaf(s) for s in _signatures(n)]
    built = build_hash_chains(
        [[leaf] for leaf in leaves], hash_chain_file=TS_HASH_CHAIN_FILE, data_file=SIGNATURE_FILE
    )
    plan = plan_batch(leaves)
    assert plan.result_xml == built.result_xml
    assert plan.top_digest == built.top_digest
    assert [plan.proof(i) for i in range(n)] == list(built.hash_chains)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=2, max_value=300), st.data())
def test_every_proof_verifies_and_only_for_its_own_signature(n: int, data: st.DataObject) -> None:
    signatures = _signatures(n)
    plan = plan_batch([_leaf(s) for s in signatures])
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    _verify(plan.result_xml, plan.proof(index), signatures[index])
    other = signatures[(index + 1) % n]
    with pytest.raises(XRoadError):
        _verify(plan.result_xml, plan.proof(index), other)


def test_a_single_record_is_not_a_batch() -> None:
    with pytest.raises(ValueError, match="at least two"):
        plan_batch([_leaf(b"<sig/>")])


def test_lazy_proofs_map_record_ids_to_leaves() -> None:
    signatures = _signatures(5)
    plan = plan_batch([_leaf(s) for s in signatures])
    proofs = LazyProofs(plan, [10, 11, 12, 13, 14])
    assert len(proofs) == 5
    assert sorted(proofs) == [10, 11, 12, 13, 14]
    _verify(plan.result_xml, proofs[13], signatures[3])
    with pytest.raises(ValueError, match="one record id per leaf"):
        LazyProofs(plan, [1, 2])
    with pytest.raises(ValueError, match="repeat"):
        LazyProofs(plan, [1, 1, 2, 3, 4])


def _shape(chain: bytes) -> list[list[tuple[str, str | None]]]:
    """Per step, the kinds of values and the URIs they name (order inside a step aside)."""
    parsed = parse_hash_chain(chain)
    steps = []
    for step in parsed.steps:
        kinds: list[tuple[str, str | None]] = []
        for value in step.values:
            if isinstance(value, HashValue):
                kinds.append(("HashValue", None))
            elif isinstance(value, StepRef):
                kinds.append(("StepRef", value.uri))
            else:
                assert isinstance(value, DataRef)
                kinds.append(("DataRef", value.uri))
        steps.append(sorted(kinds))
    return steps


@pytest.mark.vectors
def test_shape_matches_the_reference_archive_containers() -> None:
    archive = vectors.require_dir() / "archives" / "message-archive-1.zip"
    with zipfile.ZipFile(io.BytesIO(Path(archive).read_bytes())) as outer:
        name = next(n for n in outer.namelist() if n.startswith("ID1234-request"))
        container = read_container(outer.read(name))
    result = container.get("ts-hashchainresult.xml")
    chain = container.get("ts-hashchain.xml")
    assert result is not None
    assert chain is not None
    # The reference's own container verifies the way our proofs are checked.
    _verify(result, chain, container.signature)
    reference_result = parse_result(result)
    depth = len(parse_hash_chain(chain).steps)
    # A batch of 2**depth records gives every record a chain of the same depth.
    signatures = _signatures(2**depth)
    plan = plan_batch([_leaf(s) for s in signatures])
    ours = parse_result(plan.result_xml)
    assert (ours.uri, ours.method_uri) == (reference_result.uri, reference_result.method_uri)
    assert ours.uri == f"{TS_HASH_CHAIN_FILE}#STEP0"
    assert ours.method_uri == digests.SHA512
    for index in (0, len(signatures) - 1):
        assert _shape(plan.proof(index)) == _shape(chain)
