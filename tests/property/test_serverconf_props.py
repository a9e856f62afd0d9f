"""Parsers of untrusted service descriptions (WSDL, OpenAPI) and the endpoint matcher.

An operator points the security server at a URL; whatever comes back is untrusted. Any bytes
must give services / endpoints or ``DescriptionError``: no other exception may escape, whatever
the input (ARCHITECTURE rule 10). The WSDL parser reads XML only through vdx.xmlsafe.
"""

from __future__ import annotations

import json
import re

from hypothesis import example, given
from hypothesis import strategies as st

from security_server.serverconf import (
    DescriptionError,
    normalize_path,
    parse_openapi,
    parse_wsdl,
    path_matches,
)

_WSDL_TOKENS = [
    (
        '<w:definitions xmlns:w="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:x="http://x-road.eu/xsd/xroad.xsd">'
    ),
    "</w:definitions>", '<w:binding name="b" type="t:p">', "</w:binding>", "<s:binding/>",
    '<w:operation name="op">', '<w:operation name="">', '<w:operation name="a:b">',
    "</w:operation>",
    "<x:version>", "</x:version>", "v1", "<w:service>", "</w:service>", '<w:port binding="b">',
    "</w:port>", '<s:address location="http://h/x"/>', "<w:portType>", "</w:portType>",
    "<w:documentation>", "</w:documentation>", "<x:title>", "</x:title>", "<!DOCTYPE a>",
    "&x;", "<![CDATA[z]]>", "<!-- c -->", "\x00", "\ufeff",
]  # fmt: skip
_wsdl_soup = st.lists(st.sampled_from(_WSDL_TOKENS) | st.text(max_size=4), max_size=40).map(
    lambda parts: "".join(parts).encode("utf-8", "replace")
)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["openapi", "paths", "servers", "url", "get", "post", "$ref", "/a", "/{x}"]
            )
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
_openapi_like = st.builds(
    lambda version, paths, servers: {"openapi": version, "paths": paths, "servers": servers},
    st.sampled_from(["3.0.0", "3.1.0", "2.0", 3]),
    st.dictionaries(
        st.text(max_size=10).map(lambda s: "/" + s) | st.text(max_size=5),
        st.dictionaries(st.sampled_from(["get", "put", "trace", "$ref", "x"]), _json, max_size=3)
        | _json,
        max_size=4,
    ),
    _json,
)
_YAML_TOKENS = [
    "openapi: 3.0.0\n", "paths:\n", "  /a:\n", "    get: {}\n", "  /{p}/b:\n", "&a ", "*a ",
    "!!python/object:os.system ", "!!binary ", "- ", ": ", "[", "]", "{", "}", "\t", "'", '"',
    "? ", "%YAML 1.1\n", "---\n", "2020-13-45", "1e999", "0x", "<<: *a\n",
]  # fmt: skip
_yaml_soup = st.lists(st.sampled_from(_YAML_TOKENS) | st.text(max_size=4), max_size=30).map(
    lambda parts: "".join(parts).encode("utf-8", "replace")
)


def _wsdl_or_description_error(data: bytes) -> None:
    try:
        operations = parse_wsdl(data)
    except DescriptionError as error:
        code = error.code
    else:
        assert operations
        for op in operations:
            assert op.code
            assert op.code.strip() == op.code
        return
    assert code == "invalid"


def _openapi_or_description_error(data: bytes) -> None:
    try:
        document = parse_openapi(data)
    except DescriptionError as error:
        code = error.code
    else:
        assert document.endpoints
        for method, path in document.endpoints:
            assert method in {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
            assert path.startswith("/")
        return
    assert code == "invalid"


@given(st.binary() | _wsdl_soup)
@example(b"<a/>")
@example(b'<?xml version="1.0" encoding="x-unknown"?><a/>')
def test_wsdl_arbitrary_bytes(data: bytes) -> None:
    _wsdl_or_description_error(data)


@given(st.binary() | _yaml_soup)
@example(b"!!python/object/apply:os.system ['true']")
@example(b"[" * 5000)
@example(b"a: " + b"[" * 200)
def test_openapi_arbitrary_bytes(data: bytes) -> None:
    _openapi_or_description_error(data)


@given(_openapi_like | _json)
def test_openapi_arbitrary_json_shapes(document: object) -> None:
    _openapi_or_description_error(json.dumps(document).encode())


_segment = st.text(alphabet="ab*\\/.", max_size=12)


@given(_segment, st.text(alphabet="ab*\\/.", max_size=12))
def test_glob_never_raises_and_literal_globs_match_themselves(glob: str, path: str) -> None:
    assert path_matches(glob, path) in (True, False)
    literal = re.sub(r"[*\\]", "", glob)
    assert path_matches(literal, literal)
    assert path_matches("**", path)


@given(st.text(max_size=30))
def test_normalize_path_never_returns_traversal(path: str) -> None:
    try:
        normalized = normalize_path(path)
    except UnicodeDecodeError:
        return  # is_access_allowed treats this as a refusal
    assert normalized is None or ".." not in normalized
