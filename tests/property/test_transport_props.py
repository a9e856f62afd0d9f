"""Security-server transport messages (vdx/message/transport.py): any input fails only cleanly.

The server proxy decodes whatever a peer security server sends before any signature is checked,
so a multipart/mixed body of arbitrary bytes, of arbitrary parts in arbitrary order, or a
mutated real message must end in a TransportMessage or an XRoadError, never another exception.
"""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from tests import vectors
from tests.property import strategies as gen
from vdx.errors import XRoadError
from vdx.message import multipart, rest_part, transport
from vdx.message.multipart import Part

_FAULT = (
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
    b"<faultcode>Server.X</faultcode><faultstring>boom</faultstring></s:Fault></s:Body>"
    b"</s:Envelope>"
)
_OCSP_UNAUTHORIZED = b"0\x03\n\x01\x06"  # DER OCSPResponse, responseStatus unauthorized(6)
_NESTED = multipart.build([Part((("Content-Type", "text/plain"),), b"attached")], "inner")
# (Content-Type, body) pairs in the slot order of pr-messtransp §2.3, each one well-formed.
_WELL_FORMED = [
    (transport.OCSP_RESPONSE_TYPE, _OCSP_UNAUTHORIZED),
    (transport.TEXT_XML, gen.SOAP_REQUEST),
    ("text/xml; charset=utf-8", _FAULT),
    (rest_part.REST_REQUEST_TYPE, rest_part.RestRequestPart("GET", "/r1/a", ()).encode()),
    (rest_part.REST_RESPONSE_TYPE, rest_part.RestResponsePart(200, "OK", ()).encode()),
    (rest_part.REST_BODY_TYPE, b"{}"),
    ("multipart/mixed; boundary=inner", _NESTED),
    (transport.HASH_CHAIN_RESULT_TYPE, b"<hashChainResult/>"),
    (transport.HASH_CHAIN_TYPE, b"<hashChain/>"),
    (transport.SIGNATURE_TYPE, b"<signature/>"),
]
_RANK = {content_type: rank for rank, (content_type, _) in enumerate(_WELL_FORMED)}
# build() writes header lines in latin-1, as MIME headers are read back.
_latin1_text = st.text(st.characters(codec="latin-1"), max_size=30)
_any_type = st.sampled_from([t for t, _ in _WELL_FORMED]) | _latin1_text
_any_body = st.sampled_from([b for _, b in _WELL_FORMED]) | st.binary(max_size=40)
_parts = st.one_of(
    st.sampled_from(_WELL_FORMED).map(lambda pair: Part((("Content-Type", pair[0]),), pair[1])),
    st.builds(Part, st.tuples(st.tuples(st.just("Content-Type"), _any_type)), _any_body),
    st.builds(Part, st.just(()), _any_body),
)


def _in_slot_order(parts: list[Part]) -> list[Part]:
    return sorted(parts, key=lambda part: _RANK.get(part.header("Content-Type") or "", -1))


TOP = "multipart/mixed; boundary=b"


def _decodes_or_raises_xroad_error(body: bytes, content_type: str) -> None:
    with contextlib.suppress(XRoadError):
        transport.decode(body, content_type)


@given(st.binary(), st.sampled_from([TOP, "multipart/mixed; boundary=\x00", "text/xml"]))
def test_arbitrary_bytes_raise_only_xroad_error(body: bytes, content_type: str) -> None:
    _decodes_or_raises_xroad_error(body, content_type)


@given(st.lists(_parts, max_size=6) | st.lists(_parts, max_size=8).map(_in_slot_order))
def test_arbitrary_part_sequences_raise_only_xroad_error(parts: list[Part]) -> None:
    _decodes_or_raises_xroad_error(multipart.build(parts, "b"), TOP)


def _seed(data: bytes) -> tuple[bytes, str]:
    boundary = data.split(b"\n", 1)[0][2:].decode("ascii").strip()
    return data, f"multipart/mixed; boundary={boundary}"


_SEEDS = [_seed(path.read_bytes()) for path in vectors.files("transport")] or [
    (multipart.build([Part((("Content-Type", "text/xml"),), gen.SOAP_REQUEST)], "b"), TOP)
]


@given(st.sampled_from(_SEEDS), st.data())
def test_mutated_real_messages_raise_only_xroad_error(
    seed: tuple[bytes, str], data: st.DataObject
) -> None:
    body, content_type = seed
    start = data.draw(st.integers(0, len(body)), label="start")
    end = data.draw(st.integers(start, min(len(body), start + 16)), label="end")
    # Delete, overwrite or insert: overwriting keeps DER lengths and MIME framing mostly intact.
    filler = data.draw(
        st.binary(min_size=end - start, max_size=end - start) | st.binary(max_size=8)
    )
    _decodes_or_raises_xroad_error(body[:start] + filler + body[end:], content_type)
