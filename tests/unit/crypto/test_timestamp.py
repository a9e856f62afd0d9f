"""RFC 3161 requests and token verification against approved TSAs."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
from datetime import timedelta

import pytest
from asn1crypto import tsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.crypto import pki
from tests.unit.crypto.pki import NOW, key, make_cert, name
from vdx.crypto import timestamp
from vdx.crypto.trust import ApprovedTSA
from vdx.errors import Code, XRoadError

DATA = b"signature value or hash-chain result"


def _fails(token: bytes, **kw) -> XRoadError:  # type: ignore[no-untyped-def]
    kw.setdefault("data", DATA)
    kw.setdefault("trust", pki.pki().trust())
    with pytest.raises(XRoadError) as caught:
        timestamp.verify_timestamp(token, **kw)
    assert caught.value.code == Code.TIMESTAMP_VALIDATION
    return caught.value


@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
def test_request_carries_imprint_nonce_and_cert_req(hash_name: str) -> None:
    request = timestamp.build_request(DATA, hash_name=hash_name)
    parsed = tsp.TimeStampReq.load(request.der).native
    assert parsed["message_imprint"]["hash_algorithm"]["algorithm"] == hash_name
    assert parsed["message_imprint"]["hashed_message"] == hashlib.new(hash_name, DATA).digest()
    assert parsed["nonce"] == request.nonce
    assert request.nonce is not None
    assert parsed["cert_req"] is True


def test_request_without_nonce_and_unsupported_hash() -> None:
    assert (
        tsp.TimeStampReq.load(timestamp.build_request(DATA, nonce=None).der).native["nonce"] is None
    )
    assert timestamp.build_request(DATA, nonce=7).nonce == 7
    with pytest.raises(XRoadError) as caught:
        timestamp.build_request(DATA, hash_name="md5")
    assert caught.value.code == Code.UNSUPPORTED_ALGORITHM


@pytest.mark.parametrize("as_response", [False, True])
def test_valid_token_or_response_is_accepted(as_response: bool) -> None:
    p = pki.pki()
    token = pki.timestamp_token(DATA, nonce=99, as_response=as_response)
    info = timestamp.verify_timestamp(token, data=DATA, trust=p.trust(), nonce=99)
    assert info.gen_time == NOW
    assert info.tsa_cert == p.tsa
    assert info.nonce == 99
    assert info.hash_name == "sha256"
    assert info.token_der == timestamp.token_from_response(token)
    assert timestamp.embedded_tsa_certificates(token) == [p.tsa]


def test_precomputed_imprint_is_accepted() -> None:
    token = pki.timestamp_token(DATA, hash_name="sha512")
    info = timestamp.verify_timestamp(
        token, imprint=hashlib.sha512(DATA).digest(), trust=pki.pki().trust()
    )
    assert info.hash_name == "sha512"


def test_token_without_embedded_certificate_uses_the_configured_one() -> None:
    token = pki.timestamp_token(DATA, include_cert=False)
    timestamp.verify_timestamp(token, data=DATA, trust=pki.pki().trust())


def test_imprint_mismatch() -> None:
    error = _fails(pki.timestamp_token(b"other data"))
    assert "imprint" in error.message


def test_nonce_mismatch() -> None:
    assert "nonce" in _fails(pki.timestamp_token(DATA, nonce=1), nonce=2).message
    assert "nonce" in _fails(pki.timestamp_token(DATA), nonce=2).message


def test_wrong_tsa() -> None:
    p = pki.pki()
    rogue = make_cert(
        name("Rogue TSA"),
        key("other"),
        p.other_root,
        key("other"),
        usage={"digital_signature": True},
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=True,
    )
    token = pki.timestamp_token(DATA, tsa=rogue, tsa_key=key("other"))
    error = _fails(token)
    assert "Rogue TSA" in error.message
    assert "not an approved TSA" in error.message


def test_tsa_certificate_without_critical_eku() -> None:
    p = pki.pki()
    soft = make_cert(
        name("Soft TSA"),
        key("tsa"),
        p.root,
        key("root"),
        usage={"digital_signature": True},
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=False,
    )
    trust = p.trust(tsas=(ApprovedTSA("soft", "http://x.invalid/", soft),))
    error = _fails(pki.timestamp_token(DATA, tsa=soft, tsa_key=key("tsa")), trust=trust)
    assert "critical" in error.message


def test_tsa_certificate_not_valid_at_gen_time() -> None:
    late = NOW + timedelta(days=365 * 10)
    assert "not valid at genTime" in _fails(pki.timestamp_token(DATA, gen_time=late)).message


def test_bad_signature() -> None:
    token = pki.tamper_signature(pki.timestamp_token(DATA))
    assert "signature" in _fails(token).message


def test_signer_key_differs_from_configured_certificate() -> None:
    p = pki.pki()
    # A token naming the approved TSA certificate but signed with another key.
    token = pki.timestamp_token(DATA, tsa=p.tsa, tsa_key=key("other"))
    assert "signature" in _fails(token).message


def test_message_digest_attribute_mismatch() -> None:
    token = pki.timestamp_token(DATA, tamper_message_digest=True)
    assert "message digest" in _fails(token).message


def test_rejected_and_malformed_responses() -> None:
    status = tsp.PKIStatusInfo({"status": "rejection", "status_string": ["bad alg"]}).dump()
    refused = b"\x30" + bytes([len(status)]) + status  # TimeStampResp without a token
    assert "refused" in _fails(refused).message
    assert "malformed" in _fails(b"\x30\x03\x02\x01\x00").message
    assert "malformed" in _fails(b"garbage").message


def test_trust_with_no_tsas_rejects_everything() -> None:
    trust = dataclasses.replace(pki.pki().trust(), tsas=())
    _fails(pki.timestamp_token(DATA), trust=trust)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_xroad_errors(data: bytes) -> None:
    with pytest.raises(XRoadError):
        timestamp.verify_timestamp(data, data=DATA, trust=pki.pki().trust())


@settings(max_examples=40, deadline=None)  # malformed DER re-encodes slowly
@given(st.data())
def test_corrupted_tokens_raise_only_xroad_errors(draw: st.DataObject) -> None:
    token = bytearray(_good_token())
    offset = draw.draw(st.integers(min_value=0, max_value=len(token) - 1))
    token[offset] ^= draw.draw(st.integers(min_value=1, max_value=255))
    with contextlib.suppress(XRoadError):
        timestamp.verify_timestamp(bytes(token), data=DATA, trust=pki.pki().trust())


@functools.cache
def _good_token() -> bytes:
    return pki.timestamp_token(DATA, nonce=3)


def test_signing_certificate_v1_attribute_is_accepted() -> None:
    token = pki.timestamp_token(DATA, signing_cert="v1")
    timestamp.verify_timestamp(token, data=DATA, trust=pki.pki().trust())


def test_signing_certificate_attribute_naming_another_certificate() -> None:
    error = _fails(pki.timestamp_token(DATA, signing_cert="wrong"))
    assert "signing-certificate" in error.message


def test_missing_signing_certificate_attribute() -> None:
    error = _fails(pki.timestamp_token(DATA, signing_cert="none"))
    assert "lacks the signing-certificate" in error.message


def test_gen_time_in_the_future_is_refused_when_now_is_given() -> None:
    token = pki.timestamp_token(DATA, gen_time=NOW + timedelta(minutes=10))
    trust = pki.pki().trust()
    assert "future" in _fails(token, now=NOW).message
    timestamp.verify_timestamp(token, data=DATA, trust=trust, now=NOW + timedelta(minutes=9))
    timestamp.verify_timestamp(token, data=DATA, trust=trust)
