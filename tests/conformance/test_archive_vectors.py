"""Message-log archives of the reference suites verify as the reference verifier decides.

``message-archive-0/1.zip`` come with the reference ``ArchiveHashChainVerifierTest``: archive 0
verifies as the first archive (``-f``), archive 1 verifies when given archive 0's last digest
(``9011ab...``) and fails with another previous digest. The ``mlog-*`` archives come from the
message log add-on's test resources; the reference's tests for them were not found in the
stored sources, so their verdicts are the ones the reference verifier's rules
(``ArchiveHashChainVerifier.verify``, ``MessageArchiveExtractor``) give, each rule named below
with the error code we report for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import vectors
from vdx.crypto.archive import verify_archive
from vdx.crypto.asic_verify import verify_container
from vdx.crypto.asic_zip import read_zip
from vdx.errors import XRoadError

ARCHIVE_0_LAST = (
    "9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7"
    "f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b0560d44b965c358eaa"
)
VALID = "valid"
# file -> (previous digest given, expected verdict, the reference's rule)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "message-archive-0.zip": ("-", VALID, "ArchiveHashChainVerifierTest: first archive"),
    "message-archive-1.zip": (ARCHIVE_0_LAST, VALID, "ArchiveHashChainVerifierTest: chained"),
    "mlog-WITH_LINKINGINFO.zip": ("-", VALID, "linking info matches the container"),
    "mlog-NO_LINKINGINFO.zip": ("-", "MalformedHashChain", "Linking info not found"),
    "mlog-NO_ASIC_CONTAINERS.zip": ("-", "AsicInvalidContainer", "no ASiC containers"),
    "mlog-WITH_INVALID_LINKINGINFO.zip": (
        "-",
        "InvalidHashChain",
        "Digests of file ... do not match (linking info says INVALID_DIGEST)",
    ),
    "mlog-EXCESSIVE_FILES_IN_LINKINGINFO.zip": (
        "-",
        "InvalidHashChainRef",
        "File names in linking info and in archive file differ",
    ),
}


def _verdict(path: Path, previous: str) -> tuple[str, str]:
    try:
        verdict = verify_archive(path.read_bytes(), previous_digest=previous)
    except XRoadError as error:
        return error.fault_code, error.message
    return VALID, verdict.last_digest


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize("path", vectors.files("archives"), ids=lambda p: p.name)
def test_archive_file_gives_reference_verdict(
    path: Path, conformance: vectors.ConformanceLedger
) -> None:
    assert path.name in EXPECTED, f"no expected verdict recorded for {path.name}"
    previous, expected, rule = EXPECTED[path.name]
    actual, reason = _verdict(path, previous)
    conformance.record(
        path, agrees=actual == expected, detail=f"got {actual} ({reason}), want {expected} ({rule})"
    )
    assert actual == expected, reason


@pytest.mark.vectors
def test_every_archive_file_has_a_verdict(vectors_dir: Path) -> None:
    assert {p.name for p in (vectors_dir / "archives").iterdir()} == set(EXPECTED)


@pytest.mark.vectors
def test_archive_1_continues_archive_0(vectors_dir: Path) -> None:
    first = verify_archive((vectors_dir / "archives" / "message-archive-0.zip").read_bytes())
    assert first.last_digest == ARCHIVE_0_LAST
    second = (vectors_dir / "archives" / "message-archive-1.zip").read_bytes()
    # ArchiveHashChainVerifierTest.shouldFailOnInvalidPreviousHash
    with pytest.raises(XRoadError) as caught:
        verify_archive(second, previous_digest="4145" + ARCHIVE_0_LAST[4:])
    assert caught.value.fault_code == "InvalidHashChain"
    with pytest.raises(XRoadError):
        verify_archive(second, previous_digest="-")


@pytest.mark.vectors
def test_containers_in_reference_archives_verify(vectors_dir: Path) -> None:
    for name in ("message-archive-0.zip", "message-archive-1.zip", "mlog-WITH_LINKINGINFO.zip"):
        previous = EXPECTED[name][0]
        data = (vectors_dir / "archives" / name).read_bytes()
        verify_archive(data, previous_digest=previous, check_container=verify_container)
        assert read_zip(data).members
