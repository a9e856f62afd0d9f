"""X-Road error codes and the one exception type that carries them.

X-Road reports a failure as a dotted fault code: an origin prefix that says which party failed
(``Client`` for the caller's mistake, ``Server.ClientProxy`` / ``Server.ServerProxy`` for the
consumer's / provider's security server) followed by the error code, e.g.
``Server.ClientProxy.AccessDenied``. The codes below are the reference implementation's
catalogue (``ErrorCodes``); their values are wire-visible, so they must not be renamed.

Verification code raises :class:`XRoadError` with a bare code; the origin prefix is added once,
at the boundary that knows which party is at fault (ARCHITECTURE rule 3).
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from dataclasses import dataclass, field


class Origin(enum.StrEnum):
    """Which party a fault is attributed to (prefix of the fault code)."""

    CLIENT = "Client"
    SERVER = "Server"
    CLIENT_PROXY = "Server.ClientProxy"
    SERVER_PROXY = "Server.ServerProxy"
    SIGNER = "Signer"


class Code(enum.StrEnum):
    """Error codes of the X-Road protocol family (the part after the origin prefix).

    Values are the reference implementation's ``ErrorCodes`` strings (CamelCase, X-Road 7).
    """

    # General
    IO_ERROR = "IOError"
    NETWORK_ERROR = "NetworkError"
    INTERNAL_ERROR = "InternalError"
    BAD_REQUEST = "BadRequest"
    NOT_FOUND = "NotFound"
    HTTP_ERROR = "HttpError"
    DATABASE_ERROR = "DatabaseError"
    INVALID_RESPONSE = "InvalidResponse"
    INVALID_REQUEST = "InvalidRequest"
    # Message processing
    SSL_AUTH_FAILED = "SslAuthenticationFailed"
    LOGGING_FAILED = "LoggingFailed"
    TIMESTAMPING_FAILED = "TimestampingFailed"
    INVALID_CONTENT_TYPE = "InvalidContentType"
    INVALID_SOAPACTION = "InvalidSoapAction"
    INVALID_HTTP_METHOD = "InvalidHttpMethod"
    INVALID_MESSAGE = "InvalidMessage"
    INVALID_SECURITY_SERVER = "InvalidSecurityServer"
    MIME_PARSING_FAILED = "MimeParsingFailed"
    MISSING_HEADER = "MissingHeader"
    MISSING_HEADER_FIELD = "MissingHeaderField"
    DUPLICATE_HEADER_FIELD = "DuplicateHeaderField"
    MISSING_BODY = "MissingBody"
    INVALID_BODY = "InvalidBody"
    INCONSISTENT_HEADERS = "InconsistentHeaders"
    INCONSISTENT_RESPONSE = "InconsistentResponse"
    MISSING_SOAP = "MissingSoap"
    INVALID_SOAP = "InvalidSoap"
    MISSING_REST = "MissingRest"
    INVALID_REST = "InvalidRest"
    ACCESS_DENIED = "AccessDenied"
    SERVICE_DISABLED = "ServiceDisabled"
    SERVICE_FAILED = "ServiceFailed"
    MISSING_SIGNATURE = "MissingSignature"
    UNKNOWN_SERVICE = "UnknownService"
    INVALID_PROTOCOL_VERSION = "InvalidProtocolVersion"
    INVALID_CLIENT_IDENTIFIER = "InvalidClientIdentifier"
    INVALID_SERVICE_TYPE = "ServiceType"
    CLIENT_PROXY_VERSION_NOT_SUPPORTED = "ClientProxyVersionNotSupported"
    # Verification of signatures, certificates and evidence
    CANNOT_CREATE_SIGNATURE = "CannotCreateSignature"
    CERT_VALIDATION = "CertValidation"
    MISSING_VALIDATION_INFO = "MissingValidationInfo"
    INCORRECT_VALIDATION_INFO = "IncorrectValidationInfo"
    CANNOT_CREATE_CERT_PATH = "CannotCreateCertPath"
    CERT_VALIDITY_TIME = "CertValidityTime"
    INCORRECT_CERTIFICATE = "IncorrectCertificate"
    UNSUPPORTED_ALGORITHM = "UnsupportedAlgorithm"
    INVALID_SIGNATURE_VALUE = "InvalidSignatureValue"
    MALFORMED_SIGNATURE = "MalformedSignature"
    INVALID_XML = "InvalidXml"
    INVALID_REFERENCE = "InvalidReference"
    INVALID_CERT_PATH = "InvalidCertPath"
    SIGNATURE_VERIFICATION = "SignatureVerification"
    MALFORMED_SOAP = "MalformedSoap"
    TIMESTAMP_VALIDATION = "TimestampValidation"
    INVALID_HASH_CHAIN_RESULT = "InvalidHashChain"
    MALFORMED_HASH_CHAIN = "MalformedHashChain"
    HASHCHAIN_UNUSED_INPUTS = "HashChainUnusedInputs"
    INVALID_HASH_CHAIN_REF = "InvalidHashChainRef"
    # ASiC containers (message-log evidence)
    ASIC_INVALID_CONTAINER = "AsicInvalidContainer"
    ASIC_MIME_TYPE_NOT_FOUND = "AsicMimeTypeNotFound"
    ASIC_SIGNATURE_NOT_FOUND = "AsicSignatureNotFound"
    ASIC_MESSAGE_NOT_FOUND = "AsicMessageNotFound"
    ASIC_INVALID_MIME_TYPE = "AsicInvalidMimeType"
    ASIC_HASH_CHAIN_RESULT_NOT_FOUND = "AsicHashChainResultNotFound"
    ASIC_HASH_CHAIN_NOT_FOUND = "AsicHashChainNotFound"
    ASIC_TIMESTAMP_NOT_FOUND = "AsicTimestampNotFound"
    ASIC_MANIFEST_NOT_FOUND = "AsicManifestNotFound"
    # Configuration
    UNKNOWN_MEMBER = "UnknownMember"
    MALFORMED_SERVERCONF = "MalformedServerConf"
    MALFORMED_GLOBALCONF = "MalformedGlobalConf"
    MALFORMED_KEYCONF = "MalformedKeyConf"
    OUTDATED_GLOBALCONF = "OutdatedGlobalConf"
    SERVICE_MISSING_URL = "ServiceMissingUrl"
    SERVICE_MALFORMED_URL = "ServiceMalformedUrl"
    MAINTENANCE_MODE = "MaintenanceMode"


@dataclass(eq=False)
class XRoadError(Exception):
    """A failure with an X-Road error code.

    ``origin`` is ``None`` until a boundary attributes the fault; :meth:`fault_code` then gives
    the wire form. ``detail`` is a fresh UUID that the caller receives and the operator finds in
    the structured log line, so the two can be matched without leaking internals to the caller.
    """

    code: Code | str
    message: str
    origin: Origin | None = None
    detail: str = field(default_factory=lambda: str(uuid.uuid4()))
    service_failed: bool = False

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def fault_code(self) -> str:
        """The dotted code as it appears on the wire, e.g. ``Client.InvalidSoap``.

        A failure in what a service answered carries the inner prefix ``ServiceFailed``
        (``Server.ServerProxy.ServiceFailed.InvalidSoap``), as the reference does.
        """
        parts = [str(self.origin)] if self.origin is not None else []
        if self.service_failed:
            parts.append(Code.SERVICE_FAILED)
        parts.append(str(self.code))
        return ".".join(parts)

    def attributed_to(self, origin: Origin) -> XRoadError:
        """Return this error with ``origin`` set, unless a more specific one was set already."""
        if self.origin is not None:
            return self
        return dataclasses.replace(self, origin=origin)

    def in_service_response(self) -> XRoadError:
        """Mark the error as found in a service's (or peer's) response: ``ServiceFailed``."""
        return dataclasses.replace(self, service_failed=True)

    def __str__(self) -> str:
        return f"{self.fault_code}: {self.message}"
