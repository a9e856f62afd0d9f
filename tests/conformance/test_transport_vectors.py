"""Transport messages of the reference proxy test suite decode as its decoder test expects.

Expected verdicts from the reference ``ProxyMessageDecoderTest``; files carry no HTTP headers,
so, like that test, we give each the type ``multipart/mixed; charset=UTF-8; boundary=<first
line>``. ``normal.response`` has no reference test: it uses the pre-4.0 header style
(``xroad:consumer``/``producer``, ``xroad:service`` as plain text). A 4.0 parser must reject
it; the reference's streaming parser stops at the ``xroad:service`` element that lacks
``id:objectType`` (``InvalidXml``), which is also where ours stops.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import vectors
from vdx.errors import XRoadError
from vdx.message import transport, transport_encode

# file -> expected part kinds in wire order, or the expected error code
EXPECTED: dict[str, list[str] | str] = {
    "normal.request": ["soap", "signature"],
    "normal-soapfault.request": ["signature", "fault"],
    "attachment.request": ["soap", "attachment", "signature"],
    "ocsp.request": ["ocsp", "soap", "signature"],
    "fault-signature.request": ["soap", "fault"],
    "extracontent.request": "InvalidMessage",
    "invalid-ocsp.request": "IOError",
    "invalid-soap-contenttype.request": "InvalidContentType",
    "invalid-contenttype-signature.request": "InvalidContentType",
    "normal.response": "InvalidXml",
}


def _content_type(data: bytes) -> str:
    boundary = data.split(b"\n", 1)[0][2:].decode("ascii").strip()
    return f"multipart/mixed; charset=UTF-8; boundary={boundary}"


def _verdict(path: Path) -> list[str] | str:
    data = path.read_bytes()
    try:
        decoded = transport.decode(data, _content_type(data))
    except XRoadError as error:
        return error.fault_code
    return sorted(decoded.part_kinds) if decoded.fault else decoded.part_kinds


@pytest.mark.vectors
@pytest.mark.usefixtures("vectors_dir")
@pytest.mark.parametrize("path", vectors.files("transport"), ids=lambda p: p.name)
def test_transport_file_gives_reference_verdict(
    path: Path, conformance: vectors.ConformanceLedger
) -> None:
    assert path.name in EXPECTED, f"no expected verdict recorded for {path.name}"
    expected = EXPECTED[path.name]
    expected = sorted(expected) if isinstance(expected, list) and "fault" in expected else expected
    actual = _verdict(path)
    conformance.record(path, agrees=actual == expected, detail=f"got {actual}, want {expected}")
    assert actual == expected


@pytest.mark.vectors
def test_every_transport_file_has_a_verdict(vectors_dir: Path) -> None:
    on_disk = {p.name for p in (vectors_dir / "transport").iterdir()}
    assert on_disk == set(EXPECTED)


@pytest.mark.vectors
def test_attachment_part_is_byte_exact(vectors_dir: Path) -> None:
    data = (vectors_dir / "transport" / "attachment.request").read_bytes()
    decoded = transport.decode(data, _content_type(data))
    assert [a.data for a in decoded.attachments] == [b"blaah"]
    assert [p.name for p in decoded.signed_parts] == ["/message.xml", "/attachment1"]


@pytest.mark.vectors
def test_ocsp_part_keeps_its_der_bytes(vectors_dir: Path) -> None:
    data = (vectors_dir / "transport" / "ocsp.request").read_bytes()
    decoded = transport.decode(data, _content_type(data))
    assert len(decoded.ocsp_responses) == 1
    assert len(decoded.ocsp_responses[0]) == 1307
    assert decoded.ocsp_responses[0][:2] == b"\x30\x82"


_DECODABLE = [name for name, verdict in EXPECTED.items() if isinstance(verdict, list)]


@pytest.mark.vectors
@pytest.mark.parametrize("name", _DECODABLE)
def test_encode_then_decode_gives_the_same_message(vectors_dir: Path, name: str) -> None:
    data = (vectors_dir / "transport" / name).read_bytes()
    decoded = transport.decode(data, _content_type(data))
    encoded = transport_encode.encode(decoded)
    again = transport.decode(encoded.body, encoded.content_type)
    assert again.part_kinds == decoded.part_kinds
    assert again.ocsp_responses == decoded.ocsp_responses
    assert [a.data for a in again.attachments] == [a.data for a in decoded.attachments]
    assert again.signed_parts == decoded.signed_parts
    assert again.signature == decoded.signature
