"""Property tests (ARCHITECTURE rule 10): the directory parser never fails except with
``MalformedGlobalConf``, whatever bytes it gets, and mutations of a real directory never verify
unless they leave the signed bytes and signature intact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.globalconf.conftest import NOW, SigningKey
from vdx.errors import Code, XRoadError
from vdx.globalconf import parse_directory, parse_shared_params, verify_directory

_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_malformed_or_parse(data: bytes) -> None:
    code = None
    try:
        parse_directory(data)
    except XRoadError as error:
        code = error.code
    assert code in {None, Code.MALFORMED_GLOBALCONF}


@given(st.binary(max_size=500))
def test_arbitrary_bytes_as_shared_params(data: bytes) -> None:
    code = None
    try:
        parse_shared_params(data)
    except XRoadError as error:
        code = error.code
    assert code in {None, Code.MALFORMED_GLOBALCONF}


@_SETTINGS
@given(data=st.data())
def test_single_byte_changes_never_verify_silently(
    rsa_key: SigningKey, data: st.DataObject
) -> None:
    stored = rsa_key.produce().stored()
    at = data.draw(st.integers(0, len(stored) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != stored[at]))
    mutated = stored[:at] + bytes([value]) + stored[at + 1 :]
    original = parse_directory(stored)
    try:
        verified = verify_directory(mutated, None, rsa_key.anchor(), NOW)
    except XRoadError:
        return
    # Only changes outside the signed bytes (headers of the envelope, line ends) may pass.
    assert verified.signed_data == original.signed_data
    assert verified.signature == original.signature
