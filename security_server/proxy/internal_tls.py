"""The client proxy's HTTPS side: the security server's internal TLS certificate (port 8443).

As the reference does on first start, a self-signed key and certificate are generated into
``{data_dir}/internal-tls/`` (``internal.key`` mode 0600, ``internal.crt``) and reused after;
the operator can replace both files (ug-ss "Changing the internal TLS key and certificate")
and information systems pin ``internal.crt``.

The listener asks for, but does not require, a client certificate; which connections a client
accepts is decided per message by :mod:`security_server.proxy.is_auth`. OpenSSL cannot accept
an arbitrary client certificate, so the information systems' certificates stored in serverconf
are its trust anchors (taken as they are, self-signed or not): they are added during each
handshake as the operator adds them; a certificate stored for no client fails the handshake.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from security_server.serverconf.snapshot import ServerConfSnapshot

log = structlog.get_logger("security_server.proxy")

CERT_FILE = "internal.crt"
KEY_FILE = "internal.key"
DIRECTORY = "internal-tls"
# The reference's generate-internal-tls: RSA 2048, valid 7300 days (20 years).
KEY_SIZE = 2048
VALIDITY = timedelta(days=7300)


@dataclass(frozen=True)
class InternalTls:
    """Where the internal TLS key and certificate are, and the certificate itself."""

    cert_path: Path
    key_path: Path
    certificate: x509.Certificate


def generate(
    hostname: str, now: datetime, key: rsa.RSAPrivateKey | None = None
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A self-signed TLS server certificate for ``hostname`` (also named in subjectAltName)."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    # A CN holds at most 64 characters (RFC 5280 ub-common-name); the SAN names the host.
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname[:64])])
    names: list[x509.GeneralName] = [x509.DNSName(hostname)]
    with contextlib.suppress(ValueError):  # a host name, not an address
        names = [x509.IPAddress(ipaddress.ip_address(hostname))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def load_or_create(directory: Path, *, hostname: str, now: datetime) -> InternalTls:
    """The key and certificate in ``directory``, generated first when either is missing."""
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if not (cert_path.is_file() and key_path.is_file()):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        certificate, key = generate(hostname, now)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # The key file is created private: it never exists with wider permissions.
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key_pem)
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return InternalTls(cert_path, key_path, certificate)


def is_certificates(snapshot: ServerConfSnapshot) -> tuple[bytes, ...]:
    """Every information-system certificate stored for any client (DER)."""
    return tuple(der for entry in snapshot.clients.values() for der in entry.is_certs)


def client_proxy_ssl_context(
    identity: InternalTls, is_certs: Callable[[], Iterable[bytes]]
) -> ssl.SSLContext:
    """The HTTPS listener's context: the internal certificate, a client certificate optional,
    verified against the information-system certificates ``is_certs`` gives now."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(identity.cert_path, identity.key_path)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    # An IS certificate issued by some CA is pinned as it is, without its issuer.
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    loaded: set[bytes] = set()

    def add_new_certificates(
        _connection: ssl.SSLSocket | ssl.SSLObject, _name: str | None, current: ssl.SSLContext
    ) -> None:
        # OpenSSL calls this for every ClientHello (with or without SNI), before it asks for
        # the client's certificate. The store only grows: a certificate the operator removed
        # still completes the handshake, and is_auth then refuses it for every client.
        for der in is_certs():
            if der in loaded:
                continue
            loaded.add(der)
            try:
                current.load_verify_locations(cadata=der)
            except ssl.SSLError:
                log.warning("is_certificate_unusable")  # stored but not a certificate

    ctx.sni_callback = add_new_certificates
    return ctx


def create_client_proxy_tls(
    data_dir: Path,
    serverconf: Callable[[], ServerConfSnapshot],
    now: datetime,
    hostname: str | None = None,
) -> ssl.SSLContext:
    """For the composition root: the client proxy's HTTPS context, with the internal TLS key
    and certificate of ``{data_dir}/internal-tls`` (generated on first start)."""
    identity = load_or_create(data_dir / DIRECTORY, hostname=hostname or socket.getfqdn(), now=now)
    return client_proxy_ssl_context(identity, lambda: is_certificates(serverconf()))
