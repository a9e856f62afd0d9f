"""Blocking helpers over the software token (callers run them with ``asyncio.to_thread``).

Reading certificates offered by an operator (PEM or DER), naming the member a signing
certificate belongs to (the issuing CA's certificate profile, as the proxies do in
``security_server.app_keys``), and the token's contents as the admin API shows them.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from security_server.app_keys import TOKEN_ID, member_of
from security_server.onboarding.model import CertInfo, KeyInfo, TokenInfo
from security_server.serverconf.errors import ServerConfError, conflict, invalid, not_found
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId
from vdx.tokens import (
    CertRecord,
    KeyUsage,
    SignerCode,
    Token,
    TokenError,
    create_soft_token,
    open_soft_token,
)

MAX_CERT_BYTES = 64 * 1024
_NOT_FOUND = {SignerCode.KEY_NOT_FOUND, SignerCode.CERT_NOT_FOUND, SignerCode.TOKEN_NOT_FOUND}
_CONFLICT = {SignerCode.TOKEN_NOT_ACTIVE, SignerCode.CERT_EXISTS, SignerCode.LOGIN_FAILED}


def as_serverconf_error(error: XRoadError) -> ServerConfError:
    """A token refusal in the service layer's terms (404 / 409 / 400)."""
    code = error.signer_code if isinstance(error, TokenError) else None
    if code in _NOT_FOUND:
        return not_found(error.message)
    if code in _CONFLICT or error.code == Code.INVALID_REQUEST:
        return conflict(error.message)  # e.g. a state the certificate's table does not allow
    return invalid(error.message)


def keystore_exists(folder: Path) -> bool:
    return (folder / f"{TOKEN_ID}.keystore").exists()


def open_existing(folder: Path) -> Token | None:
    """The software token, not logged in; None before it is created."""
    return open_soft_token(folder, TOKEN_ID) if keystore_exists(folder) else None


def create(folder: Path, pin: str) -> Token:
    """A new, empty software token protected by ``pin``, logged in."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = create_soft_token(folder, TOKEN_ID, pin)
    token.login(pin)
    return token


def parse_certificate(data: bytes) -> x509.Certificate:
    """A certificate as PEM or DER (the admin API takes either as the raw body)."""
    if not data or len(data) > MAX_CERT_BYTES:
        raise invalid(f"a certificate must be 1..{MAX_CERT_BYTES} bytes")
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise invalid("not a PEM or DER X.509 certificate") from None


def cert_info(record: CertRecord, usage: KeyUsage, trust: TrustConfig | None) -> CertInfo:
    cert = x509.load_der_x509_certificate(record.der)
    return CertInfo(
        id=record.cert_id,
        key_id=record.key_id,
        usage=usage,
        status=str(record.status),
        ocsp_status=str(record.ocsp_status),
        active=record.active,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=cert.serial_number,
        not_after=cert.not_valid_after_utc,
        member=member_of(cert, trust) if usage is KeyUsage.SIGNING else None,
    )


def find_cert(token: Token, cert_id: str, trust: TrustConfig | None) -> CertInfo:
    record = token.certificate(cert_id)
    return cert_info(record, token.key(record.key_id).usage, trust)


def key_info(token: Token, key_id: str, trust: TrustConfig | None) -> KeyInfo:
    key = token.key(key_id)
    certs = tuple(cert_info(c, key.usage, trust) for c in token.certificates(key_id))
    return KeyInfo(key.key_id, key.label, key.usage, key.algorithm, certs)


def token_info(token: Token, trust: TrustConfig | None) -> TokenInfo:
    keys = tuple(key_info(token, k.key_id, trust) for k in token.list_keys())
    return TokenInfo(token.token_id, token.is_active, keys)


def certs_with_usage(token: Token) -> list[tuple[CertRecord, KeyUsage]]:
    usages = {key.key_id: key.usage for key in token.list_keys()}
    return [(c, usages[c.key_id]) for c in token.certificates() if c.key_id in usages]


def signing_key_of(
    token: Token, member: ClientId, trust: TrustConfig
) -> tuple[str, x509.Certificate] | None:
    """The key id and certificate of ``member``'s usable signing certificate (registered,
    active), if the token holds one."""
    for record, usage in certs_with_usage(token):
        if usage is not KeyUsage.SIGNING or not record.active:
            continue
        if str(record.status) != "registered":
            continue
        cert = x509.load_der_x509_certificate(record.der)
        if member_of(cert, trust) == member:
            return record.key_id, cert
    return None
