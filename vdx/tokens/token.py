"""A token as the servers use it: keys with labels and usages, CSRs, certificates and states.

One :class:`Token` wraps one backend (:class:`~vdx.tokens.soft_token.SoftToken` or
:class:`~vdx.tokens.pkcs11_token.Pkcs11Token`) and the metadata file beside it. State changes
go through the pure tables of :mod:`vdx.tokens.cert_states`; this module only loads, decides,
and saves. Ordering keeps the metadata honest: a key is created on the backend before it is
recorded, and forgotten before it is destroyed, so a crash can leave an unlisted key on the
token but never a listed key that does not exist.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vdx.tokens import cert_states
from vdx.tokens.backend import TokenBackend, TokenSigner, signature_method_uri
from vdx.tokens.cert_states import CertEvent
from vdx.tokens.csr import build_csr
from vdx.tokens.errors import SignerCode, token_error
from vdx.tokens.model import CertRecord, CertStatus, KeyAlgorithm, KeyRecord, KeyUsage, OcspStatus
from vdx.tokens.storage import TokenMetadata, load_metadata, save_metadata


def certificate_usage(cert: x509.Certificate) -> KeyUsage:
    """What a certificate certifies its key for, from its key usage (RFC 5280 §4.2.1.3).

    As in the reference signer, nonRepudiation (contentCommitment) makes a signing
    certificate; digitalSignature without it makes an authentication certificate.
    """
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if basic.ca:
            raise token_error(SignerCode.WRONG_CERT_USAGE, "a CA certificate cannot be imported")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise token_error(SignerCode.WRONG_CERT_USAGE, "certificate has no key usage") from None
    if usage.content_commitment:
        return KeyUsage.SIGNING
    if usage.digital_signature:
        return KeyUsage.AUTHENTICATION
    raise token_error(SignerCode.WRONG_CERT_USAGE, "certificate allows neither use")


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class Token:
    """Keys and certificates of one token; every method may block (run it in a thread)."""

    def __init__(self, backend: TokenBackend, metadata_path: Path) -> None:
        self.backend = backend
        self.metadata_path = metadata_path
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ session
    @property
    def token_id(self) -> str:
        return self.backend.token_id

    @property
    def is_active(self) -> bool:
        return self.backend.is_active

    def login(self, pin: str) -> None:
        self.backend.login(pin)

    def logout(self) -> None:
        self.backend.logout()

    # ------------------------------------------------------------------ metadata
    def _metadata(self) -> TokenMetadata:
        return load_metadata(self.metadata_path)

    def _update(self, change: Callable[[TokenMetadata], TokenMetadata]) -> TokenMetadata:
        with self._lock:
            updated = change(self._metadata())
            save_metadata(self.metadata_path, updated)
            return updated

    # ------------------------------------------------------------------ keys
    def list_keys(self) -> tuple[KeyRecord, ...]:
        return self._metadata().keys

    def key(self, key_id: str) -> KeyRecord:
        for key in self.list_keys():
            if key.key_id == key_id:
                return key
        raise token_error(SignerCode.KEY_NOT_FOUND, f"key {key_id!r} on token {self.token_id!r}")

    def generate_key(self, label: str, usage: KeyUsage, algorithm: KeyAlgorithm) -> KeyRecord:
        if not self.is_active:
            raise token_error(SignerCode.TOKEN_NOT_ACTIVE, f"token {self.token_id!r}")
        key_id = secrets.token_hex(16)
        public_key_der = self.backend.generate_key(key_id, label, algorithm)
        record = KeyRecord(key_id, label, usage, algorithm, public_key_der)
        self._update(lambda meta: dataclasses.replace(meta, keys=(*meta.keys, record)))
        return record

    def delete_key(self, key_id: str) -> None:
        """Delete a key and its certificates; refused while a certificate is still needed by
        the central server (e.g. a registered authentication certificate)."""
        if not self.is_active:
            raise token_error(SignerCode.TOKEN_NOT_ACTIVE, f"token {self.token_id!r}")
        key = self.key(key_id)
        for cert in self.certificates(key_id):
            cert_states.next_status(key.usage, cert.status, CertEvent.DELETE)
        self._update(
            lambda meta: TokenMetadata(
                tuple(k for k in meta.keys if k.key_id != key_id),
                tuple(c for c in meta.certs if c.key_id != key_id),
            )
        )
        self.backend.delete_key(key_id)

    def signer(self, key_id: str, hash_name: str = "sha512") -> TokenSigner:
        """The key as a XAdES :class:`~vdx.crypto.xades_create.SigningKey`."""
        algorithm = self.key(key_id).algorithm
        signature_method_uri(algorithm, hash_name)  # refuse an unsupported hash now, not later
        return TokenSigner(self.backend, key_id, algorithm, hash_name)

    def create_csr(
        self, key_id: str, subject: x509.Name, hash_name: str = "sha256"
    ) -> x509.CertificateSigningRequest:
        key = self.key(key_id)
        return build_csr(subject, key.public_key_der, self.signer(key_id, hash_name))

    # ------------------------------------------------------------------ certificates
    def certificates(self, key_id: str | None = None) -> tuple[CertRecord, ...]:
        certs = self._metadata().certs
        return certs if key_id is None else tuple(c for c in certs if c.key_id == key_id)

    def certificate(self, cert_id: str) -> CertRecord:
        for cert in self.certificates():
            if cert.cert_id == cert_id:
                return cert
        raise token_error(SignerCode.CERT_NOT_FOUND, f"certificate {cert_id!r}")

    def import_certificate(self, certificate: x509.Certificate | bytes) -> CertRecord:
        """Attach an issued certificate to the key with the same public key."""
        if isinstance(certificate, bytes):
            try:
                certificate = x509.load_der_x509_certificate(certificate)
            except ValueError:
                raise token_error(SignerCode.CERT_IMPORT_FAILED, "not a DER certificate") from None
        der = certificate.public_bytes(serialization.Encoding.DER)
        spki = _spki(certificate)
        key = next((k for k in self.list_keys() if k.public_key_der == spki), None)
        if key is None:
            raise token_error(SignerCode.KEY_NOT_FOUND, "no key on the token matches the cert")
        usage = certificate_usage(certificate)
        if usage is not key.usage:
            raise token_error(
                SignerCode.WRONG_CERT_USAGE,
                f"{usage.lower()} certificate for {key.usage.lower()} key {key.key_id}",
            )
        record = CertRecord(
            cert_id=hashlib.sha256(der).hexdigest(),
            key_id=key.key_id,
            der=der,
            status=cert_states.INITIAL_STATUS[usage],
            active=cert_states.INITIALLY_ACTIVE[usage],
        )

        def add(meta: TokenMetadata) -> TokenMetadata:
            if any(c.cert_id == record.cert_id for c in meta.certs):
                raise token_error(SignerCode.CERT_EXISTS, f"certificate {record.cert_id}")
            return dataclasses.replace(meta, certs=(*meta.certs, record))

        self._update(add)
        return record

    def _change_cert(self, cert_id: str, change: Callable[[CertRecord], CertRecord | None]) -> None:
        def apply(meta: TokenMetadata) -> TokenMetadata:
            certs: list[CertRecord] = []
            found = False
            for cert in meta.certs:
                if cert.cert_id != cert_id:
                    certs.append(cert)
                    continue
                found = True
                changed = change(cert)
                if changed is not None:
                    certs.append(changed)
            if not found:
                raise token_error(SignerCode.CERT_NOT_FOUND, f"certificate {cert_id!r}")
            return dataclasses.replace(meta, certs=tuple(certs))

        self._update(apply)

    def apply(self, cert_id: str, event: CertEvent) -> CertStatus:
        """Move a certificate through the registration states; ``DELETE`` removes it."""
        result: list[CertStatus] = []

        def step(cert: CertRecord) -> CertRecord | None:
            status = cert_states.next_status(self.key(cert.key_id).usage, cert.status, event)
            result.append(status)
            if status is CertStatus.DELETED:
                return None
            # Leaving use: a certificate on its way out is not used for signing or TLS.
            active = cert.active and status is not CertStatus.DELETION_IN_PROGRESS
            return dataclasses.replace(cert, status=status, active=active)

        self._change_cert(cert_id, step)
        return result[0]

    def delete_certificate(self, cert_id: str) -> None:
        self.apply(cert_id, CertEvent.DELETE)

    def record_ocsp_status(self, cert_id: str, verdict: OcspStatus, now: datetime) -> None:
        def step(cert: CertRecord) -> CertRecord:
            status = cert_states.next_ocsp_status(cert.ocsp_status, verdict)
            return dataclasses.replace(cert, ocsp_status=status, ocsp_checked_at=now)

        self._change_cert(cert_id, step)

    def activate_certificate(self, cert_id: str) -> None:
        def step(cert: CertRecord) -> CertRecord:
            cert_states.check_activation(cert.status, cert.ocsp_status)
            return dataclasses.replace(cert, active=True)

        self._change_cert(cert_id, step)

    def disable_certificate(self, cert_id: str) -> None:
        self._change_cert(cert_id, lambda cert: dataclasses.replace(cert, active=False))
