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
    """Error codes of the X-Road protocol family (the part after the origin prefix)."""

    # General
    INTERNAL_ERROR = "InternalError"
    IO_ERROR = "IOError"
    NETWORK_ERROR = "NetworkError"
    HTTP_ERROR = "HttpError"
    INVALID_REQUEST = "InvalidRequest"
    INVALID_HTTP_METHOD = "InvalidHttpMethod"
    INVALID_CONTENT_TYPE = "InvalidContentType"
    INVALID_MESSAGE = "InvalidMessage"
    MIME_PARSING_FAILED = "MimeParsingFailed"
    REQUEST_TOO_LARGE = "RequestTooLarge"
    # XML and SOAP structure
    INVALID_XML = "InvalidXml"
    INVALID_SOAP = "InvalidSoap"
    MISSING_SOAP = "MissingSoap"
    MISSING_HEADER = "MissingHeader"
    MISSING_HEADER_FIELD = "MissingHeaderField"
    DUPLICATE_HEADER_FIELD = "DuplicateHeaderField"
    MISSING_BODY = "MissingBody"
    INVALID_BODY = "InvalidBody"
    INVALID_PROTOCOL_VERSION = "InvalidProtocolVersion"
    INVALID_CLIENT_IDENTIFIER = "InvalidClientIdentifier"
    INVALID_SERVICE_TYPE = "InvalidServiceType"
    INVALID_IDENTIFIER = "InvalidIdentifier"
    INCONSISTENT_HEADERS = "InconsistentHeaders"
    INCONSISTENT_RESPONSE = "InconsistentResponse"
    INVALID_REQUEST_HASH = "InvalidRequestHash"
    # REST
    INVALID_REST_REQUEST = "InvalidRestRequest"
    INVALID_PATH = "InvalidPath"
    # Routing, registry and access
    UNKNOWN_MEMBER = "UnknownMember"
    UNKNOWN_SERVICE = "UnknownService"
    UNKNOWN_SECURITY_SERVER = "UnknownSecurityServer"
    INVALID_SECURITY_SERVER = "InvalidSecurityServer"
    ACCESS_DENIED = "AccessDenied"
    SERVICE_DISABLED = "ServiceDisabled"
    SERVICE_FAILED = "ServiceFailed"
    OUTDATED_GLOBALCONF = "OutdatedGlobalConf"
    MAINTENANCE_MODE = "MaintenanceMode"
    # Certificates, signatures and evidence
    SSL_AUTH_FAILED = "SslAuthenticationFailed"
    CERT_VALIDATION = "CertValidation"
    INCORRECT_CERTIFICATE = "IncorrectCertificate"
    INVALID_SIGNATURE_VALUE = "InvalidSignatureValue"
    MALFORMED_SIGNATURE = "MalformedSignature"
    SIGNATURE_MISSING = "SignatureMissing"
    CANNOT_CREATE_SIGNATURE = "CannotCreateSignature"
    INVALID_HASH_CHAIN_REF = "InvalidHashChainRef"
    MALFORMED_HASH_CHAIN = "MalformedHashChain"
    HASHCHAIN_UNUSED_INPUTS = "HashChainUnusedInputs"
    INVALID_HASH_CHAIN_RESULT = "InvalidHashChainResult"
    INVALID_OCSP_RESPONSE = "InvalidOcspResponse"
    TIMESTAMPING_FAILED = "TimestampingFailed"
    MALFORMED_GLOBALCONF = "MalformedGlobalConf"
    INVALID_CONFIGURATION = "InvalidConfiguration"


@dataclass(eq=False)
class XRoadError(Exception):
    """A failure with an X-Road error code.

    ``origin`` is ``None`` until a boundary attributes the fault; :meth:`fault_code` then gives
    the wire form. ``detail`` is a fresh UUID that the caller receives and the operator finds in
    the structured log line, so the two can be matched without leaking internals to the caller.
    """

    code: Code
    message: str
    origin: Origin | None = None
    detail: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def fault_code(self) -> str:
        """The dotted code as it appears on the wire, e.g. ``Client.InvalidSoap``."""
        if self.origin is None:
            return str(self.code)
        return f"{self.origin}.{self.code}"

    def attributed_to(self, origin: Origin) -> XRoadError:
        """Return this error with ``origin`` set, unless a more specific one was set already."""
        if self.origin is not None:
            return self
        return XRoadError(self.code, self.message, origin, self.detail)

    def __str__(self) -> str:
        return f"{self.fault_code}: {self.message}"
