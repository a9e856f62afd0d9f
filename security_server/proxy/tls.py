"""TLS between security servers: mutual authentication with registered auth certificates.

Peers are often reached by an address that names no host (``127.0.0.1``), so a hostname
check cannot identify them. Instead, the certificate chain is verified by OpenSSL against the
approved CAs of the global configuration, and then, inside the handshake, the peer's
certificate must be an authentication certificate registered to the security server we meant
to reach (pr-messtransp §2.1). A failed check aborts the handshake before any byte of the
request is sent.
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from security_server.proxy.context import AuthMaterial
from vdx.crypto.trust import TrustConfig

PeerCheck = Callable[[bytes], None]


def _load_identity(ctx: ssl.SSLContext, auth: AuthMaterial) -> None:
    # ssl loads a key only from a file: write it to a private temporary directory (0700),
    # and remove it as soon as OpenSSL has read it.
    cert_pem = auth.certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = auth.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with tempfile.TemporaryDirectory(prefix="vdx-tls-") as directory:
        path = Path(directory) / "identity.pem"
        path.touch(mode=0o600)
        path.write_bytes(key_pem + cert_pem)
        ctx.load_cert_chain(path)


def _trust_approved_cas(ctx: ssl.SSLContext, trust: TrustConfig) -> None:
    ders = [cert.public_bytes(serialization.Encoding.DER) for _, cert in trust.ca_certificates()]
    if not ders:
        raise ValueError("No approved CA certificates to verify peers against")
    for der in ders:
        ctx.load_verify_locations(cadata=der)


def _base_context(purpose: ssl.Purpose, auth: AuthMaterial, trust: TrustConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(
        ssl.PROTOCOL_TLS_CLIENT if purpose is ssl.Purpose.SERVER_AUTH else ssl.PROTOCOL_TLS_SERVER
    )
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_identity(ctx, auth)
    _trust_approved_cas(ctx, trust)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_ssl_context(
    auth: AuthMaterial, trust: TrustConfig, peer_check: PeerCheck
) -> ssl.SSLContext:
    """A client context that presents ``auth`` and accepts only a peer ``peer_check`` passes.

    ``peer_check`` receives the peer's certificate (DER) once the chain has been verified
    and raises :class:`ssl.SSLCertVerificationError` to refuse it.
    """
    ctx = _base_context(ssl.Purpose.SERVER_AUTH, auth, trust)
    # No hostname: peers are identified by their registered certificate, checked below.
    ctx.check_hostname = False
    ctx.sslobject_class = _checking_sslobject(peer_check)
    return ctx


def server_ssl_context(auth: AuthMaterial, trust: TrustConfig) -> ssl.SSLContext:
    """The server proxy's context: a client certificate from an approved CA is required.

    Whether that certificate is registered to the client's security server is decided per
    message by the exchange core (``SslAuthenticationFailed``).
    """
    return _base_context(ssl.Purpose.CLIENT_AUTH, auth, trust)


class ServerTlsIdentity:
    """The server proxy's TLS identity, replaceable while the listener runs.

    The listener always starts (no restart once an authentication certificate becomes
    usable, e.g. registered and activated through the admin API). Its context selects, during
    each handshake (OpenSSL's server-name callback, which runs for every ClientHello with or
    without SNI), the context built for the current auth certificate and approved CAs; while
    there is none, the handshake is refused with a ``handshake_failure`` alert (RFC 8446 §6.2),
    so no peer ever talks to a server proxy without an identity.
    """

    def __init__(self) -> None:
        self._current: ssl.SSLContext | None = None
        self._fingerprint: tuple[bytes, tuple[bytes, ...]] | None = None

    @property
    def ready(self) -> bool:
        return self._current is not None

    def update(self, auth: AuthMaterial | None, trust: TrustConfig | None) -> bool:
        """Use ``auth`` with ``trust`` for new handshakes (None: refuse them); True when the
        identity or the trusted CAs changed."""
        if auth is None or trust is None:
            changed = self._current is not None
            self._current, self._fingerprint = None, None
            return changed
        fingerprint = (
            auth.certificate.public_bytes(serialization.Encoding.DER),
            tuple(
                sorted(
                    c.public_bytes(serialization.Encoding.DER) for _, c in trust.ca_certificates()
                )
            ),
        )
        if fingerprint == self._fingerprint:
            return False
        self._current = server_ssl_context(auth, trust)
        self._fingerprint = fingerprint
        return True

    def listener_context(self) -> ssl.SSLContext:
        """The context to start the listener with; it holds no key of its own."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        # Copied into each connection before the swap: a client certificate stays required.
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.sni_callback = self._select
        return ctx

    def _select(
        self, connection: ssl.SSLSocket | ssl.SSLObject, _name: str | None, _ctx: ssl.SSLContext
    ) -> int | None:
        current = self._current
        if current is None:
            return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE
        connection.context = current
        return None


def _checking_sslobject(peer_check: PeerCheck) -> type[ssl.SSLObject]:
    class CheckingSSLObject(ssl.SSLObject):
        """Runs ``peer_check`` when the handshake completes, before application data."""

        def do_handshake(self) -> None:
            super().do_handshake()
            der = self.getpeercert(binary_form=True)
            if der is None:
                raise ssl.SSLCertVerificationError("Peer presented no certificate")
            peer_check(der)

    return CheckingSSLObject


def refuse(reason: str) -> ssl.SSLCertVerificationError:
    return ssl.SSLCertVerificationError(reason)
