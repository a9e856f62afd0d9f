"""Transport messages of the reference proxy test suite decode as its decoder test expects.

Expected verdicts from the reference ``ProxyMessageDecoderTest``; files carry no HTTP headers,
so, like that test, we give each the type ``multipart/mixed; charset=UTF-8; boundary=<first
line>``. ``normal.response`` has no reference test: it uses the pre-4.0 header style
(``xroad:consumer``/``producer``), which the reference parser rejects for its missing
``protocolVersion``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import vectors
from vdx.errors import XRoadError
from vdx.message import transport

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
    "normal.response": "MissingHeaderField",
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
