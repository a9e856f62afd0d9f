"""Private parameters (pr-gconf §2.5 PRIVATE-PARAMETERS, Annex C): model, parse, produce.

The schema has been the same from v2 to the current v3 (``PrivateParametersTypeV3``): the
instance, anchors of further configuration sources (federation, pr-gconf §3.2-§3.4), the
management service, and the timestamping interval. Production follows private-parameters.xsd v3.
"""

from __future__ import annotations

from dataclasses import dataclass

from vdx import identifiers
from vdx.errors import XRoadError
from vdx.globalconf import _xml
from vdx.globalconf._xml import malformed
from vdx.globalconf.anchor import ConfigurationAnchor, anchor_from_element, anchor_to_element


@dataclass(frozen=True, slots=True)
class ManagementService:
    auth_cert_reg_service_address: str
    management_request_service_provider_id: identifiers.ClientId
    auth_cert_reg_service_cert: bytes | None = None


@dataclass(frozen=True, slots=True)
class PrivateParameters:
    instance: str
    management_service: ManagementService
    time_stamping_interval_seconds: int
    configuration_anchors: tuple[ConfigurationAnchor, ...] = ()


def parse_private_params(data: bytes) -> PrivateParameters:
    """Parse a private-params.xml, or raise ``MalformedGlobalConf``."""
    root = _xml.parse_root(data, "conf", "Private parameters")
    try:
        service = _xml.required(root, "managementService")
        cert = _xml.optional(service, "authCertRegServiceCert")
        return PrivateParameters(
            instance=_xml.text(root, "instanceIdentifier"),
            management_service=ManagementService(
                auth_cert_reg_service_address=_xml.text(service, "authCertRegServiceAddress"),
                management_request_service_provider_id=identifiers.client_from_xml(
                    _xml.required(service, "managementRequestServiceProviderId")
                ),
                auth_cert_reg_service_cert=None if cert is None else _xml.b64(cert),
            ),
            time_stamping_interval_seconds=_xml.integer(root, "timeStampingIntervalSeconds"),
            configuration_anchors=tuple(
                anchor_from_element(node) for node in _xml.children(root, "configurationAnchor")
            ),
        )
    except XRoadError as error:
        raise malformed(f"Private parameters: {error.message}") from None


def produce_private_params(params: PrivateParameters) -> bytes:
    """Encode ``params`` as private-params.xml (private-parameters.xsd v3 element order)."""
    root = _xml.new_root("conf")
    _xml.add(root, "instanceIdentifier", params.instance)
    for anchor in params.configuration_anchors:
        anchor_to_element(anchor, _xml.add(root, "configurationAnchor"))
    service = _xml.add(root, "managementService")
    management = params.management_service
    _xml.add(service, "authCertRegServiceAddress", management.auth_cert_reg_service_address)
    if management.auth_cert_reg_service_cert is not None:
        _xml.add_b64(service, "authCertRegServiceCert", management.auth_cert_reg_service_cert)
    service.append(
        identifiers.to_xml(
            management.management_request_service_provider_id,
            "managementRequestServiceProviderId",
            _xml.NSMAP,
        )
    )
    _xml.add(root, "timeStampingIntervalSeconds", str(params.time_stamping_interval_seconds))
    return _xml.serialize(root)
