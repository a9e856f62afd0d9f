"""WSDL 1.1 documents to X-Road services: each SOAP operation is a service code, its binding's
``xrd:version`` the service version (SOAP message protocol 4.0 §2.3 / Annex on WSDL).

Untrusted bytes go through :mod:`vdx.xmlsafe` only (no DTD, no entities, no network, size and
depth limits). zeep is not used to read them: zeep loads a WSDL together with every schema it
imports (``schemaLocation="http://x-road.eu/xsd/xroad.xsd"`` in every X-Road WSDL), which would
fetch from the network inside the service layer; the operations, versions, titles and addresses
this module needs are all in the WSDL's own elements.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from security_server.serverconf import validation
from security_server.serverconf.errors import DescriptionError, ServerConfError
from vdx import xmlsafe
from vdx.errors import XRoadError
from vdx.xmlsafe import XmlLimits

NS_WSDL = "http://schemas.xmlsoap.org/wsdl/"
NS_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
# ``xrd:version`` / ``xrd:title``: the X-Road 6+ namespace and the two older Estonian ones the
# reference still accepts in WSDLs (valid-getrandom.wsdl uses x-road.ee).
NS_XROAD = (
    "http://x-road.eu/xsd/xroad.xsd",
    "http://x-road.ee/xsd/x-road.xsd",
    "http://x-tee.riik.ee/xsd/xtee.xsd",
)
DEFAULT_LIMITS = XmlLimits(max_bytes=10 * 1024 * 1024, max_depth=100)


@dataclass(frozen=True, slots=True)
class WsdlOperation:
    """One service the WSDL describes."""

    code: str
    version: str | None
    url: str | None  # the soap:address of a port bound to it
    title: str | None = None


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _children(parent: etree._Element, ns: str, name: str) -> list[etree._Element]:
    return [child for child in xmlsafe.elements(parent) if child.tag == _q(ns, name)]


def _xrd(parent: etree._Element, name: str) -> etree._Element | None:
    for child in xmlsafe.elements(parent):
        if child.tag in {_q(ns, name) for ns in NS_XROAD}:
            return child
    return None


def _local(qname: str | None) -> str:
    # Bindings and port types are referenced by QName; the target namespace is the WSDL's own.
    return (qname or "").rpartition(":")[2]


def _titles(root: etree._Element) -> dict[str, str]:
    titles: dict[str, str] = {}
    for port_type in _children(root, NS_WSDL, "portType"):
        for operation in _children(port_type, NS_WSDL, "operation"):
            for doc in _children(operation, NS_WSDL, "documentation"):
                title = _xrd(doc, "title")
                text = xmlsafe.text_of(title).strip() if title is not None else ""
                if text and operation.get("name"):
                    titles.setdefault(str(operation.get("name")), text[: validation.MAX_NAME])
    return titles


def _addresses(root: etree._Element) -> dict[str, str]:
    """Binding name -> the location of the first port bound to it."""
    found: dict[str, str] = {}
    for service in _children(root, NS_WSDL, "service"):
        for port in _children(service, NS_WSDL, "port"):
            for address in _children(port, NS_SOAP, "address"):
                location = address.get("location")
                if location:
                    found.setdefault(_local(port.get("binding")), str(location))
    return found


def _clean(value: str, what: str) -> str:
    try:
        return validation.part(value.strip(), what)
    except ServerConfError as error:
        raise DescriptionError(f"WSDL: {error.message}") from None


def parse_wsdl(data: bytes, limits: XmlLimits = DEFAULT_LIMITS) -> tuple[WsdlOperation, ...]:
    """The services of a WSDL, in document order; raises only :class:`DescriptionError`."""
    try:
        root = xmlsafe.parse(data, limits)
    except XRoadError as error:
        raise DescriptionError(f"WSDL is not well-formed XML: {error.message}") from None
    if root.tag != _q(NS_WSDL, "definitions"):
        raise DescriptionError("Not a WSDL 1.1 document (no wsdl:definitions root)")
    titles = _titles(root)
    addresses = _addresses(root)
    found: dict[tuple[str, str | None], WsdlOperation] = {}
    for binding in _children(root, NS_WSDL, "binding"):
        if not _children(binding, NS_SOAP, "binding"):
            continue  # SOAP 1.2 or HTTP bindings: X-Road messages are SOAP 1.1
        url = addresses.get(str(binding.get("name") or ""))
        for operation in _children(binding, NS_WSDL, "operation"):
            code = _clean(str(operation.get("name") or ""), "Operation name")
            version_element = _xrd(operation, "version")
            version = None
            if version_element is not None:
                version = _clean(xmlsafe.text_of(version_element), "xrd:version")
            found.setdefault((code, version), WsdlOperation(code, version, url, titles.get(code)))
    if not found:
        raise DescriptionError("The WSDL describes no SOAP 1.1 operations")
    return tuple(found.values())
