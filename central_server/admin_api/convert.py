"""Between the API's JSON and the registry's values: identifiers, certificates, responses.

Pure functions. Input problems raise :class:`ApiError` (rendered as JSON by the error
middleware), never anything carrying the raw input beyond a short excerpt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography import x509

from central_server.admin_api import schemas as s
from central_server.admin_api.errors import ApiError
from central_server.admin_api.keys import ApiKeyInfo
from central_server.registry import (
    AuditEntry,
    CaSpec,
    GlobalGroupInfo,
    IntermediateCaSpec,
    MemberInfo,
    OcspResponderSpec,
    SecurityServerInfo,
    TsaInfo,
)
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, SecurityServerId, parse_client, parse_security_server

# A certificate is a few KiB; 64 KiB leaves room for long chains of extensions.
MAX_CERTIFICATE_CHARS = 64 * 1024


def client_id(text: str, what: str = "client") -> ClientId:
    try:
        return parse_client(text, ":")
    except XRoadError as error:
        raise ApiError(400, "invalid", f"Bad {what} identifier: {error.message}") from None


def member_id(text: str) -> ClientId:
    found = client_id(text, "member")
    if found.subsystem_code is not None:
        raise ApiError(400, "invalid", "A member identifier has three parts: INSTANCE:CLASS:CODE")
    return found


def server_id(text: str) -> SecurityServerId:
    try:
        return parse_security_server(text, ":")
    except XRoadError as error:
        raise ApiError(400, "invalid", f"Bad security server identifier: {error.message}") from None


def certificate_bytes(text: str, what: str = "certificate") -> bytes:
    """PEM text as is, or the bytes of base64 DER; the registry checks it is a certificate."""
    if len(text) > MAX_CERTIFICATE_CHARS:
        raise ApiError(413, "too_large", f"The {what} is larger than {MAX_CERTIFICATE_CHARS} bytes")
    if text.lstrip().startswith("-----BEGIN"):
        return text.encode("ascii", errors="replace")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "invalid", f"The {what} is neither PEM nor base64 DER") from None


def hex_hash(text: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise ApiError(400, "invalid", "A certificate hash is hexadecimal") from None
    if len(value) != 32:
        raise ApiError(400, "invalid", "A certificate hash is SHA-256 (64 hex digits)")
    return value


def ca_spec(body: s.CaIn) -> CaSpec:
    def ocsp(items: list[s.OcspIn], what: str) -> tuple[OcspResponderSpec, ...]:
        return tuple(
            OcspResponderSpec(
                o.url,
                None if o.certificate is None else certificate_bytes(o.certificate, what),
            )
            for o in items
        )

    return CaSpec(
        name=body.name,
        top_ca_der=certificate_bytes(body.certificate, "CA certificate"),
        certificate_profile_info=body.certificate_profile_info,
        authentication_only=body.authentication_only,
        ocsp=ocsp(body.ocsp, "OCSP responder certificate"),
        intermediates=tuple(
            IntermediateCaSpec(
                certificate_bytes(i.certificate, "intermediate CA certificate"),
                ocsp(i.ocsp, "OCSP responder certificate"),
            )
            for i in body.intermediates
        ),
        csr_format=body.csr_format,
    )


# ----------------------------------------------------------------------------- responses


def certificate(der: bytes) -> s.Certificate:
    try:
        subject: str | None = x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except ValueError:
        subject = None
    return s.Certificate(
        der_base64=base64.b64encode(der).decode("ascii"),
        subject=subject,
        sha256=hashlib.sha256(der).hexdigest(),
    )


def member(info: MemberInfo) -> s.Member:
    return s.Member(
        id=info.client_id.to_colon(),
        member_class=info.client_id.member_class,
        member_code=info.client_id.member_code,
        name=info.name,
        subsystems=[
            s.Subsystem(
                id=f"{info.client_id.to_colon()}:{sub.code}",
                code=sub.code,
                name=sub.name,
            )
            for sub in info.subsystems
        ],
    )


def server(info: SecurityServerInfo) -> s.SecurityServer:
    return s.SecurityServer(
        id=info.server_id.to_colon(),
        owner=info.server_id.owner.to_colon(),
        server_code=info.server_id.server_code,
        address=info.address,
        auth_cert_hashes=[h.hex() for h in info.auth_cert_hashes],
        clients=[c.to_colon() for c in info.clients],
        disabled_clients=[c.to_colon() for c in info.disabled_clients],
        in_maintenance=info.in_maintenance,
        maintenance_message=info.maintenance_message,
    )


def group(info: GlobalGroupInfo) -> s.GlobalGroup:
    return s.GlobalGroup(
        code=info.code, description=info.description, members=[m.to_colon() for m in info.members]
    )


def _ocsp(items: tuple[OcspResponderSpec, ...]) -> list[s.Ocsp]:
    return [
        s.Ocsp(url=o.url, certificate=None if o.cert_der is None else certificate(o.cert_der))
        for o in items
    ]


def intermediate(info: IntermediateCaSpec) -> s.Intermediate:
    return s.Intermediate(certificate=certificate(info.cert_der), ocsp=_ocsp(info.ocsp))


def ca(info: CaSpec) -> s.Ca:
    return s.Ca(
        name=info.name,
        certificate=certificate(info.top_ca_der),
        certificate_profile_info=info.certificate_profile_info,
        authentication_only=info.authentication_only,
        csr_format=info.csr_format,
        ocsp=_ocsp(info.ocsp),
        intermediates=[intermediate(i) for i in info.intermediates],
    )


def tsa(info: TsaInfo) -> s.Tsa:
    return s.Tsa(
        name=info.name, url=info.url, priority=info.priority, certificate=certificate(info.cert_der)
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
