"""The PKCS#11 token: keys generated and used inside a device (HSM, smart card, SoftHSM2).

The only module that calls python-pkcs11. Keys are found by ``CKA_ID`` (our hex key id) and
carry ``CKA_LABEL``; private keys are created ``CKA_SENSITIVE`` and not ``CKA_EXTRACTABLE``
(PKCS#11 v2.40 §4.9), so they never leave the device. Signing hashes in software and asks the
device for the bare primitive, which every token implements:

* RSA: ``CKM_RSA_PKCS`` over the DER ``DigestInfo`` (PKCS#11 v2.40 §2.1.6; the prefix is
  EMSA-PKCS1-v1_5 step 2, RFC 8017 §9.2 note 1), giving a PKCS#1 v1.5 signature;
* ECDSA: ``CKM_ECDSA`` over the digest (§2.3.6), giving ``r || s`` - the XML-DSig form.

python-pkcs11 initialises the library with ``C_Initialize(NULL)``, which promises the library
that calls are not made from several threads at once (PKCS#11 v2.40 §5.4), so every call
into one library goes through that library's lock.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any, cast

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.types import SignMixin
from pkcs11.util.ec import encode_named_curve_parameters

from vdx.tokens.errors import SignerCode, token_error
from vdx.tokens.model import KeyAlgorithm

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Library  # noqa: N812 - a class, named like one here

# DigestInfo DER prefixes (RFC 8017 §9.2, note 1), to which the digest is appended.
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_SIGN_ONLY = MechanismFlag.SIGN | MechanismFlag.VERIFY
_PRIVATE_TEMPLATE = {
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
}
_PUBLIC_TEMPLATE = {Attribute.PRIVATE: False}

_LIBRARIES: dict[str, tuple[Library, threading.RLock]] = {}
_LIBRARIES_LOCK = threading.Lock()


def _library(path: str) -> tuple[Library, threading.RLock]:
    """One loaded library (and its call lock) per path: ``C_Initialize`` runs once."""
    with _LIBRARIES_LOCK:
        if path not in _LIBRARIES:
            try:
                _LIBRARIES[path] = (pkcs11.lib(path), threading.RLock())
            except p11.PKCS11Error as exc:
                raise token_error(
                    SignerCode.TOKEN_NOT_AVAILABLE, f"cannot load PKCS#11 library {path}: {exc}"
                ) from None
        return _LIBRARIES[path]


def _spki(public: Any, algorithm: KeyAlgorithm) -> bytes:
    """SubjectPublicKeyInfo DER of a device public key object."""
    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    if algorithm.is_rsa:
        modulus = int.from_bytes(public[Attribute.MODULUS], "big")
        exponent = int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big")
        key = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    else:
        # CKA_EC_POINT is the DER OCTET STRING around the X9.62 point (PKCS#11 v2.40 §2.3.3);
        # some devices return the bare point. For P-256 the lengths tell them apart: 67 / 65.
        point = bytes(public[Attribute.EC_POINT])
        if len(point) == 67 and point[:2] == b"\x04\x41":
            point = point[2:]
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class Pkcs11Token:
    """A :class:`~vdx.tokens.backend.TokenBackend` over one PKCS#11 token (by its label)."""

    def __init__(self, library_path: str, token_label: str) -> None:
        self._lib, self._lock = _library(library_path)
        self._label = token_label
        with self._lock:
            try:
                self._token = self._lib.get_token(token_label=token_label)
            except (p11.NoSuchToken, p11.MultipleTokensReturned) as exc:
                raise token_error(
                    SignerCode.TOKEN_NOT_FOUND, f"PKCS#11 token {token_label!r}: {exc!r}"
                ) from None
        self._session: pkcs11.Session | None = None

    @property
    def token_id(self) -> str:
        return self._label

    @property
    def is_active(self) -> bool:
        return self._session is not None

    def login(self, pin: str) -> None:
        with self._lock:
            self._close()
            try:
                self._session = self._token.open(rw=True, user_pin=pin)
            except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
                raise token_error(
                    SignerCode.PIN_INCORRECT, f"PIN of token {self._label!r} is incorrect"
                ) from None
            except p11.UserAlreadyLoggedIn:
                # Login state is per application (PKCS#11 v2.40 §5.6): another handle on this
                # token is logged in. Refused rather than accepted, since the PIN was not
                # checked: use one Pkcs11Token per device token and process.
                raise token_error(
                    SignerCode.LOGIN_FAILED, f"token {self._label!r} is already logged in"
                ) from None
            except p11.PKCS11Error as exc:
                raise token_error(SignerCode.LOGIN_FAILED, f"{self._label!r}: {exc!r}") from None

    def logout(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.close()  # closing the last session logs the user out (§5.6)
            except p11.PKCS11Error as exc:
                raise token_error(SignerCode.LOGOUT_FAILED, repr(exc)) from None

    def _active(self) -> pkcs11.Session:
        if self._session is None:
            raise token_error(SignerCode.TOKEN_NOT_ACTIVE, f"token {self._label!r}")
        return self._session

    def generate_key(self, key_id: str, label: str, algorithm: KeyAlgorithm) -> bytes:
        options: dict[str, Any] = {
            "id": bytes.fromhex(key_id),
            "label": label,
            "store": True,
            "capabilities": _SIGN_ONLY,
            "public_template": _PUBLIC_TEMPLATE,
            "private_template": _PRIVATE_TEMPLATE,
        }
        with self._lock:
            session = self._active()
            try:
                if algorithm.is_rsa:
                    public, _ = session.generate_keypair(KeyType.RSA, algorithm.rsa_bits, **options)
                else:
                    # PKCS#11 v2.40 §2.3.3: CKA_EC_PARAMS names the curve (ANSI X9.62).
                    parameters = session.create_domain_parameters(
                        KeyType.EC,
                        {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                        local=True,
                    )
                    public, _ = parameters.generate_keypair(**options)
                return _spki(public, algorithm)
            except p11.PKCS11Error as exc:
                raise token_error(SignerCode.FAILED_TO_GENERATE_R_KEY, repr(exc)) from None

    def delete_key(self, key_id: str) -> None:
        with self._lock:
            session = self._active()
            objects = list(session.get_objects({Attribute.ID: bytes.fromhex(key_id)}))
            if not objects:
                raise token_error(SignerCode.KEY_NOT_FOUND, f"key {key_id!r}")
            try:
                for item in objects:
                    item.destroy()
            except p11.PKCS11Error as exc:
                raise token_error(SignerCode.FAILED_TO_DELETE_KEY, repr(exc)) from None

    def key_ids(self) -> tuple[str, ...]:
        """Hex ``CKA_ID`` of every private key on the token (including keys VDX did not make)."""
        with self._lock:
            session = self._active()
            found = session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
            return tuple(bytes(item[Attribute.ID]).hex() for item in found)

    def sign(self, key_id: str, algorithm: KeyAlgorithm, hash_name: str, data: bytes) -> bytes:
        if hash_name not in _DIGEST_INFO:
            raise token_error(SignerCode.UNSUPPORTED_SIGN_ALGORITHM, hash_name)
        digest = hashlib.new(hash_name, data).digest()
        with self._lock:
            session = self._active()
            try:
                found = session.get_key(
                    object_class=ObjectClass.PRIVATE_KEY, id=bytes.fromhex(key_id)
                )
            except (p11.NoSuchKey, p11.MultipleObjectsReturned):
                raise token_error(SignerCode.KEY_NOT_FOUND, f"key {key_id!r}") from None
            key = cast(SignMixin, found)  # a CKO_PRIVATE_KEY with CKA_SIGN (generate_key)
            try:
                if algorithm.is_rsa:
                    return bytes(
                        key.sign(_DIGEST_INFO[hash_name] + digest, mechanism=Mechanism.RSA_PKCS)
                    )
                return bytes(key.sign(digest, mechanism=Mechanism.ECDSA))
            except p11.PKCS11Error as exc:
                raise token_error(SignerCode.CANNOT_SIGN, repr(exc)) from None
