"""Shared parameters as typed values (pr-gconf Annex B, shared-parameters.xsd v2..v6).

One model covers every schema version: elements a version lacks are ``None`` or empty. The
members' XML ``id``/``IDREF`` links (security server owner and clients) are resolved to
:class:`~vdx.identifiers.ClientId` values, so nothing downstream sees document-local ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from vdx.identifiers import ClientId, GlobalGroupId, SecurityServerId, ServiceId


@dataclass(frozen=True, slots=True)
class ConfigurationSource:
    """A configuration source of this instance with its directory-signing certificates (v3+)."""

    address: str
    internal_verification_certs: tuple[bytes, ...] = ()
    external_verification_certs: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class OcspInfo:
    url: str
    cert: bytes | None = None
    cost_type: str | None = None  # v6: FREE / PAID / UNDEFINED


@dataclass(frozen=True, slots=True)
class CaInfo:
    cert: bytes
    ocsp: tuple[OcspInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class AcmeServer:
    directory_url: str
    ip_address: str | None = None
    authentication_certificate_profile_id: str | None = None
    signing_certificate_profile_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovedCa:
    name: str
    top_ca: CaInfo
    certificate_profile_info: str
    authentication_only: bool | None = None
    intermediate_cas: tuple[CaInfo, ...] = ()
    default_csr_format: str | None = None  # v6: PEM / DER
    acme_server: AcmeServer | None = None


@dataclass(frozen=True, slots=True)
class ApprovedTsa:
    name: str
    url: str
    cert: bytes
    cost_type: str | None = None  # v6


@dataclass(frozen=True, slots=True)
class MemberClass:
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class Subsystem:
    code: str
    name: str | None = None  # v5+


@dataclass(frozen=True, slots=True)
class Member:
    member_class: MemberClass
    code: str
    name: str
    subsystems: tuple[Subsystem, ...] = ()

    def client_id(self, instance: str, subsystem: str | None = None) -> ClientId:
        return ClientId(instance, self.member_class.code, self.code, subsystem)


@dataclass(frozen=True, slots=True)
class SecurityServer:
    owner: ClientId
    server_code: str
    address: str | None = None
    auth_cert_hashes: tuple[bytes, ...] = ()
    clients: tuple[ClientId, ...] = ()
    in_maintenance_mode: bool = False  # v5+
    maintenance_message: str | None = None

    @property
    def server_id(self) -> SecurityServerId:
        return SecurityServerId(self.owner, self.server_code)


@dataclass(frozen=True, slots=True)
class GlobalGroup:
    code: str
    description: str
    members: tuple[ClientId, ...] = ()

    def group_id(self, instance: str) -> GlobalGroupId:
        return GlobalGroupId(instance, self.code)


@dataclass(frozen=True, slots=True)
class CentralService:
    service_code: str
    implementing_service: ServiceId | None = None


@dataclass(frozen=True, slots=True)
class GlobalSettings:
    ocsp_freshness_seconds: int
    member_classes: tuple[MemberClass, ...] = ()


@dataclass(frozen=True, slots=True)
class SharedParameters:
    instance: str
    global_settings: GlobalSettings
    sources: tuple[ConfigurationSource, ...] = ()
    approved_cas: tuple[ApprovedCa, ...] = ()
    approved_tsas: tuple[ApprovedTsa, ...] = ()
    members: tuple[Member, ...] = ()
    security_servers: tuple[SecurityServer, ...] = ()
    global_groups: tuple[GlobalGroup, ...] = ()
    central_services: tuple[CentralService, ...] = ()

    def verification_certs(self, internal: bool) -> tuple[bytes, ...]:
        """Directory-signing certificates of all sources (internal or external directory)."""
        found: dict[bytes, None] = {}
        for source in self.sources:
            certs = (
                source.internal_verification_certs
                if internal
                else source.external_verification_certs
            )
            for cert in certs:
                found.setdefault(cert, None)
        return tuple(found)

    def security_server(self, server_id: SecurityServerId) -> SecurityServer | None:
        return next((s for s in self.security_servers if s.server_id == server_id), None)
