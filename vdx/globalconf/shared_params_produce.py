"""Shared parameters to XML in the element order of shared-parameters.xsd v5 (or v6).

Members and subsystems get document-local ids ``id0``, ``id1``... in document order, as the
reference central server writes them; security servers refer to owners and clients by those ids
(common shared-parameters.xsd ``IDREF``), so every owner and client must be a listed member or
subsystem.
"""

from __future__ import annotations

from lxml import etree

from vdx import identifiers
from vdx.globalconf import _xml
from vdx.globalconf._xml import malformed
from vdx.globalconf.model import (
    ApprovedCa,
    CaInfo,
    CentralService,
    MemberClass,
    SecurityServer,
    SharedParameters,
)

SUPPORTED_VERSIONS = (5, 6)


def produce_shared_params(params: SharedParameters, version: int = 5) -> bytes:
    """Encode ``params`` as shared-params.xml of configuration ``version`` (5 or 6)."""
    if version not in SUPPORTED_VERSIONS:
        # V2-V4 are read (older peers publish them) but a VDX central server publishes V5/V6.
        raise ValueError(f"Shared parameters are produced in versions 5 and 6, not {version}")
    if not params.sources:  # v5 ``source`` has minOccurs 1
        raise malformed("Shared parameters need at least one configuration source")
    v6 = version == 6
    root = _xml.new_root("conf")
    _xml.add(root, "instanceIdentifier", params.instance)
    for source in params.sources:
        node = _xml.add(root, "source")
        _xml.add(node, "address", source.address)
        for cert in source.internal_verification_certs:
            _xml.add_b64(node, "internalVerificationCert", cert)
        for cert in source.external_verification_certs:
            _xml.add_b64(node, "externalVerificationCert", cert)
    for ca in params.approved_cas:
        _approved_ca(_xml.add(root, "approvedCA"), ca, v6)
    for tsa in params.approved_tsas:
        node = _xml.add(root, "approvedTSA")
        _xml.add(node, "name", tsa.name)
        _xml.add(node, "url", tsa.url)
        _xml.add_b64(node, "cert", tsa.cert)
        _optional(node, "costType", tsa.cost_type if v6 else None)
    ids = _members(root, params)
    for server in params.security_servers:
        _server(_xml.add(root, "securityServer"), server, ids)
    for group in params.global_groups:
        node = _xml.add(root, "globalGroup")
        _xml.add(node, "groupCode", group.code)
        _xml.add(node, "description", group.description)
        for member in group.members:
            node.append(identifiers.to_xml(member, "groupMember", _xml.NSMAP))
    for central in params.central_services:
        _central(_xml.add(root, "centralService"), central)
    settings = _xml.add(root, "globalSettings")
    for member_class in params.global_settings.member_classes:
        _member_class(_xml.add(settings, "memberClass"), member_class)
    _xml.add(settings, "ocspFreshnessSeconds", str(params.global_settings.ocsp_freshness_seconds))
    return _xml.serialize(root)


def _central(node: etree._Element, central: CentralService) -> None:
    _xml.add(node, "serviceCode", central.service_code)
    if central.implementing_service is not None:
        node.append(
            identifiers.to_xml(central.implementing_service, "implementingService", _xml.NSMAP)
        )


def _optional(parent: etree._Element, name: str, value: str | None) -> None:
    if value is not None:
        _xml.add(parent, name, value)


def _approved_ca(node: etree._Element, ca: ApprovedCa, v6: bool) -> None:
    _xml.add(node, "name", ca.name)
    if ca.authentication_only is not None:
        _xml.add(node, "authenticationOnly", "true" if ca.authentication_only else "false")
    _ca_info(_xml.add(node, "topCA"), ca.top_ca, v6)
    for intermediate in ca.intermediate_cas:
        _ca_info(_xml.add(node, "intermediateCA"), intermediate, v6)
    _xml.add(node, "certificateProfileInfo", ca.certificate_profile_info)
    _optional(node, "defaultCsrFormat", ca.default_csr_format if v6 else None)
    if ca.acme_server is not None:
        acme = _xml.add(node, "acmeServer")
        _xml.add(acme, "directoryURL", ca.acme_server.directory_url)
        _optional(acme, "ipAddress", ca.acme_server.ip_address)
        _optional(
            acme,
            "authenticationCertificateProfileId",
            ca.acme_server.authentication_certificate_profile_id,
        )
        _optional(
            acme, "signingCertificateProfileId", ca.acme_server.signing_certificate_profile_id
        )


def _server(
    node: etree._Element, server: SecurityServer, ids: dict[identifiers.ClientId, str]
) -> None:
    _xml.add(node, "owner", _id_of(ids, server.owner))
    _xml.add(node, "serverCode", server.server_code)
    _optional(node, "address", server.address)
    for digest in server.auth_cert_hashes:
        _xml.add_b64(node, "authCertHash", digest)
    for client in server.clients:
        _xml.add(node, "client", _id_of(ids, client))
    if server.in_maintenance_mode:
        maintenance = _xml.add(node, "inMaintenanceMode")
        _optional(maintenance, "message", server.maintenance_message)


def _ca_info(node: etree._Element, info: CaInfo, v6: bool) -> None:
    _xml.add_b64(node, "cert", info.cert)
    for ocsp in info.ocsp:
        child = _xml.add(node, "ocsp")
        _xml.add(child, "url", ocsp.url)
        if ocsp.cert is not None:
            _xml.add_b64(child, "cert", ocsp.cert)
        _optional(child, "costType", ocsp.cost_type if v6 else None)


def _member_class(node: etree._Element, member_class: MemberClass) -> None:
    _xml.add(node, "code", member_class.code)
    _xml.add(node, "description", member_class.description)


def _members(root: etree._Element, params: SharedParameters) -> dict[identifiers.ClientId, str]:
    ids: dict[identifiers.ClientId, str] = {}
    for member in params.members:
        node = _xml.add(root, "member")
        node.set("id", ids.setdefault(member.client_id(params.instance), f"id{len(ids)}"))
        _member_class(_xml.add(node, "memberClass"), member.member_class)
        _xml.add(node, "memberCode", member.code)
        _xml.add(node, "name", member.name)
        for sub in member.subsystems:
            child = _xml.add(node, "subsystem")
            child.set(
                "id", ids.setdefault(member.client_id(params.instance, sub.code), f"id{len(ids)}")
            )
            _xml.add(child, "subsystemCode", sub.code)
            if sub.name is not None:
                _xml.add(child, "subsystemName", sub.name)
    return ids


def _id_of(ids: dict[identifiers.ClientId, str], client: identifiers.ClientId) -> str:
    if client not in ids:
        raise malformed(f"{client} is not a member or subsystem listed in shared parameters")
    return ids[client]
