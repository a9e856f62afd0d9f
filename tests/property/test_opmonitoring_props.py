"""Operational monitoring query codecs: any untrusted request or records payload ends in a value
or an XRoadError, never worse; what a client encodes we decode unchanged."""

from __future__ import annotations

import contextlib
import gzip

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from tests.property import strategies as s
from tests.unit.security_server import test_opmonitor_support as sup
from vdx.errors import XRoadError
from vdx.identifiers import NS_ID
from vdx.message import opmonitoring as om

_LONGS = st.integers(min_value=0, max_value=2**63 - 1)
_NAMES = (
    [
        f"{{{om.NS_OPMON}}}{name}"
        for name in (
            "getSecurityServerOperationalData",
            "getSecurityServerHealthData",
            "searchCriteria",
            "recordsFrom",
            "recordsTo",
            "client",
            "outputSpec",
            "outputField",
            "filterCriteria",
        )
    ]
    + [f"{{{NS_ID}}}{name}" for name in ("xRoadInstance", "memberClass", "memberCode")]
    + ["x"]
)
_TEXTS = (
    st.none()
    | st.integers(min_value=-(2**70), max_value=2**70).map(str)
    | st.sampled_from([*om.RECORD_FIELDS, " 1 ", "1_0", "\u0661", "+", "", "9" * 5000, "-0" * 3000])
    | s.no_control_text
)


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    element = etree.Element(draw(st.sampled_from(_NAMES)))
    element.text = draw(_TEXTS)
    if draw(st.booleans()):
        element.set(f"{{{NS_ID}}}objectType", draw(st.sampled_from(["MEMBER", "SUBSYSTEM", "X"])))
    if depth < 3:
        for child in draw(st.lists(_trees(depth + 1), max_size=4)):
            element.append(child)
    return element


def _decode_all(data: bytes) -> None:
    for decode in (om.decode_operational_data_request, om.decode_health_data_request):
        with contextlib.suppress(XRoadError):
            decode(data)


@given(st.binary(max_size=400))
def test_any_bytes_decode_or_raise_xroad_error(data: bytes) -> None:
    _decode_all(data)


@given(_trees())
def test_any_tree_of_the_schemas_names_decodes_or_raises_xroad_error(tree: etree._Element) -> None:
    data = sup.as_bytes(tree)
    _decode_all(data)
    _decode_all(sup.envelope(tree))


@given(
    _LONGS,
    _LONGS,
    st.none() | s.clients,
    st.none() | st.lists(st.sampled_from(om.RECORD_FIELDS), max_size=5),
)
def test_valid_requests_round_trip(
    first: int, second: int, client: object, fields: list[str] | None
) -> None:
    low, high = sorted((first, second))
    body = sup.operational_request(low, high, client, fields)  # type: ignore[arg-type]
    request = om.decode_operational_data_request(sup.envelope(body))
    assert request.search == om.SearchCriteria(low, high, client)  # type: ignore[arg-type]
    assert request.output.fields == frozenset(fields or ())


@given(st.none() | s.clients)
def test_health_requests_round_trip(client: object) -> None:
    body = sup.health_request(client)  # type: ignore[arg-type]
    assert om.decode_health_data_request(sup.as_bytes(body)).client == client


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(st.binary(max_size=300) | _JSON.map(lambda v: gzip.compress(repr(v).encode())))
def test_any_records_payload_decodes_or_raises_xroad_error(data: bytes) -> None:
    with contextlib.suppress(XRoadError):
        om.decode_records(data, max_bytes=10_000)


@given(st.lists(st.dictionaries(st.sampled_from(om.RECORD_FIELDS), _JSON, max_size=6), max_size=5))
def test_records_round_trip(records: list[dict[str, object]]) -> None:
    assert om.decode_records(om.encode_records(records)) == records
