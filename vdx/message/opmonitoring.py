"""Operational monitoring query bodies (pr-opmon §2, §3, Annex A and B): sans-IO codecs.

``getSecurityServerOperationalData`` and ``getSecurityServerHealthData`` are ordinary X-Road SOAP
services of the security server owner. Their bodies are in the namespace
``http://x-road.eu/xsd/op-monitoring.xsd`` (``op-monitoring.xsd``); decoding follows that
schema strictly (element order, no unknown elements, ``xs:long`` lexical form), because the
reference validates the request against the schema and answers a violation with
``Client.InvalidRequest``. The operational data answer is a multipart/related message whose
``records`` element refers (swaRef, ``cid:``) to a gzip-compressed JSON document
``{"records": [...]}`` with the field names of Annex B.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

from vdx import xmlsafe
from vdx.errors import Code, Origin, XRoadError
from vdx.identifiers import NS_ID, ClientId, ServiceId, client_from_xml, to_xml
from vdx.message import multipart
from vdx.message.soap_model import NS_SOAP11

NS_OPMON = "http://x-road.eu/xsd/op-monitoring.xsd"
GET_OPERATIONAL_DATA = "getSecurityServerOperationalData"
GET_HEALTH_DATA = "getSecurityServerHealthData"
# The reference's attachment name (OperationalDataRequestHandler.CID, pr-opmon Annex C.2).
RECORDS_CID = "operational-monitoring-data.json.gz"
GZIP_CONTENT_TYPE = "application/gzip"
DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024

# Annex B record fields, in the order of the §2 outputSpec list; ``xRequestId`` is in the
# reference's record (and Annex C.2.1) though not in the §2 list, so it is accepted too.
RECORD_FIELDS: tuple[str, ...] = (
    "monitoringDataTs",
    "securityServerInternalIp",
    "securityServerType",
    "requestInTs",
    "requestOutTs",
    "responseInTs",
    "responseOutTs",
    "clientXRoadInstance",
    "clientMemberClass",
    "clientMemberCode",
    "clientSubsystemCode",
    "serviceXRoadInstance",
    "serviceMemberClass",
    "serviceMemberCode",
    "serviceSubsystemCode",
    "serviceCode",
    "restMethod",
    "restPath",
    "serviceVersion",
    "representedPartyClass",
    "representedPartyCode",
    "messageId",
    "messageUserId",
    "messageIssue",
    "messageProtocolVersion",
    "clientSecurityServerAddress",
    "serviceSecurityServerAddress",
    "requestSize",
    "requestMimeSize",
    "requestAttachmentCount",
    "responseSize",
    "responseMimeSize",
    "responseAttachmentCount",
    "succeeded",
    "serviceType",
    "faultCode",
    "faultString",
    "statusCode",
    "xRoadVersion",
    "xRequestId",
)
OUTPUT_FIELDS = frozenset(RECORD_FIELDS)
MONITORING_DATA_TS = "monitoringDataTs"
# Only the owner and the central monitoring client see the internal address (UC OPMON_02).
INTERNAL_IP = "securityServerInternalIp"

_LONG = re.compile(r"[+-]?[0-9]+", re.ASCII)
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_INT_MAX = 2**31 - 1
_NSMAP = {"om": NS_OPMON, "id": NS_ID}


def _om(name: str) -> str:
    return f"{{{NS_OPMON}}}{name}"


@dataclass(frozen=True, slots=True)
class SearchCriteria:
    """``searchCriteria``: seconds ``records_from``..``records_to`` (inclusive) and the
    optional ``client``, which selects records whose *service provider* it is (§2)."""

    records_from: int
    records_to: int
    client: ClientId | None = None


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """``outputSpec``: the requested record fields; empty means every field (§2)."""

    fields: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        return not self.fields


@dataclass(frozen=True, slots=True)
class OperationalDataRequest:
    search: SearchCriteria
    output: OutputSpec


@dataclass(frozen=True, slots=True)
class HealthDataRequest:
    """``filterCriteria/client``: only the services this provider offers (§3)."""

    client: ClientId | None = None


# ---------------------------------------------------------------- requests (untrusted)


def _invalid(message: str) -> XRoadError:
    return XRoadError(Code.INVALID_REQUEST, message)


def _body_element(
    data: bytes, limits: xmlsafe.XmlLimits | None, encoding: str | None
) -> etree._Element:
    """The query element: the only child of a SOAP Body, or the document root itself."""
    root = xmlsafe.parse(data, limits, encoding=encoding)
    if root.tag != f"{{{NS_SOAP11}}}Envelope":
        return root
    bodies = [child for child in xmlsafe.elements(root) if child.tag == f"{{{NS_SOAP11}}}Body"]
    children = xmlsafe.elements(bodies[0]) if len(bodies) == 1 else []
    if len(children) != 1:
        raise XRoadError(Code.INVALID_BODY, "SOAP body must have exactly one child element")
    return children[0]


def _children(element: etree._Element, allowed: tuple[str, ...]) -> dict[str, etree._Element]:
    """Children in schema order, each at most once and none unknown (a sequence of optionals)."""
    found: dict[str, etree._Element] = {}
    position = 0
    for child in xmlsafe.elements(element):
        name = etree.QName(child)
        local = name.localname
        if name.namespace != NS_OPMON or local not in allowed[position:]:
            # Names the parent only (a schema name we checked): no raw input in a fault.
            raise _invalid(f"Unexpected element in {etree.QName(element).localname}")
        position = allowed.index(local) + 1
        found[local] = child
    return found


def _simple_text(element: etree._Element) -> str:
    if xmlsafe.elements(element):
        raise _invalid(f"Element {etree.QName(element).localname} must hold text only")
    return xmlsafe.text_of(element)


def _long(element: etree._Element) -> int:
    raw = _simple_text(element).strip(" \t\r\n")
    if not _LONG.fullmatch(raw):
        raise _invalid(f"{etree.QName(element).localname} is not an integer")
    # Leading zeros are dropped before int(): Python refuses strings of thousands of digits
    # with a ValueError of its own; a long has at most 19 significant digits anyway.
    digits = raw.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:
        raise _invalid(f"{etree.QName(element).localname} is out of range")
    value = -int(digits) if raw.startswith("-") else int(digits)
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise _invalid(f"{etree.QName(element).localname} is out of range")
    return value


def _expect(element: etree._Element, name: str) -> None:
    if element.tag != _om(name):
        raise XRoadError(Code.INVALID_BODY, f"Expected om:{name} in the SOAP body")


def decode_operational_data_request(
    data: bytes, limits: xmlsafe.XmlLimits | None = None, encoding: str | None = None
) -> OperationalDataRequest:
    """Parse a ``getSecurityServerOperationalData`` request (a SOAP envelope or the bare body
    element); raises ``XRoadError`` only, attributed to the client (the reference answers
    ``Client.InvalidRequest``). Checks of §2 that need no clock are made here: negative
    timestamps, ``recordsTo`` before ``recordsFrom``, unknown output fields."""
    try:
        return _operational_data_request(_body_element(data, limits, encoding))
    except XRoadError as error:
        raise error.attributed_to(Origin.CLIENT) from None


def _operational_data_request(element: etree._Element) -> OperationalDataRequest:
    _expect(element, GET_OPERATIONAL_DATA)
    parts = _children(element, ("searchCriteria", "outputSpec"))
    if "searchCriteria" not in parts:
        raise _invalid("searchCriteria is missing")
    criteria = _children(parts["searchCriteria"], ("recordsFrom", "recordsTo", "client"))
    if "recordsFrom" not in criteria or "recordsTo" not in criteria:
        raise _invalid("searchCriteria must contain recordsFrom and recordsTo")
    records_from, records_to = _long(criteria["recordsFrom"]), _long(criteria["recordsTo"])
    if records_from < 0 or records_to < 0:
        raise _invalid("Records timestamps must not be negative")
    if records_to < records_from:
        raise _invalid("recordsTo is earlier than recordsFrom")
    client = client_from_xml(criteria["client"]) if "client" in criteria else None
    fields: set[str] = set()
    if "outputSpec" in parts:
        for child in xmlsafe.elements(parts["outputSpec"]):
            if child.tag != _om("outputField"):
                raise _invalid("outputSpec may contain outputField elements only")
            name = _simple_text(child)
            if name not in OUTPUT_FIELDS:
                raise _invalid("Unknown output field in search criteria")
            fields.add(name)
    return OperationalDataRequest(
        SearchCriteria(records_from, records_to, client), OutputSpec(frozenset(fields))
    )


def decode_health_data_request(
    data: bytes, limits: xmlsafe.XmlLimits | None = None, encoding: str | None = None
) -> HealthDataRequest:
    """Parse a ``getSecurityServerHealthData`` request; raises ``XRoadError`` only, attributed
    to the client."""
    try:
        return _health_data_request(_body_element(data, limits, encoding))
    except XRoadError as error:
        raise error.attributed_to(Origin.CLIENT) from None


def _health_data_request(element: etree._Element) -> HealthDataRequest:
    _expect(element, GET_HEALTH_DATA)
    parts = _children(element, ("filterCriteria",))
    if "filterCriteria" not in parts:
        return HealthDataRequest()
    criteria = _children(parts["filterCriteria"], ("client",))
    if "client" not in criteria:
        return HealthDataRequest()
    return HealthDataRequest(client_from_xml(criteria["client"]))


# ---------------------------------------------------------------- answers


@dataclass(frozen=True, slots=True)
class Summary:
    """Minimum, mean, maximum and standard deviation of one quantity over the period."""

    minimum: int
    average: float
    maximum: int
    std_dev: float


@dataclass(frozen=True, slots=True)
class PeriodStatistics:
    """``lastPeriodStatistics``; the summaries are present only after a successful request."""

    successful_count: int
    unsuccessful_count: int
    request_duration: Summary | None = None
    request_size: Summary | None = None
    response_size: Summary | None = None


@dataclass(frozen=True, slots=True)
class ServiceHealth:
    """``serviceEvents`` of one service; timestamps are Unix milliseconds."""

    service: ServiceId
    statistics: PeriodStatistics
    last_successful_ms: int | None = None
    last_unsuccessful_ms: int | None = None
    service_type: str | None = None


@dataclass(frozen=True, slots=True)
class HealthData:
    startup_ms: int
    period_seconds: int
    services: tuple[ServiceHealth, ...] = ()


def operational_data_response_element(
    records_count: int, next_records_from: int | None = None, cid: str = RECORDS_CID
) -> etree._Element:
    """``om:getSecurityServerOperationalDataResponse`` (§2): the count, the swaRef to the
    attachment and, when the answer was cut short, where the next query starts."""
    if not 0 <= records_count <= _INT_MAX:
        raise ValueError("recordsCount must fit xs:int")
    root = etree.Element(_om(f"{GET_OPERATIONAL_DATA}Response"), nsmap=_NSMAP)
    etree.SubElement(root, _om("recordsCount")).text = str(records_count)
    etree.SubElement(root, _om("records")).text = f"cid:{cid}"
    if next_records_from is not None:
        etree.SubElement(root, _om("nextRecordsFrom")).text = str(next_records_from)
    return root


def _add_summary(parent: etree._Element, prefix: str, noun: str, summary: Summary | None) -> None:
    if summary is None:
        return
    # Element names of LastPeriodStatisticsType: requestMinDuration ... responseSizeStdDev.
    etree.SubElement(parent, _om(f"{prefix}Min{noun}")).text = str(summary.minimum)
    etree.SubElement(parent, _om(f"{prefix}Average{noun}")).text = repr(float(summary.average))
    etree.SubElement(parent, _om(f"{prefix}Max{noun}")).text = str(summary.maximum)
    etree.SubElement(parent, _om(f"{prefix}{noun}StdDev")).text = repr(float(summary.std_dev))


def health_data_response_element(data: HealthData) -> etree._Element:
    """``om:getSecurityServerHealthDataResponse`` (§3)."""
    root = etree.Element(_om(f"{GET_HEALTH_DATA}Response"), nsmap=_NSMAP)
    etree.SubElement(root, _om("monitoringStartupTimestamp")).text = str(data.startup_ms)
    etree.SubElement(root, _om("statisticsPeriodSeconds")).text = str(data.period_seconds)
    events = etree.SubElement(root, _om("servicesEvents"))
    for health in data.services:
        item = etree.SubElement(events, _om("serviceEvents"))
        item.append(to_xml(health.service, _om("service"), _NSMAP))
        if health.last_successful_ms is not None:
            etree.SubElement(item, _om("lastSuccessfulRequestTimestamp")).text = str(
                health.last_successful_ms
            )
        if health.last_unsuccessful_ms is not None:
            etree.SubElement(item, _om("lastUnsuccessfulRequestTimestamp")).text = str(
                health.last_unsuccessful_ms
            )
        if health.service_type is not None:
            etree.SubElement(item, _om("serviceType")).text = health.service_type
        stats = health.statistics
        period = etree.SubElement(item, _om("lastPeriodStatistics"))
        etree.SubElement(period, _om("successfulRequestCount")).text = str(stats.successful_count)
        etree.SubElement(period, _om("unsuccessfulRequestCount")).text = str(
            stats.unsuccessful_count
        )
        _add_summary(period, "request", "Duration", stats.request_duration)
        _add_summary(period, "request", "Size", stats.request_size)
        _add_summary(period, "response", "Size", stats.response_size)
    return root


def encode_records(records: Iterable[Mapping[str, object]]) -> bytes:
    """The attachment: ``{"records": [...]}`` (Annex B) as UTF-8 JSON, gzip-compressed
    (RFC 1952). ``mtime=0`` keeps the bytes a function of the records alone."""
    document = {"records": list(records)}
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def decode_records(
    data: bytes, max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
) -> list[dict[str, object]]:
    """Read an attachment (untrusted: the decompressed size is bounded); ``XRoadError`` only."""
    try:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        text = inflater.decompress(data, max_bytes + 1)
        if len(text) > max_bytes or inflater.unconsumed_tail:
            raise XRoadError(Code.INVALID_RESPONSE, "Records payload is too large")
        if not inflater.eof:
            raise XRoadError(Code.INVALID_RESPONSE, "Records payload is truncated")
        document = json.loads(text.decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, ValueError, RecursionError):
        raise XRoadError(Code.INVALID_RESPONSE, "Records payload is not gzip JSON") from None
    records = document.get("records") if isinstance(document, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise XRoadError(Code.INVALID_RESPONSE, "Records payload lacks a records array")
    return records


def response_envelope(
    request_xml: bytes,
    body: etree._Element,
    limits: xmlsafe.XmlLimits | None = None,
    encoding: str | None = None,
) -> bytes:
    """The answer SOAP message: the request's envelope and header with ``body`` as the only
    child of the SOAP Body (the reference builds the response from the request the same way)."""
    root = xmlsafe.parse(request_xml, limits, encoding=encoding)
    soap_body = root.find(f"{{{NS_SOAP11}}}Body")
    if soap_body is None:
        raise XRoadError(Code.INVALID_BODY, "SOAP envelope without Body")
    for child in list(soap_body):
        soap_body.remove(child)
    soap_body.text = None
    soap_body.append(body)
    data = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    if not isinstance(data, bytes):  # unreachable: an encoding was given
        raise TypeError("serialised XML is not bytes")
    return data


def operational_data_multipart(
    soap: bytes, payload: bytes, boundary: str | None = None, cid: str = RECORDS_CID
) -> tuple[str, bytes]:
    """The §2 answer as multipart/related: the SOAP part (``text/xml``), then the gzip records
    part named by ``Content-ID``. Returns the Content-Type value and the body."""
    boundary = boundary or multipart.new_boundary("xroad")
    parts = (
        multipart.Part((("Content-Type", "text/xml; charset=UTF-8"),), soap),
        multipart.Part(
            (
                ("Content-Type", GZIP_CONTENT_TYPE),
                ("Content-Transfer-Encoding", "binary"),
                ("Content-ID", f"<{cid}>"),
            ),
            payload,
        ),
    )
    content_type = multipart.ContentType(
        "multipart/related", {"type": "text/xml", "charset": "UTF-8", "boundary": boundary}
    )
    return str(content_type), multipart.build(parts, boundary)
