"""``vdx message check`` as a user runs it: the console script, files in, verdicts out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

VDX = shutil.which("vdx", path=str(Path(sys.executable).parent)) or "vdx"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script with test arguments
        [VDX, "message", "check", *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.vectors
def test_valid_query_prints_headers(vectors_dir: Path) -> None:
    result = run(str(vectors_dir / "soap-queries" / "simple.query"))
    assert result.returncode == 0, result.stderr
    assert "valid X-Road request" in result.stdout
    assert "SERVICE:EE/BUSINESS/producer/testQuery" in result.stdout


@pytest.mark.vectors
def test_faulty_query_prints_code_and_exits_non_zero(vectors_dir: Path) -> None:
    result = run("--json", str(vectors_dir / "soap-queries" / "faulty-header2.query"))
    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert verdict["code"] == "Client.DuplicateHeaderField"
    assert "client" in verdict["message"]


@pytest.mark.vectors
def test_answer_checked_against_its_query(vectors_dir: Path) -> None:
    folder = vectors_dir / "soap-queries"
    ok = run(str(folder / "simple.answer"), "--response-to", str(folder / "simple.query"))
    assert ok.returncode == 0
    bad = run(str(folder / "getstate.query"), "--response-to", str(folder / "xml.query"))
    assert bad.returncode == 1
    assert "Server.ClientProxy.ServiceFailed.InconsistentResponse" in bad.stdout


def test_rest_request(tmp_path: Path) -> None:
    request = tmp_path / "req.http"
    request.write_bytes(
        b"POST /r1/EE/GOV/1234/SUB/pets/cats HTTP/1.1\r\n"
        b"X-Road-Client: EE/GOV/5678/CLIENT\r\nContent-Type: application/json\r\n\r\n{}"
    )
    result = run("--rest", "--json", str(request))
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["servicePath"] == "/cats"


def _billion_laughs() -> bytes:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    lines += ["]>", "<lolz>&lol9;</lolz>"]
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    "document",
    [
        _billion_laughs(),
        b'<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><f>&x;</f>',
        b'<!DOCTYPE f SYSTEM "http://127.0.0.1:9/evil.dtd"><f/>',
    ],
    ids=["billion-laughs", "xxe-file", "external-dtd"],
)
def test_hostile_xml_is_refused(tmp_path: Path, document: bytes) -> None:
    # The in-process refusal time is bounded in tests/property/test_xml_props.py.
    path = tmp_path / "hostile.xml"
    path.write_bytes(document)
    result = run(str(path))
    assert result.returncode == 1
    assert "Client.InvalidSoap" in result.stdout
    assert "root:" not in result.stdout  # nothing of /etc/passwd leaks
