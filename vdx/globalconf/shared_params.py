"""Shared parameters (pr-gconf §2.5 SHARED-PARAMETERS, Annex B): parse v2..v6, produce v5/v6.

Parsing is by element name and tolerant of the version: the reference central server writes
elements of later schemas into earlier versions (the V3 vector carries ``acmeServer``), and the
schema ends the sequence with ``<any processContents="lax">``, so unknown elements are skipped.
Production follows the element order of shared-parameters.xsd v5 (``version=6`` adds the v6
``costType`` and ``defaultCsrFormat`` elements).
"""

from __future__ import annotations

from lxml import etree

from vdx import identifiers, xmlsafe
from vdx.errors import XRoadError
from vdx.globalconf import _xml
from vdx.globalconf._xml import malformed
from vdx.globalconf.model import (
    AcmeServer,
    ApprovedCa,
    ApprovedTsa,
    CaInfo,
    CentralService,
    ConfigurationSource,
    GlobalGroup,
    GlobalSettings,
    Member,
    MemberClass,
    OcspInfo,
    SecurityServer,
    SharedParameters,
    Subsystem,
)
from vdx.globalconf.shared_params_produce import produce_shared_params

__all__ = ["SharedParameters", "parse_shared_params", "produce_shared_params"]


def parse_shared_params(data: bytes) -> SharedParameters:
    """Parse a shared-params.xml, or raise ``MalformedGlobalConf``."""
    root = _xml.parse_root(data, "conf", "Shared parameters")
    try:
        return _parse(root)
    except XRoadError as error:
        raise malformed(f"Shared parameters: {error.message}") from None


def _parse(root: etree._Element) -> SharedParameters:
    instance = _xml.text(root, "instanceIdentifier")
    members: list[Member] = []
    by_id: dict[str, identifiers.ClientId] = {}
    for node in _xml.children(root, "member"):
        member = _member(node)
        members.append(member)
        _link(by_id, node, member.client_id(instance))
        for sub_node, sub in zip(_xml.children(node, "subsystem"), member.subsystems, strict=True):
            _link(by_id, sub_node, member.client_id(instance, sub.code))
    return SharedParameters(
        instance=instance,
        global_settings=_global_settings(_xml.required(root, "globalSettings")),
        sources=tuple(_source(n) for n in _xml.children(root, "source")),
        approved_cas=tuple(_approved_ca(n) for n in _xml.children(root, "approvedCA")),
        approved_tsas=tuple(_approved_tsa(n) for n in _xml.children(root, "approvedTSA")),
        members=tuple(members),
        security_servers=tuple(_server(n, by_id) for n in _xml.children(root, "securityServer")),
        global_groups=tuple(_group(n) for n in _xml.children(root, "globalGroup")),
        central_services=tuple(_central(n) for n in _xml.children(root, "centralService")),
    )


def _link(
    by_id: dict[str, identifiers.ClientId], node: etree._Element, client: identifiers.ClientId
) -> None:
    xml_id = node.get("id")
    if xml_id is not None:
        if xml_id in by_id:
            raise malformed(f"Duplicate id {xml_id!r:.40}")
        by_id[xml_id] = client


def _ref(by_id: dict[str, identifiers.ClientId], node: etree._Element) -> identifiers.ClientId:
    key = xmlsafe.text_of(node).strip()
    if key not in by_id:
        raise malformed(f"Reference {key!r:.40} names no member or subsystem")
    return by_id[key]


def _source(node: etree._Element) -> ConfigurationSource:
    return ConfigurationSource(
        address=_xml.text(node, "address"),
        internal_verification_certs=tuple(
            _xml.b64(n) for n in _xml.children(node, "internalVerificationCert")
        ),
        external_verification_certs=tuple(
            _xml.b64(n) for n in _xml.children(node, "externalVerificationCert")
        ),
    )


