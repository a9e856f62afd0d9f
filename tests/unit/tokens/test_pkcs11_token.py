"""The PKCS#11 token against SoftHSM2: PIN, keys, signatures the protocol core verifies."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from tests.unit.tokens.helpers import MESSAGE, NOW, issue
from tests.unit.tokens.softhsm import SoftHsm
from trust_services import profiles
from vdx.crypto.xades_create import DataPart, create_signature
from vdx.crypto.xades_verify import verify_signature
from vdx.identifiers import ClientId, SecurityServerId
from vdx.tokens import (
    CertStatus,
    KeyAlgorithm,
    KeyUsage,
    SignerCode,
    Token,
    TokenError,
    authentication_subject,
    open_pkcs11_token,
    signing_subject,
)

MEMBER = ClientId("VN", "GOV", "1234")


@pytest.fixture
def token(softhsm: SoftHsm, tmp_path: Path) -> Iterator[Token]:
    token = open_pkcs11_token(softhsm.library, softhsm.label, tmp_path / "pkcs11.json")
    token.login(softhsm.pin)
    yield token
    token.logout()


def test_pin_is_checked_by_the_device(softhsm: SoftHsm, tmp_path: Path) -> None:
    token = open_pkcs11_token(softhsm.library, softhsm.label, tmp_path / "m.json")
    assert not token.is_active
    with pytest.raises(TokenError) as excinfo:
        token.login("wrong-pin")
    assert excinfo.value.signer_code is SignerCode.PIN_INCORRECT
    assert not token.is_active
    with pytest.raises(TokenError) as excinfo:
        token.generate_key("k", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    assert excinfo.value.signer_code is SignerCode.TOKEN_NOT_ACTIVE
    token.login(softhsm.pin)
    assert token.is_active
    token.logout()
    assert not token.is_active


def test_second_handle_cannot_bypass_the_pin(token: Token, softhsm: SoftHsm) -> None:
    # PKCS#11 login is per application (v2.40 §5.6); a second handle must not ride on it.
    other = open_pkcs11_token(softhsm.library, softhsm.label, token.metadata_path)
    with pytest.raises(TokenError) as excinfo:
        other.login("any pin at all")
    assert excinfo.value.signer_code is SignerCode.LOGIN_FAILED
    assert token.is_active


def test_unknown_token_label(softhsm: SoftHsm, tmp_path: Path) -> None:
    with pytest.raises(TokenError) as excinfo:
        open_pkcs11_token(softhsm.library, "no-such-token", tmp_path / "m.json")
    assert excinfo.value.signer_code is SignerCode.TOKEN_NOT_FOUND


@pytest.mark.parametrize(
    ("algorithm", "hash_name"),
    [
        (KeyAlgorithm.RSA2048, "sha512"),
        (KeyAlgorithm.RSA3072, "sha256"),
        (KeyAlgorithm.EC_P256, "sha256"),
        (KeyAlgorithm.EC_P256, "sha512"),
    ],
)
def test_softhsm_key_signs_a_message_the_protocol_core_verifies(
    token: Token, algorithm: KeyAlgorithm, hash_name: str
) -> None:
    """Issue 4's check: a key generated on SoftHSM2 signs a message that vdx verifies."""
    key = token.generate_key(f"sign-{algorithm}", KeyUsage.SIGNING, algorithm)
    csr = token.create_csr(key.key_id, signing_subject(MEMBER))
    profiles.check_csr(csr, profiles.DEFAULT_PROFILES["sign"])  # the dev CA would accept it
    certificate = issue(csr, "sign")
    record = token.import_certificate(certificate)
    assert (record.key_id, record.status) == (key.key_id, CertStatus.REGISTERED)
    signature = create_signature(
        [DataPart("/message.xml", MESSAGE, "text/xml")],
        key=token.signer(key.key_id, hash_name),
        certificate=certificate,
        now=NOW,
    )
    verified = verify_signature(signature, {"/message.xml": MESSAGE})
    assert verified.signer_certificate == certificate
    token.delete_key(key.key_id)


def test_private_keys_stay_in_the_device(token: Token, softhsm: SoftHsm) -> None:
    import pkcs11  # noqa: PLC0415 - present whenever the fixture did not skip

    key = token.generate_key("auth", KeyUsage.AUTHENTICATION, KeyAlgorithm.EC_P256)
    server = SecurityServerId(MEMBER, "ss1")
    csr = token.create_csr(key.key_id, authentication_subject(server))
    profiles.check_csr(csr, profiles.DEFAULT_PROFILES["auth"])
    assert token.import_certificate(issue(csr, "auth")).status is CertStatus.SAVED
    device = pkcs11.lib(softhsm.library).get_token(token_label=softhsm.label)
    # PKCS#11 v2.40 §5.6: login is per application, so a new session sees private objects.
    with device.open() as session:
        private = session.get_key(
            object_class=pkcs11.ObjectClass.PRIVATE_KEY, id=bytes.fromhex(key.key_id)
        )
        assert private[pkcs11.Attribute.SENSITIVE] is True
        assert private[pkcs11.Attribute.EXTRACTABLE] is False
        assert private[pkcs11.Attribute.LABEL] == "auth"
    token.delete_certificate(token.certificates(key.key_id)[0].cert_id)
    token.delete_key(key.key_id)


def test_list_and_delete(token: Token) -> None:
    from vdx.tokens.pkcs11_token import Pkcs11Token  # noqa: PLC0415 - needs python-pkcs11

    first = token.generate_key("one", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    second = token.generate_key("two", KeyUsage.AUTHENTICATION, KeyAlgorithm.RSA2048)
    assert [k.key_id for k in token.list_keys()] == [first.key_id, second.key_id]
    assert isinstance(token.backend, Pkcs11Token)
    on_device = token.backend.key_ids()
    assert {first.key_id, second.key_id} <= set(on_device)
    token.delete_key(first.key_id)
    assert token.list_keys() == (second,)
    assert first.key_id not in token.backend.key_ids()
    with pytest.raises(TokenError) as excinfo:
        token.backend.sign(first.key_id, first.algorithm, "sha256", b"x")
    assert excinfo.value.signer_code is SignerCode.KEY_NOT_FOUND
    with pytest.raises(TokenError) as excinfo:
        token.backend.delete_key(first.key_id)
    assert excinfo.value.signer_code is SignerCode.KEY_NOT_FOUND
    token.delete_key(second.key_id)
    token.logout()
    with pytest.raises(TokenError) as excinfo:
        token.backend.sign(second.key_id, second.algorithm, "sha256", b"x")
    assert excinfo.value.signer_code is SignerCode.TOKEN_NOT_ACTIVE


def test_concurrent_signing_is_serialised(token: Token) -> None:
    """python-pkcs11 initialises with C_Initialize(NULL): the library lock keeps calls apart."""
    key = token.generate_key("threads", KeyUsage.SIGNING, KeyAlgorithm.EC_P256)
    signer = token.signer(key.key_id, "sha256")
    messages = [b"message %d" % i for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        signatures = list(pool.map(signer.sign, messages))
    public = load_der_public_key(key.public_key_der)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    for message, raw in zip(messages, signatures, strict=True):
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        public.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    token.delete_key(key.key_id)
