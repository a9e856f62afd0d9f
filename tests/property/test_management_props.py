"""Management request codec (vdx/message/management.py): fails clean, round-trips.

The registration service decodes bytes from anyone on the network before any signature is
checked, so every input must end in a decoded request or an XRoadError, never another
exception; and what the encoder writes, the decoder reads back unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid

from hypothesis import given
from hypothesis import strategies as st

from tests.property import strategies as gen
from vdx.errors import XRoadError
from vdx.identifiers import ServiceId
from vdx.message import multipart
from vdx.message.management import (
    SCHEMA,
    ManagementBody,
    RequestType,
    SignaturePart,
    decode_request,
    decode_response,
    encode_envelope,
    encode_request,
    encode_response,
)
from vdx.message.soap_model import SoapHeader

_TYPES = st.sampled_from(
    ["text/xml", "multipart/related; boundary=b", "multipart/related", "application/json", ""]
)
# Text fields are stored stripped and may not hold control characters.
_texts = gen.no_control_text.map(str.strip)
_ATTRS = {"authCert": "auth_cert", "subsystemName": "subsystem_name"}


@st.composite
def bodies(draw: st.DrawFn) -> ManagementBody:
    kind = draw(st.sampled_from(list(RequestType)))
    values: dict[str, object] = {}
    for name, required in SCHEMA[kind]:
        if not required and draw(st.booleans()):
            continue
        if name == "server":
            values[name] = draw(gen.security_servers)
        elif name == "client":
            values[name] = draw(gen.members if kind is RequestType.OWNER_CHANGE else gen.clients)
        elif name == "authCert":
            values[name] = draw(st.binary(min_size=1, max_size=64))
        else:
            values[name] = draw(_texts)
    return ManagementBody(type=kind, **{_ATTRS.get(k, k): v for k, v in values.items()})  # type: ignore[arg-type]


def _soap(body: ManagementBody) -> bytes:
    header = SoapHeader(
        client=body.server.owner,
        service=ServiceId(body.server.owner, str(body.type)),
        id=str(uuid.uuid4()),
        protocol_version="4.0",
    )
    return encode_envelope(header, body)


@given(st.binary(max_size=400), _TYPES)
def test_arbitrary_bytes_raise_only_xroad_error(data: bytes, content_type: str) -> None:
    with contextlib.suppress(XRoadError):
        decode_request(data, content_type)


@given(bodies(), st.lists(st.binary(max_size=30), min_size=0, max_size=7), st.data())
def test_mangled_multiparts_raise_only_xroad_error(
    body: ManagementBody, blobs: list[bytes], data: st.DataObject
) -> None:
    soap = _soap(body)
    cut = data.draw(st.integers(0, len(soap)))
    parts = [multipart.Part((("Content-Type", "text/xml"),), soap[:cut] + soap[cut + 1 :])]
    parts += [multipart.Part((("Content-Type", "application/octet-stream"),), b) for b in blobs]
    with contextlib.suppress(XRoadError):
        decode_request(multipart.build(parts, "bnd"), "multipart/related; boundary=bnd")


@given(bodies())
def test_plain_soap_round_trip(body: ManagementBody) -> None:
    request = decode_request(_soap(body), "text/xml; charset=UTF-8")
    assert request.body == body


@given(bodies(), st.integers(0, 10**17))
def test_response_round_trip(body: ManagementBody, request_id: int) -> None:
    request = decode_request(_soap(body), "text/xml")
    decoded = decode_response(encode_response(request, request_id))
    assert decoded.request_id == request_id
    assert decoded == dataclasses.replace(body, request_id=request_id)


@given(bodies(), st.binary(min_size=1, max_size=40), st.binary(min_size=1, max_size=40))
def test_multipart_round_trip(body: ManagementBody, sig: bytes, blob: bytes) -> None:
    soap = _soap(body)
    with_auth = body.type is RequestType.AUTH_CERT_REG
    data, ctype = encode_request(
        soap,
        owner_signature=SignaturePart("SHA256withRSA", sig),
        owner_cert=blob,
        owner_ocsp=blob + b"o",
        auth_signature=SignaturePart("SHA512withRSA", sig + b"a") if with_auth else None,
        auth_cert=body.auth_cert if with_auth else None,
    )
    request = decode_request(data, ctype)
    assert request.soap.xml == soap
    assert request.body == body
    assert request.owner_signature == SignaturePart("SHA256withRSA", sig)
    assert (request.owner_cert, request.owner_ocsp) == (blob, blob + b"o")
    if with_auth:
        assert request.auth_cert_part == body.auth_cert
