"""ASiC-E containers of the reference suite load and verify (integrity) as its tests expect.

Expected verdicts from the reference ``AsicContainerTest`` (lib/asic-core): loading
``valid-signed-message.asice`` succeeds; ``no-mimetype`` and ``not-asic`` fail with
``AsicMimeTypeNotFound`` (a streaming ZIP reader finds no entry at all in ``not-asic``),
``no-message`` with ``AsicMessageNotFound`` (its signature file is named
``META-INF/signature.xml``, which the reference does not take for a signature, but the message
check comes first), ``no-signature`` with ``AsicSignatureNotFound``.
``valid-signed-message-with-attachments.asice`` is not in that test; it is the reference's valid
SOAP-with-attachments container, so it must load and its digests must hold.

The signature itself is not checked here (that needs the XAdES verifier and the test PKI), so
"valid" means: integrity verified, every signed file's digest matches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import vectors
from vdx.crypto.asic_verify import verify_container
from vdx.errors import XRoadError

VALID = "valid"
# file -> (expected verdict, the reason the reference's test gives for it)
EXPECTED: dict[str, tuple[str, str]] = {
    "valid-signed-message.asice": (VALID, "AsicContainerTest: loads"),
    "valid-signed-message-with-attachments.asice": (VALID, "reference-made, attachments signed"),
    "no-mimetype.asice": ("AsicMimeTypeNotFound", "AsicContainerTest: no mimetype entry"),
    "not-asic.asice": ("AsicMimeTypeNotFound", "AsicContainerTest: not a ZIP, no entries"),
    "no-message.asice": ("AsicMessageNotFound", "AsicContainerTest: no message.xml"),
    "no-signature.asice": ("AsicSignatureNotFound", "AsicContainerTest: no signatures.xml"),
}


def _verdict(path: Path) -> tuple[str, str]:
    try:
        verdict = verify_container(path.read_bytes())
    except XRoadError as error:
        return error.fault_code, error.message
    return VALID, ", ".join(verdict.signed_files)


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize("path", vectors.files("asic"), ids=lambda p: p.name)
def test_asic_file_gives_reference_verdict(
    path: Path, conformance: vectors.ConformanceLedger
) -> None:
    assert path.name in EXPECTED, f"no expected verdict recorded for {path.name}"
    expected, why = EXPECTED[path.name]
    actual, reason = _verdict(path)
    conformance.record(
        path, agrees=actual == expected, detail=f"got {actual} ({reason}), want {expected} ({why})"
    )
    assert actual == expected, reason


@pytest.mark.vectors
def test_every_asic_file_has_a_verdict(vectors_dir: Path) -> None:
    assert {p.name for p in (vectors_dir / "asic").iterdir()} == set(EXPECTED)


@pytest.mark.vectors
def test_valid_containers_sign_their_files(vectors_dir: Path) -> None:
    plain = verify_container((vectors_dir / "asic" / "valid-signed-message.asice").read_bytes())
    assert plain.signed_files == ("message.xml",)
    assert plain.timestamp == "signature"
    with_attachments = verify_container(
        (vectors_dir / "asic" / "valid-signed-message-with-attachments.asice").read_bytes()
    )
    assert with_attachments.signed_files == ("message.xml", "attachment1", "attachment2")


@pytest.mark.vectors
def test_a_changed_attachment_in_a_reference_container_is_caught(vectors_dir: Path) -> None:
    data = (vectors_dir / "asic" / "valid-signed-message-with-attachments.asice").read_bytes()
    for position in range(0, len(data), 97):
        tampered = bytearray(data)
        tampered[position] ^= 0xFF
        with pytest.raises(XRoadError):
            verify_container(bytes(tampered))
