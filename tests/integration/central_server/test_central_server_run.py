"""``vdx central-server run`` as a user starts it: a subprocess on 127.0.0.1, then curl-like
downloads checked with independent tools (openssl dgst, xmlschema)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests import vectors
from tests.unit.tokens import softhsm as hsm
from vdx.clock import utc_now
from vdx.globalconf import (
    parse_directory,
    verify_directory,
)
from vdx.globalconf.anchor import parse_anchor

VDX = str(Path(sys.executable).parent / "vdx")
OPENSSL = shutil.which("openssl")


def _token_environment(kind: str, tmp_path: Path) -> dict[str, str]:
    """The configuration signing keys on the soft token in <data>/tokens, or on SoftHSM2."""
    if kind == "soft":
        return {"VDX_CS_TOKEN_PIN": "conf-token-pin"}
    reason = hsm.unavailable()
    if reason is not None:
        if vectors.UNDER_CI:
            pytest.fail(f"CI must run the PKCS#11 tests: {reason}", pytrace=False)
        pytest.skip(reason)
    (tmp_path / "hsm").mkdir()
    return {
        "SOFTHSM2_CONF": str(hsm.init_token(tmp_path / "hsm")),
        "VDX_CS_TOKEN_LIBRARY": str(hsm.LIBRARY),
        "VDX_CS_TOKEN_LABEL": hsm.LABEL,
        "VDX_CS_TOKEN_PIN": hsm.USER_PIN,
    }


@pytest.fixture(params=["soft", "pkcs11"])
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    config = tmp_path / "cs.toml"
    data = tmp_path / "data"
    config.write_text(
        f'instance_identifier = "VDX"\ndata_dir = "{data}"\nconf_http_port = 0\n'
        "conf_generation_interval_seconds = 1\nregistration_port = 0\nmanagement_port = 0\n"
        "admin_api_port = 0\n"
    )
    environment = {**os.environ, **_token_environment(request.param, tmp_path)}
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [VDX, "central-server", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    assert process.stdout is not None
    base = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not base:
        line = process.stdout.readline()
        if line.startswith("conf"):
            base = line.split()[1]
    try:
        assert base, "central server did not start"
        _wait_for_configuration(base)
        yield base, config
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
        assert process.returncode == 0, output
        assert "central server stopped" in output


def _get(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
        return response.read(), response.headers["Content-Type"]


def _wait_for_configuration(base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            _get(f"{base}/internalconf")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("no configuration was published")


def test_published_directory_verifies_with_the_anchor_alone(
    running: tuple[str, Path], tmp_path: Path
) -> None:
    base, config = running
    body, content_type = _get(f"{base}/internalconf")
    command = [VDX, "cs", "anchor", "export", "--url", f"{base}/internalconf"]
    command += ["--out", "anchor.xml", "--config", str(config)]
    exported = subprocess.run(  # noqa: S603 - our own console script
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Hash (SHA-224)" in exported.stdout
    anchor_xml = (tmp_path / "anchor.xml").read_bytes()
    (cert_der,) = parse_anchor(anchor_xml).verification_certs
    cert = x509.load_der_x509_certificate(cert_der)
    assert "configuration signing" in cert.subject.rfc4514_string()
    assert not (config.parent / "data" / "conf-signing").exists()  # no PEM key: the token signs
    directory = parse_directory(body, content_type)
    files = {
        part.content_location: _get(base + part.content_location)[0] for part in directory.parts
    }
    verify_directory(body, content_type, parse_anchor(anchor_xml), utc_now(), files)

    # Independently: openssl checks the signature with the certificate's public key alone.
    if OPENSSL:
        (tmp_path / "data.bin").write_bytes(directory.signed_data)
        (tmp_path / "sig.bin").write_bytes(directory.signature)
        (tmp_path / "pub.pem").write_bytes(
            cert.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        result = subprocess.run(  # noqa: S603 - openssl with fixed arguments
            [OPENSSL, "dgst", "-sha512", "-verify", "pub.pem", "-signature", "sig.bin", "data.bin"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.stdout.strip() == "Verified OK", result.stdout + result.stderr


@pytest.mark.vectors
def test_shared_parameters_validate_against_the_v5_schema(running: tuple[str, Path]) -> None:
    base, _ = running
    body, content_type = _get(f"{base}/internalconf")
    directory = parse_directory(body, content_type)
    shared = next(p for p in directory.parts if p.content_location.endswith("shared-params.xml"))
    schema_dir = vectors.require_dir() / "schemas" / "globalconf" / "v5"
    schema = xmlschema.XMLSchema(str(next(schema_dir.glob("*shared*.xsd"))))
    schema.validate(_get(base + shared.content_location)[0].decode("utf-8"))
