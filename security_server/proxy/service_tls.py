"""TLS toward the provider's services (https service URLs, ug-ss "Verify TLS certificate").

With verification on, the service must present a certificate that is one of the provider
client's information-system certificates (the "Internal Servers" TLS certificates stored in
serverconf) or is issued by one of them: the operator pins the service's certificate there, as
in the reference, instead of trusting public CAs. No hostname check: the pinned certificate
identifies the service. With verification off, the connection is encrypted but the service
is not authenticated (the operator's explicit choice per service).
"""

from __future__ import annotations

import ssl

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vdx.errors import Code, XRoadError


def pinned_context(trusted_ders: tuple[bytes, ...]) -> ssl.SSLContext:
    """A client context accepting only peers whose chain ends in one of ``trusted_ders``."""
    if not trusted_ders:
        raise XRoadError(
            Code.SSL_AUTH_FAILED,
            "Service TLS certificate cannot be verified: the provider has no IS certificates",
        )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    # A pinned certificate need not be self-signed: accept it as a trust anchor as it is.
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    for der in trusted_ders:
        pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        ctx.load_verify_locations(cadata=pem.decode("ascii"))
    return ctx


def unverified_context() -> ssl.SSLContext:
    """Encryption without authentication of the service (``tls_verify`` off)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the operator switched verification off for this service
    return ctx


class ServiceTls:
    """Contexts per set of pinned certificates, built once and reused."""

    def __init__(self) -> None:
        self._pinned: dict[tuple[bytes, ...], ssl.SSLContext] = {}
        self._unverified: ssl.SSLContext | None = None

    def context(self, verify: bool, trusted_ders: tuple[bytes, ...]) -> ssl.SSLContext:
        if not verify:
            if self._unverified is None:
                self._unverified = unverified_context()
            return self._unverified
        found = self._pinned.get(trusted_ders)
        if found is None:
            found = pinned_context(trusted_ders)
            if len(self._pinned) > 64:  # certificates changed many times: start over
                self._pinned.clear()
            self._pinned[trusted_ders] = found
        return found
