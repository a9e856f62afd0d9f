"""REST r1 (vdx/message/rest.py, rest_part.py): targets, X-Road headers and header parts.

The request target and headers come straight from an information system, the header part from
another security server. No input may raise anything but XRoadError; no accepted target may
carry a dot segment (in any spelling) that climbs out of the provider's service path; the
forwarded headers must never include hop-by-hop fields (RFC 9110 §7.6.1); and the signed header
part must decode to exactly what was encoded.
"""

from __future__ import annotations

import contextlib
import urllib.parse

from hypothesis import example, given
from hypothesis import strategies as st

from tests.property import strategies as gen
from vdx.errors import XRoadError
from vdx.identifiers import ClientId, ServiceId
from vdx.message import rest, rest_part

_PREFIXES = st.sampled_from(["", "/", "/r1/", "/r1/EE/GOV/1/SUB/svc/", "/r1/EE/GOV/1/SUB/svc"])
_DOTS = ["/", ".", "..", "%2e", "%2E", ".%2e", "%2f", "%25", "?", "#", ";", "a", "%41"]


# Any text, including bare "%" and escapes that are not UTF-8, around dot-segment spellings.
_chunks = st.sampled_from([*_DOTS, "%", "%ff", "%c3"]) | st.text(max_size=4)
targets = st.builds(str.__add__, _PREFIXES, st.lists(_chunks, max_size=20).map("".join))


@given(targets)
@example("/r1/EE/GOV/1/SUB/svc/%ff")  # once raised UnicodeDecodeError
def test_accepted_targets_have_no_dot_segments(target: str) -> None:
    try:
        parsed = rest.parse_target(target)
    except XRoadError:
        return
    for segment in parsed.service_path.split("/")[1:]:
        assert urllib.parse.unquote(segment) not in (".", "..")


_path_segments = st.text(max_size=6).filter(lambda s: s not in (".", ".."))


@given(gen.subsystems, gen.parts, st.lists(_path_segments, max_size=4), st.text(max_size=20))
def test_build_then_parse_target_round_trips(
    provider: ClientId, code: str, segments: list[str], query: str
) -> None:
    service = ServiceId(provider, code)
    path = "".join("/" + urllib.parse.quote(segment, safe="") for segment in segments)
    parsed = rest.parse_target(rest.build_target(service, path, query))
    assert (parsed.service, parsed.service_path, parsed.query) == (service, path, query)


_XROAD_HEADERS = [rest.H_CLIENT, rest.H_SECURITY_SERVER, rest.H_REPRESENTED_PARTY, rest.H_ID]
_id_segment = st.sampled_from(["EE", "GOV", "1", "%2F", "%", "%ff", " ", "", "a%20b"])
_id_values = st.lists(_id_segment, min_size=1, max_size=6).map("/".join)
_header_lists = st.lists(
    st.tuples(st.sampled_from(_XROAD_HEADERS) | gen.tokens, _id_values | st.text(max_size=20)),
    max_size=6,
)


@given(_header_lists)
def test_parse_headers_raises_only_xroad_error(headers: list[tuple[str, str]]) -> None:
    with contextlib.suppress(XRoadError):
        rest.parse_headers(headers)


@given(_id_values)
@example("EE/GOV%2FX/1")  # an encoded slash once became a separator
def test_client_header_is_split_before_it_is_decoded(value: str) -> None:
    try:
        client = rest.parse_headers([(rest.H_CLIENT, value)]).client
    except XRoadError:
        return
    assert list(client.parts()) == [urllib.parse.unquote(p) for p in value.strip().split("/")]


_field_names = st.sampled_from(sorted(rest.HOP_BY_HOP)).flatmap(
    lambda name: st.sampled_from([name, name.upper(), name.title()])
) | st.sampled_from(["X-Custom", "Accept", "x-road-client"])
_connection = st.lists(_field_names | gen.tokens, max_size=3).map(", ".join)
_field_lists = st.lists(
    st.one_of(st.tuples(st.just("Connection"), _connection), st.tuples(_field_names, st.text())),
    max_size=8,
)


@given(_field_lists)
def test_end_to_end_headers_drop_hop_by_hop_and_connection_named(
    headers: list[tuple[str, str]],
) -> None:
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    kept = rest.end_to_end_headers(headers)
    for name, _ in kept:
        assert name.lower() not in rest.HOP_BY_HOP
        assert name.lower() not in named
    assert kept == [(n, v) for n, v in headers if n.lower() not in rest.HOP_BY_HOP | named]


_fields = st.lists(st.tuples(gen.tokens, gen.printable_text()), max_size=5).map(tuple)
_origin_targets = st.builds(str.__add__, st.just("/"), gen.printable_text()).filter(
    lambda t: "://" not in t.split("?", 1)[0]
)
requests = st.builds(
    rest_part.RestRequestPart, st.sampled_from(sorted(rest_part.METHODS)), _origin_targets, _fields
)
responses = st.builds(
    rest_part.RestResponsePart, st.integers(100, 999), gen.printable_text(), _fields
)


@given(requests)
def test_request_part_round_trips(part: rest_part.RestRequestPart) -> None:
    assert rest_part.decode_request(part.encode()) == part


@given(responses)
def test_response_part_round_trips(part: rest_part.RestResponsePart) -> None:
    assert rest_part.decode_response(part.encode()) == part


_part_bytes = st.binary() | st.lists(
    st.sampled_from(["GET", "200", "\u00b2", "\r\n", ":", "/", "://", "a", " "])
).map(lambda chunks: "".join(chunks).encode())


@given(_part_bytes)
def test_decode_request_raises_only_xroad_error(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        rest_part.decode_request(data)


@given(_part_bytes)
@example("\u00b2\u00b2\u00b2\r\nOK\r\n".encode())  # once raised ValueError from int()
def test_decode_response_raises_only_xroad_error(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        rest_part.decode_response(data)
