"""The JSON bodies of the admin REST API as pydantic models.

The same models validate request bodies, shape responses and give the OpenAPI document its
schemas (:mod:`central_server.admin_api.openapi`), so the three cannot drift apart.
Identifiers use the ``:`` form (``EE:GOV:1234:SUB``); certificates are sent as PEM text or
base64 DER and returned as base64 DER.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


Text = Field(min_length=1, max_length=1024)
Code = Field(min_length=1, max_length=255)
CertText = Field(description="PEM text or base64 DER", min_length=1)

# ----------------------------------------------------------------------------- requests


class InstanceIn(_In):
    instance_identifier: str = Code


class MemberClassIn(_In):
    code: str = Code
    description: str = Text


class MemberClassPatch(_In):
    description: str = Text


class MemberIn(_In):
    id: str = Field(description="Member identifier INSTANCE:CLASS:CODE", examples=["EE:GOV:1234"])
    name: str = Text


class MemberPatch(_In):
    name: str = Text


class SubsystemIn(_In):
    code: str = Code
    name: str | None = Field(default=None, min_length=1, max_length=1024)


class SecurityServerIn(_In):
    id: str = Field(description="INSTANCE:CLASS:CODE:SERVERCODE", examples=["EE:GOV:1234:SS1"])
    address: str = Code


class SecurityServerPatch(_In):
    address: str | None = Field(default=None, min_length=1, max_length=255)
    maintenance: bool | None = None
    maintenance_message: str | None = Field(default=None, min_length=1, max_length=1024)


class CertificateIn(_In):
    certificate: str = CertText


class ClientRef(_In):
    client: str = Field(description="Member or subsystem identifier", examples=["EE:GOV:1234:SUB"])


class GlobalGroupIn(_In):
    code: str = Code
    description: str = Text


class OcspIn(_In):
    url: str = Text
    certificate: str | None = Field(default=None, description="Delegated responder certificate")


class IntermediateIn(_In):
    certificate: str = CertText
    ocsp: list[OcspIn] = Field(default_factory=list, max_length=20)


class CaIn(_In):
    name: str = Code
    certificate: str = CertText
    certificate_profile_info: str = Code
    authentication_only: bool = False
    csr_format: Literal["PEM", "DER"] | None = None
    ocsp: list[OcspIn] = Field(default_factory=list, max_length=20)
    intermediates: list[IntermediateIn] = Field(default_factory=list, max_length=20)


class TsaIn(_In):
    name: str = Code
    url: str = Text
    certificate: str = CertText
    priority: int = Field(default=0, ge=0, le=1_000_000)


class SystemParameterIn(_In):
    value: int


class ApiKeyIn(_In):
    name: str = Field(min_length=1, max_length=64)
    roles: list[str] = Field(min_length=1, max_length=3)


# ---------------------------------------------------------------------------- responses


class ErrorDetail(_Out):
    code: str
    message: str


class Error(_Out):
    status: int
    error: ErrorDetail


class Instance(_Out):
    instance_identifier: str | None


class MemberClass(_Out):
    code: str
    description: str


class Subsystem(_Out):
    id: str
    code: str
    name: str | None


class Member(_Out):
    id: str
    member_class: str
    member_code: str
    name: str
    subsystems: list[Subsystem]


class SecurityServer(_Out):
    id: str
    owner: str
    server_code: str
    address: str | None
    auth_cert_hashes: list[str] = Field(description="SHA-256 of each certificate, hex")
    clients: list[str]
    disabled_clients: list[str] = Field(
        default_factory=list, description="Registered but disabled (clientDisable)"
    )
    in_maintenance: bool
    maintenance_message: str | None


class AuthCert(_Out):
    hash: str = Field(description="SHA-256 of the certificate's DER, hex (authCertHash)")


class GlobalGroup(_Out):
    code: str
    description: str
    members: list[str]


class Certificate(_Out):
    der_base64: str
    subject: str | None
    sha256: str


class Ocsp(_Out):
    url: str
    certificate: Certificate | None


class Intermediate(_Out):
    certificate: Certificate
    ocsp: list[Ocsp]


class Ca(_Out):
    name: str
    certificate: Certificate
    certificate_profile_info: str
    authentication_only: bool
    csr_format: str | None
    ocsp: list[Ocsp]
    intermediates: list[Intermediate]


class Tsa(_Out):
    name: str
    url: str
    priority: int
    certificate: Certificate


class SystemParameters(_Out):
    parameters: dict[str, int]


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
    key: str = Field(description="The API key; shown this once, only its hash is stored")
    api_key: ApiKey


class ConfStatus(_Out):
    available: bool
    generated_at: dt.datetime | None = None
    expire_date: dt.datetime | None = None
    expired: bool | None = None
    versions: list[int] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)


class ManagementRequest(_Out):
    id: int
    type: str
    state: str
    origin: str
    server: str
    client: str | None
    address: str | None
    subsystem_name: str | None
    message_id: str
    signer: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None


class RejectIn(_In):
    reason: str = Field(default="", max_length=1024)


class SigningKeyIn(_In):
    source: Literal["internal", "external"]


class SigningKey(_Out):
    key_id: str
    source: Literal["internal", "external"]
    token_id: str
    state: Literal["announced", "active", "retired"] = Field(
        description="announced: listed for verification, not signing yet; active: signs"
    )
    cert_hash: str = Field(description="SHA-256 of the certificate's DER, hex")
    certificate: str = Field(description="Self-signed certificate, base64 DER")
    created_at: dt.datetime
    activated_at: dt.datetime | None


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    InstanceIn,
    MemberClassIn,
    MemberClassPatch,
    MemberIn,
    MemberPatch,
    SubsystemIn,
    SecurityServerIn,
    SecurityServerPatch,
    CertificateIn,
    ClientRef,
    GlobalGroupIn,
    CaIn,
    TsaIn,
    SystemParameterIn,
    ApiKeyIn,
    RejectIn,
    SigningKeyIn,
)
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Error,
    SigningKey,
    Instance,
    MemberClass,
    Member,
    SecurityServer,
    AuthCert,
    GlobalGroup,
    Ca,
    Tsa,
    SystemParameters,
    AuditEntry,
    ApiKey,
    ApiKeyCreated,
    ConfStatus,
    ManagementRequest,
)
