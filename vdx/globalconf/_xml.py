"""Small helpers for reading and writing the configuration XML documents.

Every failure is ``MalformedGlobalConf``: the documents come from the configuration source, so a
structural fault is a fault of the configuration, not of XML in general.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import UTC, datetime

from lxml import etree

from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.identifiers import NS_ID, NS_XROAD

NSMAP = {"ns2": NS_ID, "ns3": NS_XROAD}


def malformed(message: str) -> XRoadError:
    return XRoadError(Code.MALFORMED_GLOBALCONF, message)


def parse_root(data: bytes, local_name: str, what: str) -> etree._Element:
    """Parse with the hardened parser and check the root element ``{xroad}local_name``."""
    try:
        root = xmlsafe.parse(data)
    except XRoadError as error:
        raise malformed(f"{what} is not well-formed XML: {error.message}") from None
    if root.tag != f"{{{NS_XROAD}}}{local_name}":
        raise malformed(f"{what}: unexpected root element {etree.QName(root).localname!r:.60}")
    return root


def children(parent: etree._Element, name: str) -> Iterator[etree._Element]:
    """Child elements with local name ``name`` in no namespace (the documents' local elements)."""
    for child in xmlsafe.elements(parent):
        if child.tag == name:
            yield child


def optional(parent: etree._Element, name: str) -> etree._Element | None:
    found = list(children(parent, name))
    if len(found) > 1:
        raise malformed(f"<{name}> repeated in <{etree.QName(parent).localname}>")
    return found[0] if found else None


def required(parent: etree._Element, name: str) -> etree._Element:
    found = optional(parent, name)
    if found is None:
        raise malformed(f"<{name}> missing in <{etree.QName(parent).localname}>")
    return found


def text(parent: etree._Element, name: str) -> str:
    return xmlsafe.text_of(required(parent, name)).strip()


def optional_text(parent: etree._Element, name: str) -> str | None:
    found = optional(parent, name)
    return None if found is None else xmlsafe.text_of(found).strip()


def b64(element: etree._Element) -> bytes:
    raw = "".join(xmlsafe.text_of(element).split())
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise malformed(f"<{etree.QName(element).localname}> is not valid base64") from None


def integer(parent: etree._Element, name: str) -> int:
    value = text(parent, name)
    try:
        return int(value)
    except ValueError:
        raise malformed(f"<{name}> is not an integer") from None


def boolean(value: str) -> bool:
    # xsd:boolean lexical space (XML Schema 2 §3.2.2)
    if value in {"true", "1"}:
        return True
    if value in {"false", "0"}:
        return False
    raise malformed(f"{value!r:.20} is not a boolean")


def parse_datetime(value: str) -> datetime:
    """xsd:dateTime / ISO 8601 with a zone; a missing zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise malformed(f"{value!r:.40} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_datetime(value: datetime, millis: bool = True) -> str:
    value = value.astimezone(UTC)
    if millis:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_root(local_name: str) -> etree._Element:
    return etree.Element(f"{{{NS_XROAD}}}{local_name}", nsmap=NSMAP)


def add(parent: etree._Element, name: str, value: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, name)
    if value is not None:
        child.text = value
    return child


def add_b64(parent: etree._Element, name: str, value: bytes) -> etree._Element:
    return add(parent, name, base64.b64encode(value).decode("ascii"))


def serialize(root: etree._Element) -> bytes:
    """Indented UTF-8 with the declaration the reference writes, byte for byte."""
    etree.indent(root, space="    ")
    body = bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=False))
    return _DECLARATION + body + b"\n"


_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
