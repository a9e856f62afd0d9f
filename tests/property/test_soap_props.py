"""SOAP envelopes and client requests (vdx/message/soap.py, soap_request.py): fail only cleanly.

What an information system sends to the client proxy is untrusted: whatever the bytes and the
Content-Type, decoding must end in a SoapRequest or an XRoadError that becomes a SOAP fault,
never in another exception (a 500 with a stack trace). Mutations of a valid X-Road 4.0 request
probe the paths deep inside the header parser that random bytes never reach.
"""

from __future__ import annotations

import contextlib
import copy

from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from tests.property import strategies as gen
from vdx import identifiers as ids
from vdx.errors import Code, XRoadError
from vdx.message import multipart, soap, soap_request
from vdx.message.soap_model import NS_SOAP11, SoapMessage

_X = f"{{{ids.NS_XROAD}}}"

VALID = gen.SOAP_REQUEST


def _parses_or_raises_xroad_error(body: bytes, content_type: str | None) -> None:
    with contextlib.suppress(XRoadError):
        soap_request.decode(body, content_type)


def test_the_seed_envelope_is_valid() -> None:
    assert isinstance(soap.parse_envelope(VALID), SoapMessage)


_KNOWN_TYPES = [
    "text/xml",
    "text/xml; charset=utf-8",
    "text/xml; charset=utf-16",
    "text/xml; charset=bogus",
    "multipart/related; boundary=b",
    'multipart/related; boundary=b; start="<root>"',
    "application/xop+xml",
]
content_types = st.none() | st.sampled_from(_KNOWN_TYPES) | st.text(max_size=60)
_part = st.builds(
    multipart.Part,
    st.lists(
        st.tuples(
            st.sampled_from(["Content-Type", "Content-ID"]),
            st.sampled_from([*_KNOWN_TYPES, "<root>"]) | gen.printable_text(codec="latin-1"),
        ),
        max_size=2,
    ).map(tuple),
    st.sampled_from([VALID, b"", b"<a/>"]) | st.binary(max_size=50),
)
_ROOT = multipart.Part((("Content-Type", "text/xml"), ("Content-ID", "<root>")), VALID)
bodies = st.one_of(
    st.binary(),
    st.just(VALID),
    st.lists(_part, max_size=3).map(lambda parts: multipart.build(parts, "b")),
    # A valid SOAP root part followed by arbitrary attachments.
    st.lists(_part, max_size=3).map(lambda parts: multipart.build([_ROOT, *parts], "b")),
)


@given(bodies, content_types)
@example(  # a NUL in a part's charset once raised ValueError from lxml's XMLParser
    b'--b\r\nContent-Type: text/xml; charset="\x00"\r\n\r\n<a/>\r\n--b--\r\n',
    "multipart/related; boundary=b",
)
def test_decode_raises_only_xroad_error(body: bytes, content_type: str | None) -> None:
    _parses_or_raises_xroad_error(body, content_type)


@given(st.binary())
def test_parse_envelope_of_arbitrary_bytes_raises_only_xroad_error(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        soap.parse_envelope(data)


@given(st.data())
def test_mutated_envelope_parses_or_raises_xroad_error(data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(VALID)), label="start")
    end = data.draw(st.integers(start, min(len(VALID), start + 64)), label="end")
    insert = data.draw(st.binary(max_size=8) | st.sampled_from([b"<", b">", b"&", b"\xff"]))
    mutated = VALID[:start] + insert + VALID[end:]
    for content_type in ("text/xml", "text/xml; charset=utf-8"):
        _parses_or_raises_xroad_error(mutated, content_type)


@given(st.data(), gen.no_control_text)
def test_envelope_with_arbitrary_field_text_parses_or_raises_xroad_error(
    data: st.DataObject, text: str
) -> None:
    root = etree.fromstring(VALID)
    element = data.draw(st.sampled_from([el for el in root.iter() if isinstance(el.tag, str)]))
    element.text = text
    _parses_or_raises_xroad_error(etree.tostring(root), "text/xml")


_XROAD_FIELDS = {"client", "service", "id", "userId", "issue", "protocolVersion"}


@given(st.data())
def test_duplicated_header_element_is_refused_as_duplicate(data: st.DataObject) -> None:
    root = etree.fromstring(VALID)
    header = root.find(f"{{{NS_SOAP11}}}Header")
    assert header is not None
    child = data.draw(st.sampled_from([c for c in header if isinstance(c.tag, str)]))
    header.insert(data.draw(st.integers(0, len(header))), copy.deepcopy(child))
    try:
        soap.parse_envelope(etree.tostring(root))
    except XRoadError as exc:
        code: Code | str | None = exc.code
    else:
        code = None
    if etree.QName(child).localname in _XROAD_FIELDS:
        assert code is Code.DUPLICATE_HEADER_FIELD


# A body wrapper is named after the service code, so the code must also be an XML name.
_xml_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,11}", fullmatch=True)


def _envelope(client: ids.ClientId, service: ids.ServiceId, message_id: str) -> etree._Element:
    nsmap = {"s": NS_SOAP11, "xroad": ids.NS_XROAD, "id": ids.NS_ID}
    root = etree.Element(f"{{{NS_SOAP11}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(root, f"{{{NS_SOAP11}}}Header")
    header.append(ids.to_xml(client, f"{_X}client"))
    header.append(ids.to_xml(service, f"{_X}service"))
    etree.SubElement(header, f"{_X}id").text = message_id
    etree.SubElement(header, f"{_X}protocolVersion").text = "4.0"
    body = etree.SubElement(root, f"{{{NS_SOAP11}}}Body")
    etree.SubElement(body, f"{{urn:test}}{service.service_code}")
    return root


@given(
    gen.clients,
    st.builds(ids.ServiceId, gen.clients, _xml_names, st.none() | gen.parts),
    gen.printable_text(),
    st.sampled_from(["utf-8", "utf-16", "iso-8859-1"]),
)
def test_header_fields_read_back_as_written(
    client: ids.ClientId, service: ids.ServiceId, message_id: str, encoding: str
) -> None:
    root = _envelope(client, service, message_id)
    data = etree.tostring(root, encoding=encoding, xml_declaration=True)
    assert isinstance(data, bytes)
    parsed = soap.parse_envelope(data)
    assert isinstance(parsed, SoapMessage)
    assert (parsed.header.client, parsed.header.service) == (client, service)
    assert parsed.header.id == message_id
