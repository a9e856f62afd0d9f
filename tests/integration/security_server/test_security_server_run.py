"""``vdx security-server run`` as a user starts it: a real central server subprocess, its
exported anchor, then the security server subprocess downloading and verifying the global
configuration, reporting health and metrics, and stopping on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from security_server.app_keys import load_material, open_token
from security_server.ocsp_responder import create_ocsp_responder
from security_server.proxy import server_ssl_context
from tests.unit.crypto import pki
from tests.unit.security_server import exchange_support as exchange
from vdx.errors import XRoadError
from vdx.tokens import CertEvent, KeyAlgorithm, KeyUsage, Token

VDX = str(Path(sys.executable).parent / "vdx")
START_SECONDS = 30


def _start(command: list[str], environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own console script / module
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
    )


def _listeners(process: subprocess.Popen[str], wanted: set[str]) -> tuple[dict[str, str], str]:
    """Read the ``name url`` lines the server prints until it says it is running."""
    assert process.stdout is not None
    found: dict[str, str] = {}
    lines: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line or " running; " in line:
            break
        lines.append(line)
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("http"):
            found[parts[0]] = parts[1]
    assert wanted <= found.keys(), "".join(lines)
    return found, "".join(lines)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _stop(process: subprocess.Popen[str], banner: str) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert banner in output
    return output


@pytest.fixture
def anchor(tmp_path: Path) -> Iterator[Path]:
    """A running central server (soft token) and its exported anchor."""
    config = tmp_path / "cs.toml"
    config.write_text(
        f'instance_identifier = "VDX"\ndata_dir = "{tmp_path / "cs"}"\nconf_http_port = 0\n'
        "conf_generation_interval_seconds = 1\nregistration_port = 0\nmanagement_port = 0\n"
        "admin_api_port = 0\n"
    )
    process = _start(
        [VDX, "central-server", "run", "--config", str(config)],
        {**os.environ, "VDX_CS_TOKEN_PIN": "conf-token-pin"},
    )
    try:
        base = _listeners(process, {"conf"})[0]["conf"]
        deadline = time.monotonic() + START_SECONDS
        while _get(f"{base}/internalconf")[0] != 200:
            assert time.monotonic() < deadline, "no configuration was published"
            time.sleep(0.2)
        subprocess.run(  # noqa: S603 - our own console script
            [
                VDX,
                "cs",
                "anchor",
                "export",
                "--url",
                f"{base}/internalconf",
                "--out",
                "anchor.xml",
                "--config",
                str(config),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        yield tmp_path / "anchor.xml"
    finally:
        _stop(process, "central server stopped")


def _health(admin: str) -> tuple[int, dict[str, Any]]:
    status, body = _get(f"{admin}/health")
    return status, json.loads(body)


@pytest.mark.parametrize("pin", ["ss-token-pin", None])
def test_downloads_configuration_reports_health_and_stops(
    anchor: Path, tmp_path: Path, pin: str | None
) -> None:
    config = tmp_path / "ss.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "ss"}"\nanchor_file = "{anchor}"\n'
        "client_proxy_port = 0\nclient_proxy_tls_port = 0\nserver_proxy_port = 0\nocsp_port = 0\n"
        "admin_api_port = 0\n"
        "conf_download_interval_seconds = 1\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VDX_SS_")}
    if pin is not None:
        environment["VDX_SS_TOKEN_PIN"] = pin
    process = _start(
        [VDX, "security-server", "run", "--config", str(config)],
        environment,
    )
    try:
        # The server proxy listens from the start and refuses handshakes until an auth
        # certificate is registered and active (it is then loaded without a restart).
        urls, _ = _listeners(process, {"client-proxy", "server-proxy", "ocsp", "admin"})
        admin = urls["admin"]
        deadline = time.monotonic() + START_SECONDS
        status, body = _health(admin)
        while not body["checks"]["globalconf"]["ok"]:
            assert time.monotonic() < deadline, body
            time.sleep(0.3)
            status, body = _health(admin)
        # Configuration downloaded and verified; the database answers; no auth key yet.
        assert status == 500, body
        assert body["status"] == "failing"
        assert body["checks"]["database"] == {"ok": True, "reason": None}
        auth_reason = body["checks"]["auth"]["reason"]
        assert "has no valid authentication certificate" in auth_reason
        assert ("token_pin is not set" in auth_reason) is (pin is None)
        assert body["reason"] == f"auth: {auth_reason}"
        assert (tmp_path / "ss" / "tokens").exists() is (pin is not None)

        status, metrics = _get(f"{admin}/metrics")
        assert status == 200
        (line,) = [
            line
            for line in metrics.decode().splitlines()
            if line.startswith("vdx_ss_globalconf_expiry_seconds ")
        ]
        assert 0 < float(line.split()[1]) <= 600

        # The OCSP listener answers peers; without an auth certificate it has nothing cached.
        assert _get(f"{urls['ocsp']}/?cert={'00' * 20}")[0] == 404
        assert _get(f"{urls['ocsp']}/")[0] == 400

        # The client proxy refuses with the reference signer's fault: no signing key yet.
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
            f"{urls['client-proxy']}/r1/VDX/GOV/PROVIDER/REST/pets",
            headers={"X-Road-Client": "VDX/GOV/CONSUMER/APP", "Accept": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310 - 127.0.0.1 only
        except urllib.error.HTTPError as error:
            fault = json.loads(error.read())
        else:
            pytest.fail("the client proxy answered without a signing key")
        assert fault["type"] == "Signer.InternalError", fault
        assert fault["message"] == "Member 'MEMBER:VDX/GOV/CONSUMER' has no suitable certificates"
    finally:
        _stop(process, "security server stopped")


async def test_ocsp_listener_answers_multipart_related_in_the_order_asked() -> None:
    """pr-messtransp §3: ``GET /?cert=<hex sha1>`` (repeatable) -> one
    ``application/ocsp-response`` part per certificate; parsed back with the email parser."""
    cached = {"aa" * 20: b"\x30\x03first", "bb" * 20: b"\x30\x04second"}
    app = create_ocsp_responder(lambda: cached)
    async with TestServer(app) as server, ClientSession() as session:
        url = server.make_url("/")
        async with session.get(url, params=[("cert", "BB" * 20), ("cert", "aa" * 20)]) as answer:
            assert answer.status == 200
            content_type = answer.headers["Content-Type"]
            body = await answer.read()
        async with session.get(url, params={"cert": "cc" * 20}) as missing:
            assert missing.status == 404
            assert "cc" * 20 in await missing.text()
    assert content_type.startswith('multipart/related; type="application/ocsp-response"')
    message = BytesParser(policy=default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["application/ocsp-response"] * 2
    assert [part.get_payload(decode=True) for part in parts] == [
        b"\x30\x04second",
        b"\x30\x03first",
    ]


class _PublicOnly:
    """What ``pki.make_cert`` needs of a subject key: its public half (the private half
    stays on the token)."""

    def __init__(self, public_key_der: bytes) -> None:
        self._public = serialization.load_der_public_key(public_key_der)

    def public_key(self) -> object:
        return self._public


def _issue(token: Token, usage: KeyUsage, subject: x509.Name) -> str:
    key = token.generate_key(f"{usage}-key", usage, KeyAlgorithm.RSA2048)
    p = pki.pki()
    if usage is KeyUsage.SIGNING:
        options: dict[str, Any] = {"usage": {"content_commitment": True}}
    else:
        options = {
            "usage": {"digital_signature": True, "key_encipherment": True},
            "eku": [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
        }
    cert = pki.make_cert(
        subject,
        _PublicOnly(key.public_key_der),  # type: ignore[arg-type]
        p.intermediate,
        pki.key("inter"),
        **options,
    )
    return token.import_certificate(cert).cert_id


def test_key_material_from_the_soft_token(tmp_path: Path) -> None:
    """The composition root's view of the token: the member's sign certificate attributed by
    the CA's certificate profile, the auth identity only once registered and active, and the
    reference signer's refusal for a member without a certificate."""
    trust = exchange.configuration().trust
    assert "token_pin is not set" in (load_material(None, trust).auth_reason or "")

    token = open_token(tmp_path / "tokens", "pin")
    _issue(token, KeyUsage.SIGNING, pki.name("consumer", O="BUSINESS", C=exchange.INSTANCE))
    auth_id = _issue(token, KeyUsage.AUTHENTICATION, pki.name("SS-C", C=exchange.INSTANCE))
    material = load_material(open_token(tmp_path / "tokens", "pin"), trust)
    assert material.auth is None
    assert "no active auth key" in (material.auth_reason or "")
    with pytest.raises(XRoadError) as refused:
        material.auth_or_fail()
    assert refused.value.fault_code == "Server.ClientProxy.SslAuthenticationFailed"
    assert material.signing_for(exchange.CONSUMER_APP).certificate.subject.rfc4514_string() == (
        "CN=consumer,O=BUSINESS,C=EE"
    )
    with pytest.raises(XRoadError) as refused:
        material.signing_for(exchange.PRODUCER_REST)
    assert refused.value.fault_code == "Signer.InternalError"
    assert (
        refused.value.message == "Member 'MEMBER:EE/BUSINESS/producer' has no suitable certificates"
    )
    assert load_material(token, None).signing == {}  # no configuration: no member attribution

    token.apply(auth_id, CertEvent.REGISTRATION_REQUESTED)
    token.apply(auth_id, CertEvent.REGISTRATION_CONFIRMED)
    token.activate_certificate(auth_id)
    material = load_material(token, trust)
    assert material.auth is not None
    assert material.auth_reason is None
    assert material.auth_or_fail() is material.auth
    assert server_ssl_context(material.auth, trust).verify_mode == ssl.CERT_REQUIRED
