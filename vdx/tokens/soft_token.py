"""The software token: private keys in one encrypted keystore file per token.

File format (``<token_id>.keystore``, JSON, written atomically with mode 0600)::

    {"format": "vdx-softtoken-1", "tokenId": ..., "kdf": {"name": "scrypt", "salt": b64,
     "n": 32768, "r": 8, "p": 1}, "nonce": b64, "ciphertext": b64}

The AES-256 key is derived from the PIN with scrypt (RFC 7914); the key material (a JSON map
of key id -> unencrypted PKCS#8 DER) is sealed with AES-256-GCM (NIST SP 800-38D) under a
fresh 96-bit nonce per write, with the header as associated data, so a wrong PIN and a
tampered file both fail authentication (``PinIncorrect``). ADR 0003 says why this and not
per-key PKCS#8 encryption. The KDF cost read from the file is bounded before deriving, so a
crafted header cannot make login allocate unbounded memory.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from vdx.crypto.xades_create import PrivateKeySigner
from vdx.fileio import write_atomic
from vdx.tokens.backend import HASH_NAMES
from vdx.tokens.errors import SignerCode, keyconf_error, token_error
from vdx.tokens.model import KeyAlgorithm
from vdx.tokens.storage import b64, unb64

KEYSTORE_FORMAT = "vdx-softtoken-1"
DEFAULT_SCRYPT_N = 2**15  # 32 MiB with r=8: ~0.1 s per login (RFC 7914 §2 guidance)
MIN_SCRYPT_N = 2**14
MAX_SCRYPT_N = 2**20
_PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def keystore_path(directory: Path, token_id: str) -> Path:
    if not token_id or not all(ch.isalnum() or ch in "-_." for ch in token_id):
        raise ValueError("token id may contain only letters, digits, '-', '_' and '.'")
    return directory / f"{token_id}.keystore"


def _derive(pin: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(pin.encode("utf-8"))


def _header(token_id: str, salt: bytes, n: int) -> dict[str, Any]:
    kdf = {"name": "scrypt", "salt": b64(salt), "n": n, "r": 8, "p": 1}
    return {"format": KEYSTORE_FORMAT, "tokenId": token_id, "kdf": kdf}


def _aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _new_key(algorithm: KeyAlgorithm) -> _PrivateKey:
    if algorithm is KeyAlgorithm.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=algorithm.rsa_bits)


class SoftToken:
    """A :class:`~vdx.tokens.backend.TokenBackend` over a keystore file (thread-safe)."""

    def __init__(self, path: Path, token_id: str) -> None:
        self._path = path
        self._token_id = token_id
        self._lock = threading.Lock()
        self._aes_key: bytes | None = None
        self._keys: dict[str, _PrivateKey] = {}

    @classmethod
    def create(
        cls, directory: Path, token_id: str, pin: str, *, scrypt_n: int = DEFAULT_SCRYPT_N
    ) -> SoftToken:
        """Initialise an empty keystore protected by ``pin``; an existing one is kept."""
        if not pin:
            raise token_error(SignerCode.TOKEN_PIN_POLICY_FAILURE, "the PIN must not be empty")
        if not MIN_SCRYPT_N <= scrypt_n <= MAX_SCRYPT_N:
            raise ValueError(f"scrypt n must be between {MIN_SCRYPT_N} and {MAX_SCRYPT_N}")
        path = keystore_path(directory, token_id)
        if path.exists():
            raise token_error(SignerCode.LOGIN_FAILED, f"token {token_id!r} already exists")
        token = cls(path, token_id)
        salt = os.urandom(16)
        token._aes_key = _derive(pin, salt, scrypt_n)
        token._write(_header(token_id, salt, scrypt_n))
        token._aes_key = None
        return token

    @classmethod
    def open(cls, directory: Path, token_id: str) -> SoftToken:
        path = keystore_path(directory, token_id)
        if not path.is_file():
            raise token_error(SignerCode.TOKEN_NOT_FOUND, f"no software token {token_id!r}")
        return cls(path, token_id)

    @property
    def token_id(self) -> str:
        return self._token_id

    @property
    def is_active(self) -> bool:
        return self._aes_key is not None

    def _read(self) -> tuple[dict[str, Any], bytes, bytes]:
        try:
            document = json.loads(self._path.read_bytes())
            header = {k: document[k] for k in ("format", "tokenId", "kdf")}
            kdf = header["kdf"]
            if header["format"] != KEYSTORE_FORMAT or kdf.get("name") != "scrypt":
                raise ValueError("unknown keystore format")
            if kdf.get("r") != 8 or kdf.get("p") != 1:
                raise ValueError("unsupported scrypt parameters")
            if not isinstance(kdf.get("n"), int) or not MIN_SCRYPT_N <= kdf["n"] <= MAX_SCRYPT_N:
                raise ValueError("scrypt cost out of bounds")
            return header, unb64(document["nonce"]), unb64(document["ciphertext"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise keyconf_error(f"software token keystore is unreadable: {exc}") from None

    def _write(self, header: dict[str, Any]) -> None:
        if self._aes_key is None:
            raise token_error(SignerCode.TOKEN_NOT_ACTIVE, f"token {self._token_id!r}")
        material = {
            key_id: b64(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),  # sealed by AES-GCM below, never on disk
                )
            )
            for key_id, key in self._keys.items()
        }
        nonce = os.urandom(12)
        plaintext = json.dumps({"keys": material}).encode("utf-8")
        sealed = AESGCM(self._aes_key).encrypt(nonce, plaintext, _aad(header))
        document = {**header, "nonce": b64(nonce), "ciphertext": b64(sealed)}
        write_atomic(self._path, json.dumps(document, indent=2).encode("utf-8"))

    def login(self, pin: str) -> None:
        # Under the lock: a key written between reading and installing would be lost.
        with self._lock:
            header, nonce, sealed = self._read()
            aes_key, keys = self._unseal(header, nonce, sealed, pin)
            self._aes_key, self._keys = aes_key, keys

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """Re-seal the keystore under ``new_pin`` (fresh salt); the token stays logged out."""
        if not new_pin:
            raise token_error(SignerCode.TOKEN_PIN_POLICY_FAILURE, "the PIN must not be empty")
        with self._lock:
            header, nonce, sealed = self._read()
            _, keys = self._unseal(header, nonce, sealed, old_pin)
            salt = os.urandom(16)
            new_header = _header(self._token_id, salt, header["kdf"]["n"])
            self._aes_key, self._keys = _derive(new_pin, salt, header["kdf"]["n"]), keys
            try:
                self._write(new_header)
            finally:
                self._aes_key, self._keys = None, {}

    def _unseal(
        self, header: dict[str, Any], nonce: bytes, sealed: bytes, pin: str
    ) -> tuple[bytes, dict[str, _PrivateKey]]:
        kdf = header["kdf"]
        aes_key = _derive(pin, unb64(kdf["salt"]), kdf["n"])
        try:
            plaintext = AESGCM(aes_key).decrypt(nonce, sealed, _aad(header))
        except InvalidTag:
            raise token_error(
                SignerCode.PIN_INCORRECT, f"PIN of token {self._token_id!r} is incorrect"
            ) from None
        keys: dict[str, _PrivateKey] = {}
        for key_id, der in json.loads(plaintext)["keys"].items():
            key = serialization.load_der_private_key(unb64(der), password=None)
            if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                raise keyconf_error(f"key {key_id} is neither RSA nor EC")
            keys[key_id] = key
        return aes_key, keys

    def logout(self) -> None:
        with self._lock:
            self._aes_key, self._keys = None, {}

    def generate_key(self, key_id: str, label: str, algorithm: KeyAlgorithm) -> bytes:
        del label  # labels live in the token metadata; the keystore knows keys by id
        key = _new_key(algorithm)
        with self._lock:
            header, _, _ = self._read()
            self._require_active()
            self._keys[key_id] = key
            self._write(header)
        return key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def delete_key(self, key_id: str) -> None:
        with self._lock:
            header, _, _ = self._read()
            self._require_active()
            if self._keys.pop(key_id, None) is None:
                raise token_error(SignerCode.KEY_NOT_FOUND, f"key {key_id!r}")
            self._write(header)

    def sign(self, key_id: str, algorithm: KeyAlgorithm, hash_name: str, data: bytes) -> bytes:
        del algorithm  # the key object knows its own kind
        if hash_name not in HASH_NAMES:
            raise token_error(SignerCode.UNSUPPORTED_SIGN_ALGORITHM, hash_name)
        with self._lock:
            self._require_active()
            key = self._keys.get(key_id)
        if key is None:
            raise token_error(SignerCode.KEY_NOT_FOUND, f"key {key_id!r}")
        return PrivateKeySigner(key, hash_name).sign(data)

    def tls_private_key(self, key_id: str) -> _PrivateKey:
        """The unsealed key, for a TLS stack that must hold it (Python's ``ssl`` loads keys,
        it cannot delegate the handshake signature). Software keys only, while logged in; a
        PKCS#11 key stays on its device and needs a TLS engine instead."""
        with self._lock:
            self._require_active()
            key = self._keys.get(key_id)
        if key is None:
            raise token_error(SignerCode.KEY_NOT_FOUND, f"key {key_id!r}")
        return key

    def _require_active(self) -> None:
        if self._aes_key is None:
            raise token_error(SignerCode.TOKEN_NOT_ACTIVE, f"token {self._token_id!r}")
