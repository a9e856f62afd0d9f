"""The JSON bodies of the admin REST API as pydantic models.

The same models validate request bodies, shape the server-configuration responses and give the
OpenAPI document its schemas (:mod:`security_server.admin_api.openapi`). The onboarding
responses are rendered by the onboarding values' own ``to_json`` (ss-admin contract §1); their
models here document them, and the tests check the two agree.

Identifiers use the ``:`` form: client ``INST:CLASS:CODE[:SUB]``, service
``INST:CLASS:CODE[:SUB]:SERVICECODE[.VERSION]``; access-right subjects are a client,
``globalgroup:INST:CODE`` or ``localgroup:CODE``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ConnectionTypeName = Literal["HTTP", "HTTPS_NO_AUTH", "HTTPS"]
UsageName = Literal["auth", "sign"]


class _In(BaseModel):
    # Strict: "true" is not a boolean and 1.5 not a timeout.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Code = Field(min_length=1, max_length=255)
Text = Field(min_length=1, max_length=1024)
Pin = Field(min_length=1, max_length=256, description="The token PIN (never stored)")
ClientText = Field(
    min_length=5, max_length=1100, description="INST:CLASS:CODE[:SUB]", examples=["VN:GOV:0101"]
)

# ----------------------------------------------------------------------------- requests


class InitializeIn(_In):
    owner_member_class: str = Code
    owner_member_code: str = Code
    server_code: str = Code
    pin: str = Pin


class LoginIn(_In):
    pin: str = Pin


class KeyIn(_In):
    usage: UsageName
    label: str = Field(max_length=255)
    algorithm: str = Field(default="RSA2048", max_length=32, examples=["RSA2048"])


class CsrIn(_In):
    member: str | None = Field(
        default=None, max_length=1100, description="Sign keys: the member INST:CLASS:CODE"
    )


class RegisterCertIn(_In):
    address: str = Field(min_length=1, max_length=255, description="Host name or IP of this server")


class ClientIn(_In):
    id: str = ClientText
    connection_type: ConnectionTypeName | None = None


class ClientPatch(_In):
    connection_type: ConnectionTypeName


class DescriptionIn(_In):
    type: Literal["WSDL", "OPENAPI3", "REST"]
    url: str = Field(min_length=1, max_length=1024, description="Downloaded for WSDL/OPENAPI3")
    service_code: str | None = Field(
        default=None, min_length=1, max_length=255, description="OPENAPI3 and REST: required"
    )
    service_url: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description="OPENAPI3: the service's base URL when the document names none",
    )


class DisableIn(_In):
    notice: str | None = Field(default=None, min_length=1, max_length=1024)


class ServicePatch(_In):
    url: str | None = Field(default=None, min_length=1, max_length=1024)
    timeout: int | None = Field(default=None, description="Seconds, 1..86400")
    tls_verify: bool | None = None


class EndpointIn(_In):
    method: str = Field(min_length=1, max_length=16, examples=["GET", "*"])
    path: str = Field(min_length=1, max_length=1024, examples=["/pets/*", "**"])


class AccessRightIn(_In):
    subject: str = Field(
        min_length=1,
        max_length=1100,
        description="INST:CLASS:CODE[:SUB], globalgroup:INST:CODE or localgroup:CODE",
    )
    method: str | None = Field(default=None, min_length=1, max_length=16)
    path: str | None = Field(default=None, min_length=1, max_length=1024)


class LocalGroupIn(_In):
    code: str = Code
    description: str = Text


class LocalGroupPatch(_In):
    description: str = Text


class GroupMemberIn(_In):
    member: str = ClientText


class ApiKeyIn(_In):
    name: str = Field(min_length=1, max_length=64)
    roles: list[str] = Field(min_length=1, max_length=5)


# ---------------------------------------------------------------------------- responses


class ErrorDetail(_Out):
    code: str
    message: str


class Error(_Out):
    status: int
    error: ErrorDetail


class TokenState(_Out):
    id: str
    initialized: bool
    logged_in: bool


class GlobalConfState(_Out):
    ok: bool
    reason: str | None
    expires: dt.datetime | None


class SystemStatus(_Out):
    initialized: bool
    server: str | None = Field(description="INST:CLASS:CODE:SERVERCODE")
    owner: str | None
    instance: str
    token: TokenState
    globalconf: GlobalConfState


class ConfClientError(_Out):
    code: str
    message: str
    at: dt.datetime | None


class ConfClientStatus(_Out):
    healthy: bool
    reason: str | None
    instance: str | None
    version: int | None
    source_url: str | None
    expire_date: dt.datetime | None
    seconds_to_expiry: float | None
    last_success: dt.datetime | None
    last_attempt: dt.datetime | None
    last_error: ConfClientError | None
    consecutive_failures: int


class CertInfo(_Out):
    id: str = Field(description="SHA-256 of the certificate's DER, hex")
    key_id: str
    usage: UsageName
    status: str
    ocsp_status: str
    active: bool
    subject: str
    issuer: str
    serial: str = Field(description="Decimal, as text")
    not_after: dt.datetime
    member: str | None
    sha256: str


class KeyInfo(_Out):
    id: str
    label: str
    usage: UsageName
    algorithm: str
    certificates: list[CertInfo]


class TokenInfo(_Out):
    id: str
    logged_in: bool
    keys: list[KeyInfo]


class ManagementRequest(_Out):
    request_id: int = Field(description="The request's id at the central server")
    type: str = Field(examples=["authCertReg", "clientReg"])
    sent_to: str


class Client(_Out):
    id: str
    member_class: str
    member_code: str
    subsystem_code: str | None
    state: str
    connection_type: ConnectionTypeName


class TlsCertificate(_Out):
    sha256: str
    subject: str | None = None
    not_after: dt.datetime | None = None


class Endpoint(_Out):
    method: str
    path: str
    generated: bool


class Service(_Out):
    id: str = Field(description="INST:CLASS:CODE[:SUB]:SERVICECODE[.VERSION]")
    service_code: str
    service_version: str | None
    description_id: int
    url: str
    timeout: int
    tls_verify: bool
    title: str | None
    endpoints: list[Endpoint]


class Changes(_Out):
    added: list[str]
    removed: list[str]


class Description(_Out):
    id: int
    client: str
    type: Literal["WSDL", "OPENAPI3", "REST"]
    url: str
    disabled: bool
    disabled_notice: str | None
    refreshed_at: dt.datetime
    services: list[Service]
    changes: Changes | None = Field(default=None, description="What a refresh changed")


class AccessRight(_Out):
    service: str
    subject: str
    method: str
    path: str
    granted_at: dt.datetime


class LocalGroup(_Out):
    code: str
    description: str
    members: list[str]


class AuditEntry(_Out):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


class ApiKey(_Out):
    id: int
    name: str
    roles: list[str]
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreated(_Out):
    id: int
    name: str
    roles: list[str]
    created_at: dt.datetime
    key: str = Field(description="The API key; shown this once, only its hash is stored")


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    InitializeIn,
    LoginIn,
    KeyIn,
    CsrIn,
    RegisterCertIn,
    ClientIn,
    ClientPatch,
    DescriptionIn,
    DisableIn,
    ServicePatch,
    EndpointIn,
    AccessRightIn,
    LocalGroupIn,
    LocalGroupPatch,
    GroupMemberIn,
    ApiKeyIn,
)
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Error,
    SystemStatus,
    ConfClientStatus,
    CertInfo,
    KeyInfo,
    TokenInfo,
    ManagementRequest,
    Client,
    TlsCertificate,
    Endpoint,
    Service,
    Description,
    AccessRight,
    LocalGroup,
    AuditEntry,
    ApiKey,
    ApiKeyCreated,
)
