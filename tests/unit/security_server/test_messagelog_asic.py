"""The container of one log record verifies fully, and no single changed byte goes unnoticed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from security_server.messagelog.asic_build import (
    asic_manifest_xml,
    container_name,
    escape_file_name,
    record_container,
)
from tests.unit.security_server.messagelog_archive_support import (
    batch_signed_entries,
    embed_token,
    signed_entry,
    stamp,
    verify_fully,
)
from vdx.crypto import asic_refs
from vdx.crypto.asic import ENTRY_ASIC_MANIFEST, read_container
from vdx.crypto.asic_verify import verify_container
from vdx.errors import XRoadError


def _names(container: bytes) -> list[str]:
    return [e.name for e in read_container(container).entries]


def test_single_record_batch_embeds_the_token_in_the_signature() -> None:
    record, ts = stamp([signed_entry("q-1")])[0]
    container = record_container(record, ts)
    verdict = verify_fully(container)
    assert verdict.timestamp == "signature"
    assert not verdict.integrity_only
    assert "time-stamp" in verdict.checked
    assert dict(verdict.evidence)["signer"].startswith("MEMBER:")
    assert _names(container) == [
        "mimetype",
        "message.xml",
        "META-INF/manifest.xml",
        "META-INF/signatures.xml",
    ]


def test_token_already_embedded_by_the_timestamper_is_not_added_twice() -> None:
    record, ts = stamp([signed_entry("q-1")])[0]
    stored = replace(record, entry=embed_token(record.entry, ts.token))
    container = record_container(stored, ts)
    assert read_container(container).signature == stored.entry.signature
    assert verify_fully(container).timestamp == "signature"


def test_batch_time_stamp_carries_token_hash_chain_and_asic_manifest() -> None:
    stamped = stamp([signed_entry("q-1"), signed_entry("q-2", response=True), signed_entry("q-3")])
    for record, ts in stamped:
        container = record_container(record, ts)
        verdict = verify_fully(container)
        assert verdict.timestamp == "batch"
        assert set(_names(container)) >= {
            "META-INF/timestamp.tst",
            "ts-hashchainresult.xml",
            "ts-hashchain.xml",
            ENTRY_ASIC_MANIFEST,
        }


def test_asic_manifest_is_the_references_text() -> None:
    # The reference's AsicManifestBuilder output for a known result (digest base64 SHA-512).
    manifest = asic_manifest_xml(b"<r/>")
    refs, sig_refs = asic_refs.asic_manifest_refs(manifest)
    assert sig_refs == ("META-INF/timestamp.tst",)
    assert [r.uri for r in refs] == ["ts-hashchainresult.xml"]
    assert manifest.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<asic:ASiCManifest ')


def test_rest_body_is_attachment1_and_signed() -> None:
    record, ts = stamp([signed_entry("q-rest", body=b'{"value": 42}')])[0]
    container = record_container(record, ts)
    assert read_container(container).attachments[0].data == b'{"value": 42}'
    assert "attachment1" in verify_fully(container).signed_files


def test_message_signed_in_a_batch_keeps_its_signature_hash_chain() -> None:
    stamped = stamp(batch_signed_entries(["b-1", "b-2"]))
    container = record_container(*stamped[0])
    verdict = verify_fully(container)
    assert verdict.batch_signature
    assert "signature hash chain" in verdict.checked
    assert {"sig-hashchain.xml", "sig-hashchainresult.xml"} <= set(_names(container))


def test_record_of_another_time_stamp_is_refused() -> None:
    record, ts = stamp([signed_entry("q-1")])[0]
    with pytest.raises(ValueError, match="not stamped"):
        record_container(record, replace(ts, id=ts.id + 1))
    batch = stamp([signed_entry("q-1"), signed_entry("q-2")])
    with pytest.raises(ValueError, match="no hash chain"):
        record_container(replace(batch[0][0], timestamp_hash_chain=None), batch[0][1])


def _flipped(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


@pytest.mark.slow
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_every_single_flipped_byte_is_refused(batch: bool) -> None:
    entries = [signed_entry("q-1", body=b"payload")]
    if batch:
        entries.append(signed_entry("q-2"))
    container = record_container(*stamp(entries)[0])
    verify_fully(container)
    # Every byte: the frame (strict ZIP reading, CRCs, manifests, digests) refuses each change;
    # entries are stored, so no change can hide in another deflate encoding of the same file.
    for index in range(len(container)):
        with pytest.raises(XRoadError):
            verify_container(_flipped(container, index))
    # A sample with the full cryptographic checks as well.
    for index in range(0, len(container), 97):
        with pytest.raises(XRoadError):
            verify_fully(_flipped(container, index))


@pytest.mark.parametrize(
    ("query_id", "expected"),
    [
        ("ID1234", "ID1234"),
        ("a b/c~d*e_f.g-h", "a+b%2Fc%7Ed*e_f.g-h"),
        ("ăn", "%C4%83n"),
    ],
)
def test_query_id_is_escaped_like_java_url_encoder(query_id: str, expected: str) -> None:
    assert escape_file_name(query_id) == expected


def test_container_names_follow_the_reference_generator() -> None:
    # message-archive-1.zip: ID1234-request-3.asice ... DBOxx...-response-h.asice (id base 32)
    assert container_name("ID1234", False, 3) == "ID1234-request-3.asice"
    assert container_name("ID1234", True, 17) == "ID1234-response-h.asice"
    assert container_name("x", True, 32) == "x-response-10.asice"
    long_name = container_name("q" * 400, False, 2**40)
    assert len(long_name) <= 255
    assert long_name.startswith("q" * 226 + "-request-")


def test_compressed_form_holds_the_same_files_and_verifies() -> None:
    record, ts = stamp([signed_entry("q-1", body=b"payload"), signed_entry("q-2")])[0]
    stored = read_container(record_container(record, ts))
    compressed_bytes = record_container(record, ts, compress=True)
    compressed = read_container(compressed_bytes)
    assert all(e.stored for e in stored.entries)
    assert not any(e.stored for e in compressed.entries if e.name != "mimetype")
    assert [(e.name, e.data) for e in compressed.entries] == [
        (e.name, e.data) for e in stored.entries
    ]
    assert verify_fully(compressed_bytes).timestamp == "batch"
