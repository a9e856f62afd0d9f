"""Hash-chain files of the reference give the verdicts of its ``HashChainVerifierTest``.

Each case below is one test method of the reference (same resolver contents, same inputs, same
expected outcome). A file agrees if every case that uses it gives the reference's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import vectors
from vdx.crypto import digests
from vdx.crypto.hashchain import Digest
from vdx.crypto.hashchain_verify import DocumentResolver, verify_hash_chain
from vdx.errors import XRoadError

SHA256 = digests.SHA256
MESSAGE = "/message.xml"
CHAIN = "/hashchain.xml"


@dataclass(frozen=True)
class Case:
    result: str
    documents: dict[str, str]  # URI -> vector file
    inputs: dict[str, str | bytes | None]  # URI -> file to digest, literal digest, or None
    expected: str  # "ok" or the X-Road error code
    not_resolved: frozenset[str] = frozenset()


_ATTACHMENTS = {"/attachment1": b"\x0c", "/attachment2": b"\x0d", "/attachment3": b"\x0e"}

CASES: dict[str, Case] = {
    "simpleCorrect": Case(
        "hc-verifier1-hashchainresult.xml",
        {CHAIN: "hc-verifier1-hashchain.xml", MESSAGE: "hc-verifier1-message.xml"},
        {MESSAGE: None},
        "ok",
    ),
    "simpleAttachedInput": Case(
        "hc-verifier1-hashchainresult.xml",
        {CHAIN: "hc-verifier1-hashchain.xml"},
        {MESSAGE: "hc-verifier1-message.xml"},
        "ok",
    ),
    "simpleUnusedInputs": Case(
        "hc-verifier1-hashchainresult.xml",
        {CHAIN: "hc-verifier1-hashchain.xml"},
        {MESSAGE: "hc-verifier1-message.xml", "/unused1": None, "/unused2": None},
        "HashChainUnusedInputs",
    ),
    "simpleDigestMismatch": Case(
        "hc-verifier1-hashchainresult.xml",
        {CHAIN: "hc-verifier1-hashchain.xml"},
        {MESSAGE: "hc-verifier1-hashchain.xml"},
        "InvalidHashChain",
    ),
    "simpleTwoHashChains": Case(
        "hc-verifier4-hashchainresult.xml",
        {
            CHAIN: "hc-verifier4-hashchain1.xml",
            "/hashchain2.xml": "hc-verifier4-hashchain2.xml",
            MESSAGE: "hc-verifier4-message.xml",
        },
        {MESSAGE: None},
        "ok",
    ),
    "attachments": Case(
        "hc-verifier2-hashchainresult.xml",
        {CHAIN: "hc-verifier2-hashchain.xml"},
        {MESSAGE: b"\x0b", **_ATTACHMENTS},
        "ok",
    ),
    "attachmentsCannotResolve": Case(
        "hc-verifier2-hashchainresult.xml",
        {CHAIN: "hc-verifier2-hashchain.xml"},
        {MESSAGE: b"\x0b"},
        "ok",
        not_resolved=frozenset(_ATTACHMENTS),
    ),
    "transforms": Case(
        "hc-verifier3-hashchainresult.xml",
        {CHAIN: "hc-verifier3-hashchain.xml", MESSAGE: "hc-verifier3-message.xml"},
        {MESSAGE: None},
        "ok",
    ),
    "transformsError": Case(
        "hc-verifier3-hashchainresult.xml",
        {CHAIN: "hc-verifier3-hashchain-invalid.xml", MESSAGE: "hc-verifier3-message.xml"},
        {MESSAGE: None},
        "InvalidHashChainRef",
    ),
    "invalidSchema": Case(
        "hc-verifier3-hashchainresult.xml",
        {CHAIN: "hc-verifier5-hashchain-invalid-schema.xml", MESSAGE: "hc-verifier3-message.xml"},
        {MESSAGE: None},
        "MalformedHashChain",
    ),
}


def _files(case: Case) -> set[str]:
    named = {case.result, *case.documents.values()}
    return named | {v for v in case.inputs.values() if isinstance(v, str)}


def _input(folder: Path, value: str | bytes | None) -> Digest | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return Digest(SHA256, value)
    return Digest(SHA256, digests.digest(SHA256, (folder / value).read_bytes()))


def _verdict(folder: Path, case: Case) -> str:
    documents = {uri: (folder / name).read_bytes() for uri, name in case.documents.items()}
    inputs = {uri: _input(folder, value) for uri, value in case.inputs.items()}
    try:
        verify_hash_chain(
            (folder / case.result).read_bytes(),
            DocumentResolver(documents, case.not_resolved),
            inputs,
        )
    except XRoadError as error:
        return error.fault_code
    return "ok"


@pytest.mark.vectors
@pytest.mark.parametrize("name", list(CASES))
def test_reference_case_gives_reference_verdict(
    vectors_dir: Path, conformance: vectors.ConformanceLedger, name: str
) -> None:
    case = CASES[name]
    folder = vectors_dir / "hashchain"
    actual = _verdict(folder, case)
    for file in sorted(_files(case)):
        conformance.record(
            folder / file, agrees=actual == case.expected, detail=f"{name}: got {actual}"
        )
    assert actual == case.expected


@pytest.mark.vectors
def test_every_hashchain_file_is_used(vectors_dir: Path) -> None:
    used = set().union(*(_files(case) for case in CASES.values()))
    assert {p.name for p in (vectors_dir / "hashchain").iterdir()} == used


@pytest.mark.vectors
def test_invalid_schema_names_the_offending_element(vectors_dir: Path) -> None:
    folder = vectors_dir / "hashchain"
    with pytest.raises(XRoadError, match="FooBar"):
        verify_hash_chain(
            (folder / "hc-verifier3-hashchainresult.xml").read_bytes(),
            DocumentResolver(
                {CHAIN: (folder / "hc-verifier5-hashchain-invalid-schema.xml").read_bytes()}
            ),
            {MESSAGE: None},
        )
