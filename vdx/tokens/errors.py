"""Signer failures: the reference signer's error codes, carried by :class:`TokenError`.

The signer's codes are a catalogue of their own in the reference (``ErrorCodes.X_KEY_NOT_FOUND``
= ``KeyNotFound`` ...), reported with the ``Signer`` origin; :class:`TokenError` carries them as
its code (``XRoadError.code`` accepts any code string) and in :attr:`TokenError.signer_code`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vdx.errors import Code, XRoadError


class SignerCode(enum.StrEnum):
    """The reference signer's error codes (X-Road 7 ``ErrorCodes``, CamelCase)."""

    KEY_NOT_FOUND = "KeyNotFound"
    CERT_NOT_FOUND = "CertNotFound"
    TOKEN_NOT_FOUND = "TokenNotFound"  # noqa: S105 - an error code, not a password
    TOKEN_NOT_ACTIVE = "TokenNotActive"  # noqa: S105 - an error code, not a password
    TOKEN_NOT_INITIALIZED = "TokenNotInitialized"  # noqa: S105 - an error code, not a password
    TOKEN_NOT_AVAILABLE = "TokenNotAvailable"  # noqa: S105 - an error code, not a password
    CANNOT_SIGN = "CannotSign"
    UNSUPPORTED_SIGN_ALGORITHM = "UnsupportedSignAlgorithm"
    CSR_FAILED = "FailedToGenerateCertificateRequest"
    FAILED_TO_GENERATE_R_KEY = "FailedToGeneratePrivateKey"
    FAILED_TO_DELETE_KEY = "FailedToDeleteKey"
    CERT_EXISTS = "CertExists"
    WRONG_CERT_USAGE = "WrongCertUsage"
    LOGIN_FAILED = "LoginFailed"
    LOGOUT_FAILED = "LogoutFailed"
    PIN_INCORRECT = "PinIncorrect"
    CERT_IMPORT_FAILED = "CertImportFailed"
    TOKEN_PIN_POLICY_FAILURE = "TokenPinPolicyFailure"  # noqa: S105 - an error code, not a password


@dataclass(eq=False)
class TokenError(XRoadError):
    """A token, key or certificate operation failed; ``signer_code`` is the reference code."""

    signer_code: SignerCode | None = None


def token_error(signer_code: SignerCode, message: str) -> TokenError:
    """A :class:`TokenError` whose code is the signer's own (``Signer.KeyNotFound`` on the
    wire once attributed to :attr:`vdx.errors.Origin.SIGNER`)."""
    return TokenError(signer_code, message, signer_code=signer_code)


def keyconf_error(message: str) -> TokenError:
    """A token's files are unreadable or inconsistent (reference: ``MalformedKeyConf``)."""
    return TokenError(Code.MALFORMED_KEYCONF, message)


def invalid_request(message: str) -> TokenError:
    """An operation the current state does not allow (e.g. an illegal certificate transition)."""
    return TokenError(Code.INVALID_REQUEST, message)
