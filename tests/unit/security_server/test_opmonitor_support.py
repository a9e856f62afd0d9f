"""Helpers of the operational monitoring tests (no tests here): the reference XSD, request
builders and a record factory."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from security_server.opmonitor.model import OpRecord, SecurityServerType, party_fields
from tests import vectors
from vdx.identifiers import NS_ID, ClientId, SecurityServerId, ServiceId, to_xml
from vdx.message.opmonitoring import NS_OPMON

# WS-I Attachments Profile 1.0 swaref.xsd: swaRef is an anyURI. The reference ships the file
# next to op-monitoring.xsd; the vectors folder does not, so the tests write it.
_SWAREF = b"""<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    targetNamespace="http://ws-i.org/profiles/basic/1.1/xsd">
  <xsd:simpleType name="swaRef"><xsd:restriction base="xsd:anyURI"/></xsd:simpleType>
</xsd:schema>
"""

CONSUMER = ClientId("VN", "GOV", "1001", "CONSUMER")
PROVIDER = ClientId("VN", "GOV", "2002", "PROVIDER")
OWNER = ClientId("VN", "GOV", "2002")
MONITORING = ClientId("VN", "GOV", "9999", "MONITOR")
SERVICE = ServiceId(PROVIDER, "getPerson", "v1")


def op_schema(folder: Path) -> etree.XMLSchema:
    """``op-monitoring.xsd`` of the reference vectors, with its imports, compiled."""
    source = vectors.require_dir() / "schemas"
    for name in ("op-monitoring.xsd", "identifiers.xsd"):
        shutil.copy(source / name, folder / name)
    (folder / "swaref.xsd").write_bytes(_SWAREF)
    return etree.XMLSchema(etree.parse(str(folder / "op-monitoring.xsd")))


def _om(name: str) -> str:
    return f"{{{NS_OPMON}}}{name}"


def operational_request(
    records_from: int | str,
    records_to: int | str,
    client: ClientId | None = None,
    fields: Sequence[str] | None = None,
) -> etree._Element:
    root = etree.Element(_om("getSecurityServerOperationalData"), nsmap={"om": NS_OPMON})
    criteria = etree.SubElement(root, _om("searchCriteria"))
    etree.SubElement(criteria, _om("recordsFrom")).text = str(records_from)
    etree.SubElement(criteria, _om("recordsTo")).text = str(records_to)
    if client is not None:
        criteria.append(to_xml(client, _om("client"), {"id": NS_ID}))
    if fields is not None:
        spec = etree.SubElement(root, _om("outputSpec"))
        for name in fields:
            etree.SubElement(spec, _om("outputField")).text = name
    return root


def health_request(client: ClientId | None = None, *, empty_filter: bool = False) -> etree._Element:
    root = etree.Element(_om("getSecurityServerHealthData"), nsmap={"om": NS_OPMON})
    if client is not None or empty_filter:
        criteria = etree.SubElement(root, _om("filterCriteria"))
        if client is not None:
            criteria.append(to_xml(client, _om("client"), {"id": NS_ID}))
    return root


def as_bytes(element: etree._Element) -> bytes:
    data = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
    assert isinstance(data, bytes)
    return data


def envelope(
    body: etree._Element, caller: ClientId = CONSUMER, server: SecurityServerId | None = None
) -> bytes:
    """A SOAP request of ``caller`` with X-Road headers around ``body`` (the shape of pr-opmon
    Annex C.1); the service code is the body element's name."""
    soap = "http://schemas.xmlsoap.org/soap/envelope/"
    xroad = "http://x-road.eu/xsd/xroad.xsd"
    root = etree.Element(f"{{{soap}}}Envelope", nsmap={"s": soap, "xroad": xroad, "id": NS_ID})
    header = etree.SubElement(root, f"{{{soap}}}Header")
    header.append(to_xml(caller, f"{{{xroad}}}client"))
    service = ServiceId(OWNER, etree.QName(body).localname)
    header.append(to_xml(service, f"{{{xroad}}}service"))
    if server is not None:
        header.append(to_xml(server, f"{{{xroad}}}securityServer"))
    etree.SubElement(header, f"{{{xroad}}}id").text = "opmon-test-1"
    etree.SubElement(header, f"{{{xroad}}}protocolVersion").text = "4.0"
    etree.SubElement(root, f"{{{soap}}}Body").append(body)
    return as_bytes(root)


def record(**values: Any) -> OpRecord:
    """A provider-side record of CONSUMER calling SERVICE, overridable field by field."""
    base: dict[str, Any] = {
        "security_server_type": SecurityServerType.PRODUCER,
        "succeeded": True,
        "request_in_ts": 1_700_000_000_000,
        "request_out_ts": 1_700_000_000_010,
        "response_in_ts": 1_700_000_000_040,
        "response_out_ts": 1_700_000_000_050,
        "security_server_internal_ip": "10.0.0.5",
        "message_id": "id-1",
        "message_protocol_version": "4.0",
        "request_size": 1000,
        "response_size": 2000,
        "request_attachment_count": 0,
        "response_attachment_count": 0,
        "service_type": "WSDL",
        **party_fields(CONSUMER, SERVICE),
    }
    base.update(values)
    return OpRecord(**base)
