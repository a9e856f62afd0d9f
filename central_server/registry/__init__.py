"""The central server's registry: members, servers, groups, trust services, audit log."""

from central_server.registry.errors import ErrorCode, RegistryError
from central_server.registry.model import (
    AuditEntry,
    CaSpec,
    GlobalGroupInfo,
    IntermediateCaSpec,
    MemberClassInfo,
    MemberInfo,
    OcspResponderSpec,
    SecurityServerInfo,
    SubsystemInfo,
    TsaInfo,
)
from central_server.registry.service import RegistryService
from central_server.registry.validation import OWNERS_GROUP, SYSTEM_PARAMETERS

__all__ = [
    "OWNERS_GROUP",
    "SYSTEM_PARAMETERS",
    "AuditEntry",
    "CaSpec",
    "ErrorCode",
    "GlobalGroupInfo",
    "IntermediateCaSpec",
    "MemberClassInfo",
    "MemberInfo",
    "OcspResponderSpec",
    "RegistryError",
    "RegistryService",
    "SecurityServerInfo",
    "SubsystemInfo",
    "TsaInfo",
]
