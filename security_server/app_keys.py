"""The security server's keys for the composition root: the software token in
``<data_dir>/tokens``, its authentication identity and its members' signing material.

Everything here blocks (token file I/O, scrypt at login): the composition root calls it in a
thread and publishes the result as one immutable :class:`KeyMaterial`, which the proxies'
providers read per message without blocking the event loop (ARCHITECTURE rule 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from security_server.exchange import SigningMaterial
from security_server.proxy import AuthMaterial
from vdx.crypto.cert_profile import profile_for
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import ClientId
from vdx.tokens import (
    CertRecord,
    CertStatus,
    KeyUsage,
    SoftToken,
    Token,
    create_soft_token,
    open_soft_token,
)

TOKEN_ID = "softtoken-0"  # noqa: S105 - the token's name (the reference's soft token id), no secret
NO_PIN = "token_pin is not set: the software token cannot be logged in"
NO_AUTH = "Security server has no valid authentication certificate"
# Certificates usable for traffic (ug-ss, certificate states): registered and active. A sign
# certificate is both on import; an auth certificate once the global configuration lists it
# and the operator activated it.
_USABLE = frozenset({CertStatus.REGISTERED})


@dataclass(frozen=True)
class KeyMaterial:
    """One consistent view of the token: the auth identity (or why there is none) and the
    signing material per member."""

    auth: AuthMaterial | None = None
    auth_reason: str | None = NO_AUTH
    signing: dict[ClientId, SigningMaterial] = field(default_factory=dict)

    def signing_for(self, client: ClientId) -> SigningMaterial:
        """The member's signing material; the reference signer's refusal when there is none
        (``Signer.InternalError: Member '...' has no suitable certificates``)."""
        found = self.signing.get(client.member)
        if found is None:
            raise XRoadError(
                Code.INTERNAL_ERROR,
                f"Member '{client.member}' has no suitable certificates",
                origin=Origin.SIGNER,
            )
        return found

    def auth_or_fail(self) -> AuthMaterial:
        if self.auth is None:
            raise XRoadError(
                Code.SSL_AUTH_FAILED, self.auth_reason or NO_AUTH, origin=Origin.CLIENT_PROXY
            )
        return self.auth


def open_token(folder: Path, pin: str) -> Token:
    """The software token, logged in; created empty on first start (blocks)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (folder / f"{TOKEN_ID}.keystore").exists():
        token = open_soft_token(folder, TOKEN_ID)
    else:
        token = create_soft_token(folder, TOKEN_ID, pin)
    token.login(pin)
    return token


def _private_key(token: Token, key_id: str) -> PrivateKeyTypes | None:
    """The TLS key of the auth certificate: ``ssl`` needs the key itself, which only the
    software token can hand out; PKCS#11 keys cannot serve TLS until a TLS engine is wired."""
    backend = token.backend
    if not isinstance(backend, SoftToken):
        return None
    try:
        return backend.tls_private_key(key_id)
    except XRoadError:
        return None


def member_of(cert: x509.Certificate, trust: TrustConfig | None) -> ClientId | None:
    """The member a signing certificate names, by its issuing CA's certificate profile."""
    if trust is None:
        return None
    for ca, ca_cert in trust.ca_certificates():
        if ca_cert.subject == cert.issuer:
            try:
                return profile_for(ca).member_of(cert, trust.instance or None)
            except XRoadError:
                return None
    return None


def _usable(token: Token, usage: KeyUsage) -> list[CertRecord]:
    usages = {key.key_id: key.usage for key in token.list_keys()}
    return [
        cert
        for cert in token.certificates()
        if usages.get(cert.key_id) is usage and cert.status in _USABLE and cert.active
    ]


def load_material(token: Token | None, trust: TrustConfig | None) -> KeyMaterial:
    """Read the token (blocks). Without a trust configuration (no global configuration
    yet) no signing certificate can be attributed to a member."""
    if token is None:
        return KeyMaterial(auth_reason=f"{NO_AUTH} ({NO_PIN})")
    auth: AuthMaterial | None = None
    reason: str | None = f"{NO_AUTH} (no active auth key with a certificate on the token)"
    for record in _usable(token, KeyUsage.AUTHENTICATION):
        key = _private_key(token, record.key_id)
        if key is None:
            reason = f"{NO_AUTH} (the auth key {record.key_id} cannot be used for TLS)"
            continue
        auth, reason = AuthMaterial(x509.load_der_x509_certificate(record.der), key), None
        break
    signing: dict[ClientId, SigningMaterial] = {}
    if trust is not None:
        for record in _usable(token, KeyUsage.SIGNING):
            cert = x509.load_der_x509_certificate(record.der)
            member = member_of(cert, trust)
            if member is not None and member not in signing:
                signing[member] = SigningMaterial(token.signer(record.key_id), cert)
    return KeyMaterial(auth, reason, signing)
