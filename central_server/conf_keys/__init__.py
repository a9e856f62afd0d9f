"""Configuration signing keys on a token: one active key per source, rotation announced first.

:mod:`~central_server.conf_keys.token_signer` adapts a token key to the generator's
``DirectorySigner`` and makes its self-signed certificate; :mod:`~central_server.conf_keys.service`
keeps the keys' states in the ``configuration_signing_keys`` table.
"""

from central_server.conf_keys.model import SOURCES, KeyState, SigningKeyError, SigningKeyInfo
from central_server.conf_keys.service import ConfSigningKeys
from central_server.conf_keys.token_signer import TokenDirectorySigner, self_signed_certificate

__all__ = [
    "SOURCES",
    "ConfSigningKeys",
    "KeyState",
    "SigningKeyError",
    "SigningKeyInfo",
    "TokenDirectorySigner",
    "self_signed_certificate",
]
