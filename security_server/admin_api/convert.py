"""Between the API's JSON and the server configuration's values: identifiers and responses.

Pure functions. Input problems raise :class:`ApiError` (rendered as JSON by the error
middleware), never anything carrying the raw input beyond a short excerpt.
"""

from __future__ import annotations

import hashlib

from cryptography import x509

from security_server.admin_api import schemas as s
from security_server.admin_api.errors import ApiError
from security_server.admin_api.keys import ApiKeyInfo
from security_server.serverconf.model import (
    AccessRightInfo,
    AuditEntry,
    ClientInfo,
    DescriptionInfo,
    LocalGroupInfo,
    RefreshDiff,
    ServiceInfo,
    Subject,
)
from vdx.errors import XRoadError
from vdx.identifiers import (
    ClientId,
    GlobalGroupId,
    LocalGroupId,
    ServiceId,
    parse_client,
    parse_service,
)

GLOBAL_GROUP = "globalgroup:"
LOCAL_GROUP = "localgroup:"
_SUBSYSTEM_SERVICE_WITH_VERSION = 6  # INST:CLASS:CODE:SUB:SERVICECODE:VERSION


def _bad(what: str, error: XRoadError) -> ApiError:
    return ApiError(400, "invalid", f"Bad {what} identifier: {error.message}")


def client_id(text: str, what: str = "client") -> ClientId:
    try:
        return parse_client(text, ":")
    except XRoadError as error:
        raise _bad(what, error) from None


def member_id(text: str) -> ClientId:
    found = client_id(text, "member")
    if found.subsystem_code is not None:
        raise ApiError(400, "invalid", "A member identifier has three parts: INSTANCE:CLASS:CODE")
    return found


def service_id(text: str) -> ServiceId:
    """``INST:CLASS:CODE[:SUB]:SERVICECODE[.VERSION]`` (the form responses use), or the
    contract's ``INST:CLASS:CODE:SUB:SERVICECODE:VERSION``."""
    try:
        parts = text.split(":")
        if len(parts) == _SUBSYSTEM_SERVICE_WITH_VERSION:
            return ServiceId(ClientId(*parts[:4]), parts[4], parts[5])
        return parse_service(text, ":")
    except XRoadError as error:
        raise _bad("service", error) from None


def subject(text: str) -> Subject:
    """An access-right subject: a client, ``globalgroup:INST:CODE`` or ``localgroup:CODE``."""
    lowered = text.lower()
    try:
        if lowered.startswith(GLOBAL_GROUP):
            instance, sep, code = text[len(GLOBAL_GROUP) :].partition(":")
            if not sep:
                raise ApiError(400, "invalid", "A global group is globalgroup:INSTANCE:CODE")
            return GlobalGroupId(instance, code)
        if lowered.startswith(LOCAL_GROUP):
            return LocalGroupId(text[len(LOCAL_GROUP) :])
    except XRoadError as error:
        raise _bad("subject", error) from None
    return client_id(text, "subject")


def subject_text(value: Subject) -> str:
    if isinstance(value, GlobalGroupId):
        return GLOBAL_GROUP + value.to_colon()
    if isinstance(value, LocalGroupId):
        return LOCAL_GROUP + value.group_code
    return value.to_colon()


def cert_hash(text: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise ApiError(400, "invalid", "A certificate hash is hexadecimal") from None
    if len(value) != hashlib.sha256().digest_size:
        raise ApiError(400, "invalid", "A certificate hash is SHA-256 (64 hex digits)")
    return value


def client(info: ClientInfo) -> s.Client:
    cid = info.client_id
    return s.Client(
        id=cid.to_colon(),
        member_class=cid.member_class,
        member_code=cid.member_code,
        subsystem_code=cid.subsystem_code,
        state=str(info.state),
        connection_type=info.connection_type.value,
    )


def tls_certificate(der: bytes) -> s.TlsCertificate:
    digest = hashlib.sha256(der).hexdigest()
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:  # stored by the service layer after parsing; kept safe anyway
        return s.TlsCertificate(sha256=digest)
    return s.TlsCertificate(
        sha256=digest, subject=cert.subject.rfc4514_string(), not_after=cert.not_valid_after_utc
    )


def service(info: ServiceInfo) -> s.Service:
    sid = info.service_id
    return s.Service(
        id=sid.to_colon(),
        service_code=sid.service_code,
        service_version=sid.service_version,
        description_id=info.description_id,
        url=info.url,
        timeout=info.timeout,
        tls_verify=info.tls_verify,
        title=info.title,
        endpoints=[
            s.Endpoint(method=e.method, path=e.path, generated=e.generated) for e in info.endpoints
        ],
    )


def description(info: DescriptionInfo, diff: RefreshDiff | None = None) -> s.Description:
    return s.Description(
        id=info.id,
        client=info.client_id.to_colon(),
        type=info.kind.value,
        url=info.url,
        disabled=info.disabled,
        disabled_notice=info.disabled_notice,
        refreshed_at=info.refreshed_at,
        services=[service(x) for x in info.services],
        changes=None
        if diff is None
        else s.Changes(added=list(diff.added), removed=list(diff.removed)),
    )


def access_right(info: AccessRightInfo) -> s.AccessRight:
    return s.AccessRight(
        service=info.service_id.to_colon(),
        subject=subject_text(info.subject),
        method=info.endpoint.method,
        path=info.endpoint.path,
        granted_at=info.granted_at,
    )


def local_group(info: LocalGroupInfo) -> s.LocalGroup:
    return s.LocalGroup(
        code=info.code,
        description=info.description,
        members=[m.to_colon() for m in info.members],
    )


def audit(entry: AuditEntry) -> s.AuditEntry:
    return s.AuditEntry(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        target=entry.target,
        details=entry.details,
    )


def api_key(info: ApiKeyInfo) -> s.ApiKey:
    return s.ApiKey(
        id=info.id,
        name=info.name,
        roles=sorted(r.value for r in info.roles),
        created_at=info.created_at,
        revoked_at=info.revoked_at,
    )
