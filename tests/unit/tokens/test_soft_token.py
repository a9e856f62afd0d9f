"""The software token: encrypted keystore, PIN handling, keys, signing, certificate import."""

from __future__ import annotations

import base64
import json
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.unit.tokens.helpers import FAST_SCRYPT, MESSAGE, NOW, PIN, dev_ca, issue
from trust_services import pki
from vdx.crypto.xades_create import DataPart, create_signature
from vdx.crypto.xades_verify import verify_signature
from vdx.errors import Code, Origin
from vdx.identifiers import ClientId
from vdx.tokens import (
    CertStatus,
    KeyAlgorithm,
    KeyUsage,
    SignerCode,
    SoftToken,
    Token,
    TokenError,
    create_soft_token,
    open_soft_token,
    signing_subject,
)

MEMBER = ClientId("VN", "GOV", "1234")


def _signer_code(excinfo: pytest.ExceptionInfo[TokenError]) -> SignerCode | None:
    return excinfo.value.signer_code


def _keystore(tmp_path: Path) -> Path:
    return tmp_path / "softToken-0.keystore"


def test_files_are_private_and_hold_no_plaintext_key(soft_token: Token, tmp_path: Path) -> None:
    key = soft_token.generate_key("sign key", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    assert isinstance(soft_token.backend, SoftToken)
    private = soft_token.backend._keys[key.key_id]  # the test looks inside
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for path in (_keystore(tmp_path), tmp_path / "softToken-0.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        content = path.read_bytes()
        assert der not in content
        assert base64.b64encode(der) not in content
        assert b"PRIVATE KEY" not in content
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "softToken-0.json",
        "softToken-0.keystore",
    ]  # no temporary file left behind


def test_wrong_pin_is_refused_and_right_pin_restores_keys(
    soft_token: Token, tmp_path: Path
) -> None:
    key = soft_token.generate_key("k", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    reopened = open_soft_token(tmp_path, "softToken-0")
    assert not reopened.is_active
    with pytest.raises(TokenError) as excinfo:
        reopened.login("not the pin")
    assert _signer_code(excinfo) is SignerCode.PIN_INCORRECT
    assert excinfo.value.code == "PinIncorrect"
    assert excinfo.value.attributed_to(Origin.SIGNER).fault_code == "Signer.PinIncorrect"
    assert not reopened.is_active
    reopened.login(PIN)
    assert reopened.list_keys() == (key,)
    assert reopened.signer(key.key_id).sign(b"data")


def test_operations_need_login(soft_token: Token) -> None:
    key = soft_token.generate_key("k", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    soft_token.logout()
    assert not soft_token.is_active
    for operation in (
        lambda: soft_token.generate_key("k2", KeyUsage.SIGNING, KeyAlgorithm.EC_P256),
        lambda: soft_token.signer(key.key_id).sign(b"data"),
        lambda: soft_token.delete_key(key.key_id),
    ):
        with pytest.raises(TokenError) as excinfo:
            operation()
        assert _signer_code(excinfo) is SignerCode.TOKEN_NOT_ACTIVE
    assert soft_token.list_keys() == (key,)  # listing needs no PIN


def test_create_refuses_existing_token_and_empty_pin(tmp_path: Path) -> None:
    create_soft_token(tmp_path, "t", PIN, scrypt_n=FAST_SCRYPT)
    with pytest.raises(TokenError):
        create_soft_token(tmp_path, "t", PIN, scrypt_n=FAST_SCRYPT)
    with pytest.raises(TokenError) as excinfo:
        create_soft_token(tmp_path, "u", "", scrypt_n=FAST_SCRYPT)
    assert _signer_code(excinfo) is SignerCode.TOKEN_PIN_POLICY_FAILURE
    with pytest.raises(TokenError) as excinfo:
        open_soft_token(tmp_path, "absent")
    assert _signer_code(excinfo) is SignerCode.TOKEN_NOT_FOUND
    with pytest.raises(ValueError, match="token id"):
        open_soft_token(tmp_path, "../escape")


def test_tampered_keystore_is_refused(soft_token: Token, tmp_path: Path) -> None:
    soft_token.generate_key("k", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    path = _keystore(tmp_path)
    original = json.loads(path.read_bytes())

    ciphertext = bytearray(base64.b64decode(original["ciphertext"]))
    ciphertext[5] ^= 1
    path.write_text(json.dumps({**original, "ciphertext": base64.b64encode(ciphertext).decode()}))
    with pytest.raises(TokenError) as excinfo:
        open_soft_token(tmp_path, "softToken-0").login(PIN)
    assert _signer_code(excinfo) is SignerCode.PIN_INCORRECT  # AES-GCM cannot tell them apart

    renamed = {**original, "tokenId": "other"}  # the header is authenticated (GCM AAD)
    path.write_text(json.dumps(renamed))
    with pytest.raises(TokenError) as excinfo:
        open_soft_token(tmp_path, "softToken-0").login(PIN)
    assert _signer_code(excinfo) is SignerCode.PIN_INCORRECT

    costly = {**original, "kdf": {**original["kdf"], "n": 2**30}}
    path.write_text(json.dumps(costly))
    with pytest.raises(TokenError) as excinfo:
        open_soft_token(tmp_path, "softToken-0").login(PIN)
    assert excinfo.value.code is Code.MALFORMED_KEYCONF

    path.write_text("not json")
    with pytest.raises(TokenError) as excinfo:
        open_soft_token(tmp_path, "softToken-0").login(PIN)
    assert excinfo.value.code is Code.MALFORMED_KEYCONF


def test_list_and_delete_keys(soft_token: Token, tmp_path: Path) -> None:
    first = soft_token.generate_key("auth", KeyUsage.AUTHENTICATION, KeyAlgorithm.RSA2048)
    second = soft_token.generate_key("sign", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    assert [k.label for k in soft_token.list_keys()] == ["auth", "sign"]
    assert soft_token.key(first.key_id).usage is KeyUsage.AUTHENTICATION
    soft_token.delete_key(first.key_id)
    assert soft_token.list_keys() == (second,)
    with pytest.raises(TokenError) as excinfo:
        soft_token.delete_key(first.key_id)
    assert _signer_code(excinfo) is SignerCode.KEY_NOT_FOUND
    reopened = open_soft_token(tmp_path, "softToken-0")
    reopened.login(PIN)
    with pytest.raises(TokenError) as excinfo:
        reopened.signer(first.key_id).sign(b"x")
    assert _signer_code(excinfo) is SignerCode.KEY_NOT_FOUND


@pytest.mark.parametrize(
    ("algorithm", "hash_name"),
    [
        (KeyAlgorithm.RSA2048, "sha512"),
        (KeyAlgorithm.RSA3072, "sha256"),
        (KeyAlgorithm.EC_P256, "sha256"),
        (KeyAlgorithm.EC_P256, "sha512"),
    ],
)
def test_signature_verifies(soft_token: Token, algorithm: KeyAlgorithm, hash_name: str) -> None:
    key = soft_token.generate_key("sign", KeyUsage.SIGNING, algorithm)
    certificate = issue(soft_token.create_csr(key.key_id, signing_subject(MEMBER)), "sign")
    soft_token.import_certificate(certificate)
    signature = create_signature(
        [DataPart("/message.xml", MESSAGE, "text/xml")],
        key=soft_token.signer(key.key_id, hash_name),
        certificate=certificate,
        now=NOW,
    )
    verified = verify_signature(signature, {"/message.xml": MESSAGE})
    assert verified.signer_certificate == certificate


def test_unsupported_hash_is_refused(soft_token: Token) -> None:
    key = soft_token.generate_key("sign", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    with pytest.raises(TokenError) as excinfo:
        soft_token.signer(key.key_id, "md5")
    assert _signer_code(excinfo) is SignerCode.UNSUPPORTED_SIGN_ALGORITHM


def test_import_matches_key_and_checks_usage(soft_token: Token) -> None:
    sign_key = soft_token.generate_key("sign", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    auth_key = soft_token.generate_key("auth", KeyUsage.AUTHENTICATION, KeyAlgorithm.EC_P256)
    sign_csr = soft_token.create_csr(sign_key.key_id, signing_subject(MEMBER))
    auth_csr = soft_token.create_csr(auth_key.key_id, pki.name("ss1"))

    # A certificate whose usage differs from its key's is refused.
    for csr, purpose in ((sign_csr, "auth"), (auth_csr, "sign")):
        with pytest.raises(TokenError) as excinfo:
            soft_token.import_certificate(issue(csr, purpose))
        assert _signer_code(excinfo) is SignerCode.WRONG_CERT_USAGE

    sign_cert = soft_token.import_certificate(issue(sign_csr, "sign"))
    assert (sign_cert.key_id, sign_cert.status, sign_cert.active) == (
        sign_key.key_id,
        CertStatus.REGISTERED,
        True,
    )
    auth_der = issue(auth_csr, "auth").public_bytes(serialization.Encoding.DER)
    auth_cert = soft_token.import_certificate(auth_der)
    assert (auth_cert.key_id, auth_cert.status, auth_cert.active) == (
        auth_key.key_id,
        CertStatus.SAVED,
        False,
    )
    assert soft_token.certificates(sign_key.key_id) == (sign_cert,)
    assert soft_token.certificate(auth_cert.cert_id) == auth_cert

    with pytest.raises(TokenError) as excinfo:
        soft_token.import_certificate(auth_der)
    assert _signer_code(excinfo) is SignerCode.CERT_EXISTS


def test_import_refuses_foreign_ca_and_garbage(soft_token: Token) -> None:
    soft_token.generate_key("sign", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    ca_cert: x509.Certificate = dev_ca().cert
    with pytest.raises(TokenError) as excinfo:
        soft_token.import_certificate(ca_cert)  # no key on the token matches
    assert _signer_code(excinfo) is SignerCode.KEY_NOT_FOUND
    with pytest.raises(TokenError) as excinfo:
        soft_token.import_certificate(b"\x30\x03garbage")
    assert _signer_code(excinfo) is SignerCode.CERT_IMPORT_FAILED
    with pytest.raises(TokenError) as excinfo:
        soft_token.certificate("0" * 64)
    assert _signer_code(excinfo) is SignerCode.CERT_NOT_FOUND


def test_change_pin(soft_token: Token, tmp_path: Path) -> None:
    key = soft_token.generate_key("k", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    backend = SoftToken.open(tmp_path, "softToken-0")
    with pytest.raises(TokenError) as excinfo:
        backend.change_pin("not the pin", "new-pin-1")
    assert _signer_code(excinfo) is SignerCode.PIN_INCORRECT
    with pytest.raises(TokenError) as excinfo:
        backend.change_pin(PIN, "")
    assert _signer_code(excinfo) is SignerCode.TOKEN_PIN_POLICY_FAILURE
    backend.change_pin(PIN, "new-pin-1")
    assert not backend.is_active
    with pytest.raises(TokenError):
        backend.login(PIN)
    backend.login("new-pin-1")
    assert backend.sign(key.key_id, key.algorithm, "sha256", b"data")
    with pytest.raises(TokenError) as excinfo:
        backend.sign(key.key_id, key.algorithm, "md5", b"data")
    assert _signer_code(excinfo) is SignerCode.UNSUPPORTED_SIGN_ALGORITHM


def test_concurrent_use_from_threads(soft_token: Token) -> None:
    """Callers run token operations in threads; keys made meanwhile are all kept."""
    key = soft_token.generate_key("k", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    with ThreadPoolExecutor(max_workers=8) as pool:
        signatures = list(
            pool.map(lambda i: soft_token.signer(key.key_id).sign(b"%d" % i), range(32))
        )
        made = list(
            pool.map(
                lambda i: soft_token.generate_key(f"k{i}", KeyUsage.SIGNING, KeyAlgorithm.EC_P256),
                range(8),
            )
        )
    assert len(signatures) == 32
    assert {k.key_id for k in soft_token.list_keys()} == {key.key_id} | {k.key_id for k in made}
    soft_token.logout()
    soft_token.login(PIN)
    for record in made:
        assert soft_token.signer(record.key_id).sign(b"still there")


def test_tls_private_key_only_while_logged_in(tmp_path: Path) -> None:
    token = create_soft_token(tmp_path, "softToken-tls", PIN, scrypt_n=2**14)
    token.login(PIN)
    key = token.generate_key("auth", KeyUsage.AUTHENTICATION, KeyAlgorithm.EC_P256)
    backend = token.backend
    assert isinstance(backend, SoftToken)
    assert backend.tls_private_key(key.key_id).public_key() is not None
    with pytest.raises(TokenError):
        backend.tls_private_key("no-such-key")
    token.logout()
    with pytest.raises(TokenError):
        backend.tls_private_key(key.key_id)
