"""MIME multipart and Content-Type (vdx/message/multipart.py): byte-exact and fail-clean.

Signatures and hash chains cover part bodies, so split() must hand back exactly the bytes that
build() framed, whatever they hold (CR, LF, "--", binary). Bodies and Content-Type values come
from the network, so both parsers must refuse malformed input with an XRoadError only.
"""

from __future__ import annotations

import contextlib
import string

from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.property import strategies as gen
from vdx.errors import XRoadError
from vdx.message import multipart
from vdx.message.multipart import ContentType, Part

# RFC 2046 §5.1.1 bchars; a space may not end a boundary.
_BCHARS = string.ascii_letters + string.digits + "'()+_,-./:=? "
boundaries = st.text(st.sampled_from(_BCHARS), min_size=1, max_size=70).filter(
    lambda b: not b.endswith(" ")
)
# Bodies rich in the bytes that frame multipart: CR, LF, dashes, NUL, high bytes.
bodies = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"-", b"--", b"x", b"\x00", b"\xff"])).map(
        b"".join
    ),
)
# Header values are written "Name: value" and read back stripped: no edge spaces, no CR/LF.
headers = st.tuples(gen.tokens, gen.printable_text(codec="latin-1").map(str.strip))
parts = st.builds(Part, st.lists(headers, max_size=4).map(tuple), bodies)


def _frames_cleanly(part: Part, boundary: str) -> bool:
    """RFC 2046 §5.1: the delimiter must not occur at a line start inside a part."""
    names = "\n".join(name for name, _ in part.headers).encode()
    delimiter = b"\n--" + boundary.encode("ascii")
    return delimiter not in b"\n" + names and delimiter not in b"\n" + part.body


@given(st.lists(parts, max_size=5), boundaries)
def test_split_returns_exactly_what_build_framed(items: list[Part], boundary: str) -> None:
    assume(all(_frames_cleanly(part, boundary) for part in items))
    assert multipart.split(multipart.build(items, boundary), boundary) == items


# RFC 5322 §2.2: a header line ends only at CRLF; obs-text lets any other octet stand in it.
_latin1_values = st.text(
    st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=20
).map(str.strip)


@given(gen.tokens, _latin1_values)
@example("X-Note", "a\x85Content-Type: text/xml")
def test_a_header_line_reads_back_as_one_header(name: str, value: str) -> None:
    part = Part(((name, value),), b"body")
    assume(_frames_cleanly(part, "b"))
    assert multipart.split(multipart.build([part], "b"), "b") == [part]


_ct_text = st.text(st.one_of(st.characters(), st.sampled_from(';="\\/ \tab')), max_size=60)


@given(_ct_text)
def test_parse_content_type_returns_or_raises_xroad_error(text: str) -> None:
    try:
        parsed = multipart.parse_content_type(text)
    except XRoadError:
        return
    assert multipart.parse_content_type(str(parsed)) == parsed


_media_types = st.builds("{}/{}".format, gen.tokens.map(str.lower), gen.tokens.map(str.lower))
content_types = st.builds(
    ContentType, _media_types, st.dictionaries(gen.tokens.map(str.lower), st.text(max_size=20))
)


@given(content_types)
def test_rendered_content_type_parses_back_to_an_equal_value(value: ContentType) -> None:
    assert multipart.parse_content_type(str(value)) == value


@given(st.data())
def test_split_of_arbitrary_bytes_raises_only_xroad_error(data: st.DataObject) -> None:
    boundary = data.draw(st.text(max_size=80), label="boundary")
    delimiter = b"--" + boundary.encode("ascii", "replace")
    # Chunks that include the delimiter, so that parsing gets past the first check.
    chunk = st.sampled_from([delimiter, b"--", b"\r\n", b"\n", b": ", b"A"]) | st.binary(max_size=8)
    body = data.draw(st.lists(chunk, max_size=20).map(b"".join) | st.binary(), label="body")
    with contextlib.suppress(XRoadError):
        multipart.split(body, boundary)
