"""Message-log archives: linking chains built and verified, each refusal, tamper evidence."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.unit.crypto.test_asic import small_container
from vdx.cli import evidence
from vdx.crypto import asic_zip
from vdx.crypto.archive import (
    LINKING_INFO,
    LinkingInfo,
    build_archive,
    chain_digest,
    parse_linking_info,
    verify_archive,
)
from vdx.crypto.asic_verify import verify_container
from vdx.errors import Code, XRoadError

A = ("a-request-1.asice", b"container one")
B = ("a-response-2.asice", b"container two")


def refusal(data: bytes, previous: str | None = None) -> str:
    with pytest.raises(XRoadError) as caught:
        verify_archive(data, previous_digest=previous)
    return caught.value.fault_code


def test_chain_digest_is_hex_of_previous_and_hex_digest() -> None:
    inner = hashlib.sha256(b"x").hexdigest()
    assert chain_digest("SHA-256", "", b"x") == hashlib.sha256(inner.encode()).hexdigest()
    outer = hashlib.sha512(("ab" + hashlib.sha512(b"x").hexdigest()).encode()).hexdigest()
    assert chain_digest("SHA-512", "ab", b"x") == outer


def test_archives_chain_into_each_other() -> None:
    first, first_last = build_archive([A, B])
    verdict = verify_archive(first, previous_digest="-")
    assert verdict.last_digest == first_last
    assert verdict.containers == (A[0], B[0])
    assert verdict.previous_checked
    second, second_last = build_archive(
        [("b-request-3.asice", b"three")], previous_digest=first_last, previous_file="first.zip"
    )
    assert verify_archive(second, previous_digest=first_last).last_digest == second_last
    assert verify_archive(second).previous_digest == first_last
    assert not verify_archive(second).previous_checked
    assert refusal(second, previous="-") == Code.INVALID_HASH_CHAIN_RESULT
    assert refusal(first, previous=second_last) == Code.INVALID_HASH_CHAIN_RESULT


def test_build_is_deterministic_and_linkinginfo_round_trips() -> None:
    data, last = build_archive([A, B], algorithm="SHA-256")
    assert build_archive([A, B], algorithm="SHA-256") == (data, last)
    members = {m.name: m.data for m in asic_zip.read_zip(data).members}
    info = parse_linking_info(members[LINKING_INFO])
    assert info.render() == members[LINKING_INFO]
    assert members[LINKING_INFO].startswith(b"- - SHA-256\n")
    assert info.entries[-1] == (last, B[0])


def _rezip(data: bytes, name: str, content: bytes | None) -> bytes:
    members = [
        (m.name, content if m.name == name else m.data, False)
        for m in asic_zip.read_zip(data).members
        if m.name != name or content is not None
    ]
    return asic_zip.write_zip(members)


def test_each_defect_gives_its_reason() -> None:
    data, _ = build_archive([A, B])
    assert refusal(_rezip(data, A[0], b"changed")) == Code.INVALID_HASH_CHAIN_RESULT
    assert refusal(_rezip(data, LINKING_INFO, None)) == Code.MALFORMED_HASH_CHAIN
    assert refusal(_rezip(data, A[0], None)) == Code.INVALID_HASH_CHAIN_REF
    assert refusal(_rezip(data, B[0], None)) == Code.INVALID_HASH_CHAIN_REF
    only_info = asic_zip.write_zip([(LINKING_INFO, b"- - SHA-512\n", False)])
    assert refusal(only_info) == Code.ASIC_INVALID_CONTAINER
    assert refusal(_rezip(data, LINKING_INFO, b"- - MD5\n")) == Code.UNSUPPORTED_ALGORITHM
    assert refusal(_rezip(data, LINKING_INFO, b"- -\n")) == Code.MALFORMED_HASH_CHAIN
    extra = [*((m.name, m.data, False) for m in asic_zip.read_zip(data).members)]
    assert refusal(asic_zip.write_zip([*extra, ("notes.txt", b"x", False)])) == (
        Code.ASIC_INVALID_CONTAINER
    )


def test_container_check_runs_on_each_container(tmp_path: Path) -> None:
    good, _ = build_archive([("x-request-1.asice", small_container())])
    assert verify_archive(good, check_container=verify_container).containers
    bad, _ = build_archive([A])  # chained correctly, but not an ASiC container
    with pytest.raises(XRoadError, match=A[0]) as caught:
        verify_archive(bad, check_container=verify_container)
    assert caught.value.code == Code.ASIC_MIME_TYPE_NOT_FOUND
    archive = tmp_path / "bad.zip"
    archive.write_bytes(bad)
    assert runner.invoke(evidence.archive_app, ["verify", str(archive)]).exit_code == 0
    result = runner.invoke(evidence.archive_app, ["verify", str(archive), "--containers"])
    assert result.exit_code == 1
    assert "AsicMimeTypeNotFound" in result.output


def test_swapped_order_breaks_the_chain() -> None:
    data, _ = build_archive([A, B])
    members = asic_zip.read_zip(data).members
    swapped = [members[1], members[0], members[2]]
    assert refusal(asic_zip.write_zip([(m.name, m.data, False) for m in swapped])) == (
        Code.INVALID_HASH_CHAIN_RESULT
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (b"", Code.MALFORMED_HASH_CHAIN),
        (b"\xff", Code.MALFORMED_HASH_CHAIN),
        (b"- - SHA-512\nabc\n", Code.MALFORMED_HASH_CHAIN),
        (b"- - SHA-512\nab x.asice\ncd x.asice\n", Code.MALFORMED_HASH_CHAIN),
    ],
)
def test_malformed_linking_info(text: bytes, code: Code) -> None:
    with pytest.raises(XRoadError) as caught:
        parse_linking_info(text)
    assert caught.value.code == code


def test_linking_info_accepts_crlf_and_first_archive_dashes() -> None:
    info = parse_linking_info(b"- - SHA-512\r\nab x.asice\r\n")
    assert info == LinkingInfo("", "", "SHA-512", (("ab", "x.asice"),))


def test_every_single_flipped_byte_is_detected() -> None:
    data, _ = build_archive([("x-request-1.asice", small_container())])
    verify_archive(data)
    undetected = []
    for position in range(len(data)):
        for mask in (0xFF, 0x01, 0x80):
            tampered = bytearray(data)
            tampered[position] ^= mask
            try:
                verify_archive(bytes(tampered))
            except XRoadError:
                continue
            undetected.append((position, mask))
    assert undetected == []


def test_build_refuses_bad_names_and_empty_archives() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_archive([])
    with pytest.raises(ValueError, match="asice"):
        build_archive([("x.zip", b"")])


# ------------------------------------------------------------------ command line

runner = CliRunner()


def test_cli_prints_last_digest_and_checks_the_link(tmp_path: Path) -> None:
    data, last = build_archive([A, B])
    archive = tmp_path / "mlog.zip"
    archive.write_bytes(data)
    result = runner.invoke(evidence.archive_app, ["verify", str(archive), "--previous-digest", "-"])
    assert result.exit_code == 0, result.output
    assert last in result.output
    result = runner.invoke(evidence.archive_app, ["verify", str(archive), "--json"])
    verdict = json.loads(result.output)
    assert verdict["last_digest"] == last
    assert verdict["previous_checked"] is False
    assert "NOT checked" in runner.invoke(evidence.archive_app, ["verify", str(archive)]).output
    result = runner.invoke(
        evidence.archive_app, ["verify", str(archive), "--previous-digest", "ab", "--json"]
    )
    assert result.exit_code == 1
    assert json.loads(result.output)["code"] == "InvalidHashChain"
