"""ASiC-E containers: build -> verify round trips, each refusal with its code, tamper evidence."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from typer.testing import CliRunner

from vdx.cli import evidence
from vdx.crypto import asic_zip
from vdx.crypto.asic import (
    ENTRY_MANIFEST,
    ENTRY_MESSAGE,
    ENTRY_SIGNATURE,
    MIMETYPE,
    AsicContainer,
    HashChainFiles,
    build_container,
    read_container,
)
from vdx.crypto.asic_verify import (
    HASH_CHAIN_INPUT_MISMATCH,
    EvidenceCheck,
    EvidenceCheckers,
    verify_container,
)
from vdx.errors import Code, XRoadError

SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
DS = "http://www.w3.org/2000/09/xmldsig#"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MESSAGE = b"<m>hi</m>"


def b64_sha512(data: bytes) -> str:
    return base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def signature_xml(files: dict[str, bytes], *, stamped: bool = False) -> bytes:
    """A signatures.xml whose SignedInfo references ``files`` by digest (no real signature)."""
    refs = "".join(
        f'<ds:Reference URI="/{name}"><ds:DigestMethod Algorithm="{SHA512}"/>'
        f"<ds:DigestValue>{b64_sha512(data)}</ds:DigestValue></ds:Reference>"
        for name, data in files.items()
    )
    stamp = "<xades:SignatureTimeStamp>AA==</xades:SignatureTimeStamp>" if stamped else ""
    return (
        '<asic:XAdESSignatures xmlns:asic="http://uri.etsi.org/02918/v1.2.1#"'
        f' xmlns:ds="{DS}" xmlns:xades="http://uri.etsi.org/01903/v1.3.2#">'
        f'<ds:Signature Id="s"><ds:SignedInfo>{refs}</ds:SignedInfo>'
        f"<ds:SignatureValue>AA==</ds:SignatureValue>{stamp}</ds:Signature>"
        "</asic:XAdESSignatures>"
    ).encode()


def hash_chain(files: dict[str, bytes]) -> bytes:
    refs = "".join(
        f'<h:DataRef URI="/{name}"><DigestValue>{b64_sha512(data)}</DigestValue></h:DataRef>'
        for name, data in files.items()
    )
    return (
        f'<h:HashChain xmlns="{DS}" xmlns:h="http://cyber.ee/hashchain">'
        f'<h:DefaultDigestMethod Algorithm="{SHA512}"/><h:HashStep id="STEP0">{refs}</h:HashStep>'
        "</h:HashChain>"
    ).encode()


def timestamp_token() -> bytes:
    """The shape of an RFC 3161 token (SignedData around TSTInfo), without a real signature."""
    tst_info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": bytes(32),
            },
            "serial_number": 1,
            "gen_time": NOW,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "tst_info", "content": tst_info},
            "signer_infos": [],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


def small_container(**kwargs: object) -> bytes:
    attachments = [b"att"]
    files = {ENTRY_MESSAGE: MESSAGE, "attachment1": attachments[0]}
    return build_container(
        message=MESSAGE, signature_xml=signature_xml(files), attachments=attachments, **kwargs
    )  # type: ignore[arg-type]


def batch_container() -> bytes:
    chain = hash_chain({ENTRY_MESSAGE: MESSAGE, "attachment9": b"not archived"})
    result = b"<r/>"
    sig = signature_xml({"sig-hashchainresult.xml": result})
    ts_chain = hash_chain({ENTRY_SIGNATURE: sig})
    return build_container(
        message=MESSAGE,
        signature_xml=sig,
        sig_hash_chain=HashChainFiles(chain, result),
        ts_hash_chain=HashChainFiles(ts_chain, b"<t/>"),
        timestamp=timestamp_token(),
    )


def refusal(data: bytes) -> str:
    with pytest.raises(XRoadError) as caught:
        verify_container(data)
    return caught.value.fault_code


def test_built_container_verifies_and_reads_back() -> None:
    data = small_container()
    verdict = verify_container(data)
    assert verdict.integrity_only
    assert verdict.signed_files == ("message.xml", "attachment1")
    assert verdict.timestamp == "none"
    assert verdict.notes == ()
    container = read_container(data)
    assert container.message == MESSAGE
    assert [a.data for a in container.attachments] == [b"att"]
    assert container.mimetype_first_and_stored


def test_build_is_deterministic_and_mimetype_leads_uncompressed() -> None:
    assert small_container() == small_container()
    assert small_container().startswith(b"PK\x03\x04")
    assert small_container()[30:38] == b"mimetype"
    assert MIMETYPE.encode() in small_container()[:80]
    later = small_container(modified=datetime(2024, 5, 6, 7, 8, 10, tzinfo=UTC))
    assert later != small_container()
    verify_container(later)


def test_batch_signature_and_timestamp_checks_their_digests() -> None:
    verdict = verify_container(batch_container())
    assert verdict.batch_signature
    assert verdict.timestamp == "batch"
    assert "sig-hashchainresult.xml" in verdict.signed_files
    assert any("attachment9" in note for note in verdict.notes)


def _members(container: bytes) -> list[tuple[str, bytes, bool]]:
    read = asic_zip.read_zip(container)
    return [(m.name, m.data, m.method == asic_zip.STORED) for m in read.members]


def _rezip(container: bytes, name: str, data: bytes | None) -> bytes:
    members = [
        (n, data if n == name else d, s)
        for n, d, s in _members(container)
        if n != name or data is not None
    ]
    return asic_zip.write_zip(members)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("mimetype", None, Code.ASIC_MIME_TYPE_NOT_FOUND),
        ("mimetype", b"text/plain", Code.ASIC_INVALID_MIME_TYPE),
        (ENTRY_MESSAGE, None, Code.ASIC_MESSAGE_NOT_FOUND),
        (ENTRY_MESSAGE, b"<m>bye</m>", Code.INVALID_SIGNATURE_VALUE),
        ("attachment1", b"other", Code.INVALID_SIGNATURE_VALUE),
        ("attachment1", None, Code.ASIC_INVALID_CONTAINER),  # still listed in the manifest
        (ENTRY_SIGNATURE, None, Code.ASIC_SIGNATURE_NOT_FOUND),
        (ENTRY_SIGNATURE, b"<broken", Code.MALFORMED_SIGNATURE),
        (ENTRY_MANIFEST, b"  ", Code.ASIC_MANIFEST_NOT_FOUND),
        (ENTRY_MANIFEST, b"<nope/>", Code.ASIC_INVALID_CONTAINER),
    ],
)
def test_each_defect_gives_its_code(name: str, data: bytes | None, code: Code) -> None:
    assert refusal(_rezip(small_container(), name, data)) == code


def test_unlisted_and_unsigned_entries_are_refused() -> None:
    members = [*_members(small_container()), ("extra.bin", b"x", False)]
    assert refusal(asic_zip.write_zip(members)) == Code.ASIC_INVALID_CONTAINER
    unsigned = build_container(
        message=MESSAGE, signature_xml=signature_xml({ENTRY_MESSAGE: MESSAGE}), attachments=[b"a"]
    )
    assert refusal(unsigned) == Code.INVALID_REFERENCE
    no_message = build_container(message=MESSAGE, signature_xml=signature_xml({}))
    assert refusal(no_message) == Code.MALFORMED_SIGNATURE


def test_hash_chain_pairs_and_inputs() -> None:
    batch = batch_container()
    assert refusal(_rezip(batch, "sig-hashchain.xml", None)) == Code.ASIC_HASH_CHAIN_NOT_FOUND
    assert refusal(_rezip(batch, "sig-hashchainresult.xml", None)) == (
        Code.ASIC_HASH_CHAIN_RESULT_NOT_FOUND
    )
    bad_chain = hash_chain({ENTRY_MESSAGE: b"<m>other</m>"})
    assert refusal(_rezip(batch, "sig-hashchain.xml", bad_chain)) == HASH_CHAIN_INPUT_MISMATCH
    assert refusal(_rezip(batch, "META-INF/timestamp.tst", b"junk")) == Code.TIMESTAMP_VALIDATION


def test_strict_etsi_refuses_a_late_mimetype() -> None:
    members = _members(small_container())
    late = asic_zip.write_zip([*members[1:], members[0]])
    assert verify_container(late).notes
    with pytest.raises(XRoadError) as caught:
        verify_container(late, strict_etsi=True)
    assert caught.value.code == Code.ASIC_INVALID_CONTAINER


def test_injected_checkers_run_in_order_and_their_errors_propagate() -> None:
    calls: list[str] = []

    def record(label: str) -> EvidenceCheck:
        def check(container: AsicContainer, now: datetime) -> None:
            assert now == NOW
            assert container.message == MESSAGE
            calls.append(label)

        return check

    checkers = EvidenceCheckers(record("sig"), record("chain"), record("ts"))
    verdict = verify_container(batch_container(), checkers=checkers, now=NOW)
    assert calls == ["sig", "chain", "ts"]
    assert not verdict.integrity_only
    calls.clear()
    verify_container(small_container(), checkers=checkers, now=NOW)
    assert calls == ["sig"]

    def fail(_container: AsicContainer, _now: datetime) -> None:
        raise XRoadError(Code.INVALID_SIGNATURE_VALUE, "bad signature")

    with pytest.raises(XRoadError, match="bad signature"):
        verify_container(small_container(), checkers=EvidenceCheckers(fail, fail, fail), now=NOW)
    with pytest.raises(ValueError, match="now"):
        verify_container(small_container(), checkers=checkers)


@pytest.mark.parametrize("factory", [small_container, batch_container], ids=["plain", "batch"])
def test_every_single_flipped_byte_is_detected(factory: object) -> None:
    data = factory()  # type: ignore[operator]
    assert isinstance(data, bytes)
    verify_container(data)
    undetected = []
    for position in range(len(data)):
        tampered = bytearray(data)
        tampered[position] ^= 0xFF
        try:
            verify_container(bytes(tampered))
        except XRoadError:
            continue
        undetected.append(position)
    assert undetected == []


# ------------------------------------------------------------------ command line

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(evidence.asic_app, ["verify", *args])
    return result.exit_code, result.output


def test_cli_integrity_only(tmp_path: Path) -> None:
    good = tmp_path / "good.asice"
    good.write_bytes(small_container())
    code, out = _run(str(good), "--integrity-only")
    assert code == 0, out
    assert "integrity verified" in out
    code, out = _run(str(good), "--integrity-only", "--json")
    assert json.loads(out)["signed_files"] == ["message.xml", "attachment1"]
    bad = tmp_path / "bad.asice"
    bad.write_bytes(_rezip(small_container(), ENTRY_MESSAGE, b"<m>bye</m>"))
    code, out = _run(str(bad), "--integrity-only", "--json")
    assert code == 1
    assert json.loads(out)["code"] == "InvalidSignatureValue"


def test_cli_full_verification_needs_usable_trust(tmp_path: Path) -> None:
    good = tmp_path / "good.asice"
    good.write_bytes(small_container())
    code, out = _run(str(good))
    assert code == 2
    assert "--trust" in out
    assert "--integrity-only" in out
    code, out = _run(str(good), "--trust", str(tmp_path))
    assert code == 2


def test_cli_full_verification_uses_the_wired_checkers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []

    def ok(_container: AsicContainer, _now: datetime) -> None:
        return None

    def factory(trust: Path) -> EvidenceCheckers:
        seen.append(trust)
        return EvidenceCheckers(ok, ok, ok)

    monkeypatch.setattr(evidence, "checkers_factory", factory)
    good = tmp_path / "good.asice"
    good.write_bytes(small_container())
    assert _run(str(good))[0] == 2  # still needs --trust
    code, out = _run(str(good), "--trust", str(tmp_path))
    assert code == 0, out
    assert seen == [tmp_path]
    assert "valid ASiC-E container: verified" in out