def _ca_info(node: etree._Element) -> CaInfo:
    ocsp = tuple(
        OcspInfo(
            url=_xml.text(n, "url"),
            cert=_xml.b64(cert) if (cert := _xml.optional(n, "cert")) is not None else None,
            cost_type=_xml.optional_text(n, "costType"),
        )
        for n in _xml.children(node, "ocsp")
    )
    return CaInfo(cert=_xml.b64(_xml.required(node, "cert")), ocsp=ocsp)


def _approved_ca(node: etree._Element) -> ApprovedCa:
    auth_only = _xml.optional_text(node, "authenticationOnly")
    acme = _xml.optional(node, "acmeServer")
    return ApprovedCa(
        name=_xml.text(node, "name"),
        top_ca=_ca_info(_xml.required(node, "topCA")),
        certificate_profile_info=_xml.text(node, "certificateProfileInfo"),
        authentication_only=_xml.boolean(auth_only) if auth_only is not None else None,
        intermediate_cas=tuple(_ca_info(n) for n in _xml.children(node, "intermediateCA")),
        default_csr_format=_xml.optional_text(node, "defaultCsrFormat"),
        acme_server=None
        if acme is None
        else AcmeServer(
            directory_url=_xml.text(acme, "directoryURL"),
            ip_address=_xml.optional_text(acme, "ipAddress"),
            authentication_certificate_profile_id=_xml.optional_text(
                acme, "authenticationCertificateProfileId"
            ),
            signing_certificate_profile_id=_xml.optional_text(acme, "signingCertificateProfileId"),
        ),
    )


def _approved_tsa(node: etree._Element) -> ApprovedTsa:
    return ApprovedTsa(
        name=_xml.text(node, "name"),
        url=_xml.text(node, "url"),
        cert=_xml.b64(_xml.required(node, "cert")),
        cost_type=_xml.optional_text(node, "costType"),
    )


def _member_class(node: etree._Element) -> MemberClass:
    return MemberClass(_xml.text(node, "code"), _xml.text(node, "description"))


def _member(node: etree._Element) -> Member:
    return Member(
        member_class=_member_class(_xml.required(node, "memberClass")),
        code=_xml.text(node, "memberCode"),
        name=_xml.text(node, "name"),
        subsystems=tuple(
            Subsystem(_xml.text(n, "subsystemCode"), _xml.optional_text(n, "subsystemName"))
            for n in _xml.children(node, "subsystem")
        ),
    )


def _server(node: etree._Element, by_id: dict[str, identifiers.ClientId]) -> SecurityServer:
    maintenance = _xml.optional(node, "inMaintenanceMode")
    return SecurityServer(
        owner=_ref(by_id, _xml.required(node, "owner")),
        server_code=_xml.text(node, "serverCode"),
        address=_xml.optional_text(node, "address"),
        auth_cert_hashes=tuple(_xml.b64(n) for n in _xml.children(node, "authCertHash")),
        clients=tuple(_ref(by_id, n) for n in _xml.children(node, "client")),
        in_maintenance_mode=maintenance is not None,
        maintenance_message=None
        if maintenance is None
        else _xml.optional_text(maintenance, "message"),
    )


def _group(node: etree._Element) -> GlobalGroup:
    return GlobalGroup(
        code=_xml.text(node, "groupCode"),
        description=_xml.text(node, "description"),
        members=tuple(identifiers.client_from_xml(n) for n in _xml.children(node, "groupMember")),
    )


def _central(node: etree._Element) -> CentralService:
    implementing = _xml.optional(node, "implementingService")
    return CentralService(
        service_code=_xml.text(node, "serviceCode"),
        implementing_service=None
        if implementing is None
        else identifiers.service_from_xml(implementing),
    )


def _global_settings(node: etree._Element) -> GlobalSettings:
    return GlobalSettings(
        ocsp_freshness_seconds=_xml.integer(node, "ocspFreshnessSeconds"),
        member_classes=tuple(_member_class(n) for n in _xml.children(node, "memberClass")),
    )
