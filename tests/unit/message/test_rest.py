"""REST message protocol r1: request targets, X-Road headers, header parts, request hash."""

from __future__ import annotations

import base64
import hashlib

import pytest

from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message import rest, rest_part

SUB = ClientId("EE", "GOV", "1234", "SUB")


def test_target_splits_service_path_and_query() -> None:
    target = rest.parse_target("/r1/EE/GOV/1234/SUB/pets/v1/cats?x=1&y=2")
    assert target.service == ServiceId(SUB, "pets")
    assert target.service_path == "/v1/cats"
    assert target.query == "x=1&y=2"


def test_identifier_segments_are_decoded_one_by_one() -> None:
    target = rest.parse_target("/r1/EE/GOV/12%2034/SUB/svc")
    assert target.service.provider.member_code == "12 34"
    # An encoded slash in an identifier cannot smuggle a separator.
    with pytest.raises(XRoadError):
        rest.parse_target("/r1/EE/GOV/1%2F2/SUB/svc")


@pytest.mark.parametrize(
    "path",
    ["/r1/EE/GOV/1/SUB/svc/..", "/r1/EE/GOV/1/SUB/svc/a/%2e%2e/b", "/r1/EE/GOV/1/SUB/svc/%2E"],
)
def test_dot_segments_never_escape_the_service_path(path: str) -> None:
    with pytest.raises(XRoadError) as caught:
        rest.parse_target(path)
    assert caught.value.code is Code.BAD_REQUEST


def test_encoded_slash_in_service_path_stays_encoded() -> None:
    assert rest.parse_target("/r1/EE/GOV/1/SUB/svc/a%2Fb").service_path == "/a%2Fb"


@pytest.mark.parametrize("path", ["/r2/EE/GOV/1/SUB/svc", "/EE/GOV/1/SUB/svc", "/r1/EE/GOV/1/SUB"])
def test_other_prefixes_and_short_ids_are_refused(path: str) -> None:
    with pytest.raises(XRoadError):
        rest.parse_target(path)


def test_build_target_round_trips() -> None:
    service = ServiceId(ClientId("EE", "GOV", "a b", "SUB"), "svc")
    target = rest.build_target(service, "/x/y", "q=1")
    assert target == "/r1/EE/GOV/a%20b/SUB/svc/x/y?q=1"
    parsed = rest.parse_target(target)
    assert (parsed.service, parsed.service_path, parsed.query) == (service, "/x/y", "q=1")


def test_headers_are_parsed_case_insensitively() -> None:
    fields = rest.parse_headers(
        [
            ("x-road-client", "EE/GOV/1234/SUB"),
            ("X-Road-Id", "abc"),
            ("X-Road-UserId", "EE123"),
            ("X-Road-Security-Server", "EE/GOV/1234/SS1"),
            ("X-Road-Represented-Party", "COM/777"),
        ]
    )
    assert fields.client == SUB
    assert fields.message_id == "abc"
    assert fields.user_id == "EE123"
    assert fields.security_server == SecurityServerId(SUB.member, "SS1")
    assert fields.represented_party is not None
    assert (fields.represented_party.party_class, fields.represented_party.party_code) == (
        "COM",
        "777",
    )


def test_client_header_is_required_once() -> None:
    with pytest.raises(XRoadError) as caught:
        rest.parse_headers([("Accept", "application/json")])
    assert caught.value.code is Code.MISSING_HEADER_FIELD
    with pytest.raises(XRoadError) as caught:
        rest.parse_headers([("X-Road-Client", "EE/GOV/1"), ("X-Road-Client", "EE/GOV/2")])
    assert caught.value.code is Code.DUPLICATE_HEADER_FIELD


def test_hop_by_hop_headers_are_dropped() -> None:
    kept = rest.end_to_end_headers(
        [
            ("Connection", "close, X-Secret"),
            ("X-Secret", "1"),
            ("Transfer-Encoding", "chunked"),
            ("Host", "a"),
            ("Accept", "*/*"),
            ("X-Road-Client", "EE/GOV/1"),
        ]
    )
    assert kept == [("Accept", "*/*"), ("X-Road-Client", "EE/GOV/1")]


def test_header_part_wire_format() -> None:
    part = rest_part.RestRequestPart(
        "GET", "/r1/EE/GOV/1/SUB/svc?a=1", (("Accept", "*/*"), ("x-road-id", " sp"))
    )
    encoded = part.encode()
    assert encoded == b"GET\r\n/r1/EE/GOV/1/SUB/svc?a=1\r\nAccept:*/*\r\nx-road-id: sp\r\n"
    assert rest_part.decode_request(encoded) == part  # values are not trimmed


def test_response_part_round_trips() -> None:
    part = rest_part.RestResponsePart(200, "OK", (("Content-Type", "application/json"),))
    assert rest_part.decode_response(part.encode()) == part
    with pytest.raises(XRoadError):
        rest_part.decode_response(b"OK\r\n200\r\n")


def test_request_hash_covers_header_part_then_body() -> None:
    header = b"GET\r\n/r1/EE/GOV/1/SUB/svc\r\n"
    inner = hashlib.sha512(header).digest()
    assert rest_part.request_hash(header, None) == base64.b64encode(inner).decode()
    outer = hashlib.sha512(inner + hashlib.sha512(b"{}").digest()).digest()
    assert rest_part.request_hash(header, b"{}") == base64.b64encode(outer).decode()
    assert len(rest_part.request_hash(header, b"{}")) == 88
