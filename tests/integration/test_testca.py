"""``vdx testca`` end to end, driven by third-party tools as the issue asks: openssl and curl.

The CA runs as a real subprocess on 127.0.0.1; no part of it is replaced.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

VDX = str(Path(sys.executable).parent / "vdx")
OPENSSL = shutil.which("openssl")
CURL = shutil.which("curl")

pytestmark = pytest.mark.skipif(
    OPENSSL is None or CURL is None, reason="openssl and curl are needed for these tests"
)


def sh(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed test commands
        ["/bin/bash", "-o", "pipefail", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@dataclass
class RunningCa:
    directory: Path
    manifest: dict[str, str]
    process: subprocess.Popen[str]


def _start(directory: Path) -> RunningCa:
    (directory / "testca.json").write_text(
        json.dumps({k: v for k, v in _manifest(directory).items() if not k.endswith("_url")})
    )
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [VDX, "testca", "serve", "--dir", str(directory), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        manifest = _manifest(directory)
        if "tsa_url" in manifest:
            return RunningCa(directory, manifest, process)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"test CA did not start: {process.communicate()[0]}")


def _manifest(directory: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((directory / "testca.json").read_text())
    return data


def _stop(ca: RunningCa) -> str:
    ca.process.terminate()
    output, _ = ca.process.communicate(timeout=10)
    return output


@pytest.fixture
def ca(tmp_path: Path) -> Iterator[RunningCa]:
    directory = tmp_path / "ca"
    subprocess.run([VDX, "testca", "init", "--dir", str(directory)], check=True, timeout=60)  # noqa: S603
    running = _start(directory)
    yield running
    _stop(running)


def test_init_writes_keys_private_and_names_files(ca: RunningCa) -> None:
    for key in ("ca_cert", "ocsp_cert", "tsa_cert"):
        assert Path(ca.manifest[key]).is_file()
    for key_file in ca.directory.glob("*.key"):
        assert key_file.stat().st_mode & 0o777 == 0o600
    ocsp_text = sh(f"openssl x509 -in {ca.manifest['ocsp_cert']} -noout -text", ca.directory)
    assert "OCSP Signing" in ocsp_text.stdout
    tsa_text = sh(f"openssl x509 -in {ca.manifest['tsa_cert']} -noout -text", ca.directory)
    assert "X509v3 Extended Key Usage: critical" in tsa_text.stdout
    assert "Time Stamping" in tsa_text.stdout


def _timestamp(
    ca: RunningCa, work: Path, name: str, digest: str = "sha256"
) -> subprocess.CompletedProcess[str]:
    (work / f"{name}.txt").write_text(f"evidence {name}\n")
    return sh(
        f"openssl ts -query -data {name}.txt -{digest} -cert -out {name}.tsq && "
        f"curl -sf -H 'Content-Type: application/timestamp-query' --data-binary @{name}.tsq "
        f"{ca.manifest['tsa_url']} -o {name}.tsr && "
        f"openssl ts -reply -in {name}.tsr -text",
        work,
    )


def _serial_of(reply_text: str) -> int:
    line = next(line for line in reply_text.splitlines() if line.startswith("Serial number:"))
    return int(line.split(":", 1)[1].strip(), 16)


def test_tsa_tokens_verify_with_openssl_and_serials_survive_restart(
    ca: RunningCa, tmp_path: Path
) -> None:
    serials = []
    for index, digest in enumerate(("sha256", "sha384", "sha512")):
        reply = _timestamp(ca, tmp_path, f"d{index}", digest)
        assert reply.returncode == 0, reply.stderr
        assert "Status: Granted." in reply.stdout
        assert "Nonce:" in reply.stdout
        verify = sh(
            f"openssl ts -verify -in d{index}.tsr -queryfile d{index}.tsq "
            f"-CAfile {ca.manifest['ca_cert']} -untrusted {ca.manifest['tsa_cert']}",
            tmp_path,
        )
        assert "Verification: OK" in verify.stdout, verify.stdout + verify.stderr
        serials.append(_serial_of(reply.stdout))
    _stop(ca)
    restarted = _start(ca.directory)
    try:
        reply = _timestamp(restarted, tmp_path, "after", "sha256")
        serials.append(_serial_of(reply.stdout))
    finally:
        _stop(restarted)
    assert serials == sorted(set(serials)), serials


def test_tsa_refuses_bad_input_and_spends_no_serial(ca: RunningCa, tmp_path: Path) -> None:
    garbage = sh(
        "head -c 300 /dev/urandom | curl -s -H 'Content-Type: application/timestamp-query' "
        f"--data-binary @- {ca.manifest['tsa_url']} -o bad.tsr && "
        "openssl ts -reply -in bad.tsr -text",
        tmp_path,
    )
    assert "Status: Rejected." in garbage.stdout
    md5 = _timestamp(ca, tmp_path, "md5", "md5")
    assert "Status: Rejected." in md5.stdout
    assert "unrecognized or unsupported algorithm" in md5.stdout
    huge = sh(
        "head -c 100000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' "
        f"--data-binary @- {ca.manifest['tsa_url']}",
        tmp_path,
    )
    assert huge.stdout == "413"
    first_good = _timestamp(ca, tmp_path, "good", "sha256")
    assert _serial_of(first_good.stdout) == 1


def _request_cert(
    ca: RunningCa, work: Path, subject: str, profile: str
) -> subprocess.CompletedProcess[str]:
    return sh(
        f"openssl req -new -newkey rsa:2048 -nodes -keyout ee.key -subj '{subject}' -out ee.csr "
        f"2>/dev/null && curl -s -w '\\n%{{http_code}}' --data-binary @ee.csr "
        f"'{ca.manifest['issue_url']}?profile={profile}'",
        work,
    )


def test_issue_then_ocsp_good_then_revoked(ca: RunningCa, tmp_path: Path) -> None:
    issued = _request_cert(ca, tmp_path, "/C=EE/O=GOV/CN=1234", "sign")
    pem, status = issued.stdout.rsplit("\n", 1)
    assert status == "200", issued.stdout
    (tmp_path / "ee.pem").write_text(pem + "\n")
    check = (
        f"openssl ocsp -issuer {ca.manifest['issuing_ca_cert']} -cert ee.pem "
        f"-url {ca.manifest['ocsp_url']} -CAfile {ca.manifest['ca_cert']} -resp_text"
    )
    before = sh(check, tmp_path)
    assert "Response verify OK" in before.stderr + before.stdout
    assert "ee.pem: good" in before.stdout
    assert "Next Update:" in before.stdout
    serial = sh("openssl x509 -in ee.pem -noout -serial", tmp_path).stdout.strip().split("=")[1]
    revoked = subprocess.run(  # noqa: S603
        [VDX, "testca", "revoke", "--dir", str(ca.directory), "--serial", serial],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert revoked.returncode == 0, revoked.stderr
    after = sh(check, tmp_path)
    assert "ee.pem: revoked" in after.stdout
    listing = subprocess.run(  # noqa: S603
        [VDX, "testca", "list", "--dir", str(ca.directory), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    rows = json.loads(listing.stdout)
    assert [(r["serial_hex"], r["profile"], bool(r["revoked_at"])) for r in rows] == [
        (serial, "sign", True)
    ]


def test_forged_subject_and_garbage_csr_leave_the_ca_unchanged(
    ca: RunningCa, tmp_path: Path
) -> None:
    forged = _request_cert(ca, tmp_path, "/C=EE/O=GOV/CN=1234/OU=extra", "sign")
    assert forged.stdout.endswith("400")
    assert "OU" in forged.stdout
    missing = _request_cert(ca, tmp_path, "/CN=only", "sign")
    assert missing.stdout.endswith("400")
    unknown_profile = _request_cert(ca, tmp_path, "/CN=ss1", "admin")
    assert unknown_profile.stdout.endswith("400")
    garbage = sh(
        f"head -c 500 /dev/urandom | curl -s -w '\\n%{{http_code}}' --data-binary @- "
        f"'{ca.manifest['issue_url']}?profile=auth'",
        tmp_path,
    )
    assert garbage.stdout.endswith("400")
    listing = subprocess.run(  # noqa: S603
        [VDX, "testca", "list", "--dir", str(ca.directory), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(listing.stdout) == []


def test_ocsp_answers_garbage_with_malformed_request(ca: RunningCa, tmp_path: Path) -> None:
    reply = sh(
        "head -c 64 /dev/urandom | curl -s -H 'Content-Type: application/ocsp-request' "
        f"--data-binary @- {ca.manifest['ocsp_url']} -o r.der && "
        "openssl ocsp -respin r.der -resp_text -noverify",
        tmp_path,
    )
    assert "malformedrequest" in (reply.stdout + reply.stderr).lower()


def test_ocsp_get_form_and_configured_tsa_policy(tmp_path: Path) -> None:
    directory = tmp_path / "ca"
    subprocess.run(  # noqa: S603
        [VDX, "testca", "init", "--dir", str(directory), "--tsa-policy", "1.2.3.4.5"],
        check=True,
        timeout=60,
    )
    running = _start(directory)
    try:
        issued = _request_cert(running, tmp_path, "/CN=SS1", "auth")
        pem, status = issued.stdout.rsplit("\n", 1)
        assert status == "200"
        (tmp_path / "ss.pem").write_text(pem + "\n")
        request = sh(
            f"openssl ocsp -issuer {running.manifest['issuing_ca_cert']} -cert ss.pem "
            "-no_nonce -reqout q.der",
            tmp_path,
        )
        assert request.returncode == 0, request.stderr
        encoded = base64.b64encode((tmp_path / "q.der").read_bytes()).decode()
        url = f"{running.manifest['ocsp_url']}/{urllib.parse.quote(encoded, safe='')}"
        get = sh(
            f"curl -sf -o r.der '{url}' && openssl ocsp -respin r.der "
            f"-issuer {running.manifest['issuing_ca_cert']} "
            f"-CAfile {running.manifest['ca_cert']} -cert ss.pem",
            tmp_path,
        )
        assert "ss.pem: good" in get.stdout, get.stdout + get.stderr
        stamp = _timestamp(running, tmp_path, "policy", "sha512")
        assert "Policy OID: 1.2.3.4.5" in stamp.stdout
    finally:
        _stop(running)
