"""The composition root with onboarding: the server proxy gets its identity without a restart.

A security server built by ``security_server.app.build`` (no token PIN in the settings) against
a real central server and CA: its server proxy listens from the start but refuses handshakes;
the operator initialises, imports certificates, registers the auth certificate; the keys loop
applies the next global configuration, and once the operator activates the certificate the
very same listener completes mutual TLS with that certificate and the OCSP listener serves its
status (pr-messtransp §2, §3).
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from security_server.app import build, sha1_hex
from security_server.proxy import AuthMaterial
from security_server.proxy.tls import client_ssl_context
from security_server.settings import SecurityServerSettings
from tests.e2e.processes import free_port
from tests.integration.security_server.test_onboarding_support import (
    ACTOR,
    INSTANCE,
    OWNER,
    Central,
    central_server,
    until,
)
from vdx.cli._serve import listening
from vdx.tokens import KeyUsage


async def _peer(central: Central) -> AuthMaterial:
    """Another server's auth identity from the same CA (the peer calling our server proxy)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, INSTANCE),
            x509.NameAttribute(NameOID.COMMON_NAME, "SS-PEER"),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    pem = await central.issue(csr.public_bytes(Encoding.PEM), "auth")
    return AuthMaterial(x509.load_pem_x509_certificate(pem), key)


async def _handshake(port: int, context: ssl.SSLContext) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    except (ssl.SSLError, ConnectionError):
        return False
    writer.close()
    return True


async def test_server_proxy_takes_its_identity_without_a_restart(tmp_path: Path) -> None:
    async with central_server(tmp_path) as central:
        anchor = tmp_path / "anchor.xml"
        anchor.write_bytes(central.anchor)
        proxy_port = free_port()
        settings = SecurityServerSettings(
            data_dir=tmp_path / "ss",
            anchor_file=anchor,
            client_proxy_port=0,
            client_proxy_tls_port=0,
            server_proxy_port=proxy_port,
            ocsp_port=0,
            admin_api_port=0,
            conf_download_interval_seconds=1,
            management_service_url=central.management_url,
        )
        server = await build(settings)
        o = server.onboarding
        assert o is not None
        assert server.token is None  # no PIN in the settings, not initialised yet
        try:
            async with listening(server.apps, "127.0.0.1") as ports:
                assert ports["server-proxy"] == proxy_port

                async def downloaded() -> bool:
                    return server.conf_client.current is not None

                await until("the global configuration", downloaded)
                trust = server.trust()
                assert trust is not None
                peer = await _peer(central)
                presented: list[bytes] = []
                context = client_ssl_context(peer, trust, presented.append)
                assert not await _handshake(proxy_port, context)

                await o.initialize(OWNER, "SS1", "ss-token-pin", actor=ACTOR)
                keys = {
                    usage: await o.generate_key(usage, usage.lower(), actor=ACTOR)
                    for usage in KeyUsage
                }
                auth_csr = await o.create_csr(keys[KeyUsage.AUTHENTICATION].id, actor=ACTOR)
                sign_csr = await o.create_csr(keys[KeyUsage.SIGNING].id, member=OWNER, actor=ACTOR)
                auth = await o.import_certificate(
                    await central.issue(auth_csr, "auth"), actor=ACTOR
                )
                await o.import_certificate(await central.issue(sign_csr, "sign"), actor=ACTOR)
                sent = await o.register_auth_certificate(
                    auth.id, f"127.0.0.1:{proxy_port}", actor=ACTOR
                )
                await central.requests.approve(sent.request_id, actor="cs-operator")

                async def registered() -> bool:  # the keys loop applies each configuration
                    return (await o.certificate(auth.id)).status == "registered"

                await until("the auth certificate registered", registered)
                assert not await _handshake(proxy_port, context)  # not active yet
                await o.activate_certificate(auth.id, actor=ACTOR)
                assert server.server_tls.ready
                assert await _handshake(proxy_port, context)
                ours = server.keys.auth
                assert ours is not None
                assert presented[-1] == ours.certificate.public_bytes(Encoding.DER)
                assert await server.check_auth() is None

                ocsp_url = f"http://127.0.0.1:{ports['ocsp']}/"
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(ocsp_url, params={"cert": sha1_hex(ours.certificate)}) as answer,
                ):
                    assert answer.status == 200
        finally:
            await server.engine.dispose()
