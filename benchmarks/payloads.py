"""Request bodies of an exact size, the same bytes for every system measured.

SOAP: a ``helloService`` request in the SOAP message protocol 4.0 (pr-mess §2.3 headers) whose
``name`` is padded until the whole envelope has the wanted size; the demo provider answers with
the name in its greeting, so the response is about as large. REST: a JSON object for the demo
provider's ``POST /echo``, padded likewise; the answer is the same JSON.

Each request gets its own message id: :data:`ID_MARK` in the template is replaced by a
fixed-width counter, so the size never changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

ID_MARK = b"@@BENCH-MSG-ID@@"  # 16 bytes, replaced by a 16-digit counter
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PRODUCER_NS = "http://test.x-road.global/producer"


@dataclass(frozen=True)
class Ids:
    """Who calls whom, in the ``/`` form of sandbox.json (REST r1 §4)."""

    client: str  # INSTANCE/CLASS/CODE/SUBSYSTEM
    soap_service: str  # INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICECODE
    soap_version: str
    rest_service: str  # INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICECODE


def _identifier(tag: str, slash: str, object_type: str, version: str | None = None) -> str:
    parts = slash.split("/")
    names = ["xRoadInstance", "memberClass", "memberCode", "subsystemCode"]
    if object_type == "SERVICE":
        names.append("serviceCode")
    inner = "".join(f"<id:{n}>{v}</id:{n}>" for n, v in zip(names, parts, strict=True))
    if version is not None:
        inner += f"<id:serviceVersion>{version}</id:serviceVersion>"
    return f'<xrd:{tag} id:objectType="{object_type}">{inner}</xrd:{tag}>'


def soap_request(ids: Ids, size: int) -> bytes:
    """A helloService envelope of exactly ``size`` bytes carrying :data:`ID_MARK` (short
    namespace prefixes and no XML declaration, so that 1 KiB leaves room for the name)."""
    head = (
        f'<s:Envelope xmlns:s="{SOAP_NS}" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" '
        'xmlns:id="http://x-road.eu/xsd/identifiers"><s:Header>'
        + _identifier("client", ids.client, "SUBSYSTEM")
        + _identifier("service", ids.soap_service, "SERVICE", ids.soap_version)
        + f"<xrd:id>{ID_MARK.decode()}</xrd:id><xrd:protocolVersion>4.0</xrd:protocolVersion>"
        f'</s:Header><s:Body><p:helloService xmlns:p="{PRODUCER_NS}"><p:name>'
    )
    tail = "</p:name></p:helloService></s:Body></s:Envelope>\n"
    padding = size - len(head.encode()) - len(tail.encode())
    if padding < 5:
        raise ValueError(f"a SOAP request cannot be as small as {size} bytes")
    return (head + "Bench" + "x" * (padding - 5) + tail).encode()


def rest_request(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes carrying :data:`ID_MARK`."""
    empty = json.dumps({"id": ID_MARK.decode(), "data": ""}, separators=(",", ":")).encode()
    padding = size - len(empty)
    if padding < 0:
        raise ValueError(f"a JSON request cannot be as small as {size} bytes")
    body = json.dumps({"id": ID_MARK.decode(), "data": "x" * padding}, separators=(",", ":"))
    return body.encode()


def with_id(template: bytes, number: int) -> bytes:
    """The template with its message id set to ``number`` (same length)."""
    return template.replace(ID_MARK, f"{number:016d}".encode(), 1)
