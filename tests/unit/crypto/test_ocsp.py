"""OCSP response checks: every rejection path, with the clock moved explicitly."""

from __future__ import annotations

import contextlib
import functools
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509 import ocsp as cocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.crypto import pki
from tests.unit.crypto.pki import NOW
from vdx.crypto import ocsp
from vdx.errors import Code, XRoadError


def _verify(der: bytes, now=NOW, **options):  # type: ignore[no-untyped-def]
    p = pki.pki()
    return ocsp.verify_response(
        der, issuer=p.intermediate, serial_number=p.sign.serial_number, now=now, **options
    )


def test_good_response_from_delegated_responder_is_accepted() -> None:
    p = pki.pki()
    info = _verify(pki.ocsp_response(p.sign, p.intermediate))
    assert info.status == "good"
    assert info.serial_number == p.sign.serial_number
    assert info.responder_cert == p.responder
    assert "VDX Test OCSP" in info.responder


def test_response_signed_by_the_ca_itself_is_accepted() -> None:
    p = pki.pki()
    der = pki.ocsp_response(
        p.sign, p.intermediate, responder=p.intermediate, responder_key=pki.key("inter")
    )
    assert _verify(der).responder_cert == p.intermediate


def test_responder_identified_by_key_hash_is_found() -> None:
    p = pki.pki()
    info = _verify(pki.ocsp_response(p.sign, p.intermediate, by_key=True))
    assert info.responder.startswith("keyhash:")


def test_responder_listed_in_configuration_is_authorised_without_eku() -> None:
    p = pki.pki()
    # The TSA certificate stands in for a responder the configuration lists explicitly.
    der = pki.ocsp_response(
        p.sign, p.intermediate, responder=p.tsa, responder_key=pki.key("tsa"), include_certs=False
    )
    with pytest.raises(XRoadError):
        _verify(der)
    assert _verify(der, trusted_responders=[p.tsa]).status == "good"


def test_revoked_certificate_is_rejected_with_reason_and_time() -> None:
    p = pki.pki()
    when = NOW - timedelta(days=2)
    der = pki.ocsp_response(
        p.sign,
        p.intermediate,
        status="revoked",
        revocation_time=when,
        reason=x509.ReasonFlags.key_compromise,
    )
    with pytest.raises(XRoadError) as caught:
        _verify(der)
    assert caught.value.code == Code.CERT_VALIDATION
    assert "key_compromise" in caught.value.message
    assert str(when.year) in caught.value.message


def test_unknown_status_is_rejected() -> None:
    p = pki.pki()
    with pytest.raises(XRoadError) as caught:
        _verify(pki.ocsp_response(p.sign, p.intermediate, status="unknown"))
    assert caught.value.code == Code.CERT_VALIDATION
    assert "unknown" in caught.value.message


def test_stale_response_is_rejected_and_freshness_is_configurable() -> None:
    p = pki.pki()
    der = pki.ocsp_response(p.sign, p.intermediate, this_update=NOW - timedelta(seconds=3601))
    with pytest.raises(XRoadError) as caught:
        _verify(der)
    assert caught.value.code == Code.INCORRECT_VALIDATION_INFO
    assert "too old" in caught.value.message
    assert _verify(der, freshness_seconds=7200).status == "good"
    # Exactly at the limit is still fresh.
    assert _verify(der, now=NOW - timedelta(seconds=1)).status == "good"


def test_future_dated_response_is_rejected_beyond_clock_skew() -> None:
    p = pki.pki()
    der = pki.ocsp_response(p.sign, p.intermediate, this_update=NOW + timedelta(minutes=5))
    with pytest.raises(XRoadError) as caught:
        _verify(der)
    assert "future" in caught.value.message
    slightly = pki.ocsp_response(p.sign, p.intermediate, this_update=NOW + timedelta(seconds=30))
    assert _verify(slightly).status == "good"


def test_passed_next_update_is_rejected_unless_disabled() -> None:
    p = pki.pki()
    der = pki.ocsp_response(
        p.sign,
        p.intermediate,
        this_update=NOW - timedelta(minutes=30),
        next_update=NOW - timedelta(minutes=1),
    )
    with pytest.raises(XRoadError, match="nextUpdate"):
        _verify(der)
    assert _verify(der, verify_next_update=False).status == "good"


def test_responder_without_authority_is_rejected() -> None:
    p = pki.pki()
    # The auth certificate is issued by the CA but lacks id-kp-OCSPSigning.
    der = pki.ocsp_response(p.sign, p.intermediate, responder=p.auth, responder_key=pki.key("auth"))
    with pytest.raises(XRoadError) as caught:
        _verify(der)
    assert caught.value.code == Code.INCORRECT_VALIDATION_INFO
    assert "not authorised" in caught.value.message


def test_responder_from_another_ca_is_rejected() -> None:
    p = pki.pki()
    der = pki.ocsp_response(
        p.sign, p.intermediate, responder=p.other_root, responder_key=pki.key("other")
    )
    with pytest.raises(XRoadError, match="not authorised"):
        _verify(der)


def test_bad_signature_is_rejected() -> None:
    p = pki.pki()
    der = pki.ocsp_response(p.sign, p.intermediate, include_certs=False)
    with pytest.raises(XRoadError) as caught:
        _verify(pki.tamper_signature(der), trusted_responders=[p.responder])
    assert caught.value.code == Code.INCORRECT_VALIDATION_INFO
    assert "signature" in caught.value.message


def test_response_for_another_certificate_is_rejected() -> None:
    p = pki.pki()
    der = pki.ocsp_response(p.auth, p.intermediate)
    with pytest.raises(XRoadError, match="does not apply"):
        _verify(der)


def test_response_for_another_issuer_is_rejected() -> None:
    p = pki.pki()
    der = pki.ocsp_response(p.sign, p.intermediate)
    with pytest.raises(XRoadError, match="does not apply"):
        ocsp.verify_response(der, issuer=p.root, serial_number=p.sign.serial_number, now=NOW)


def test_unsuccessful_and_malformed_responses_are_rejected() -> None:
    failed = cocsp.OCSPResponseBuilder.build_unsuccessful(
        cocsp.OCSPResponseStatus.TRY_LATER
    ).public_bytes(pki.serialization.Encoding.DER)
    with pytest.raises(XRoadError, match="TRY_LATER"):
        _verify(failed)
    with pytest.raises(XRoadError) as caught:
        _verify(b"\x30\x03\x0a\x01")
    assert caught.value.code == Code.INCORRECT_VALIDATION_INFO


def test_verify_for_certificate_and_describe() -> None:
    p = pki.pki()
    der = pki.ocsp_response(p.sign, p.intermediate)
    assert ocsp.verify_for_certificate(der, p.sign, p.intermediate, NOW).status == "good"
    [info] = ocsp.describe(der)
    assert info.serial_number == p.sign.serial_number
    assert info.responder_cert is None


def test_request_names_the_certificate_and_carries_the_nonce() -> None:
    p = pki.pki()
    der = ocsp.build_request(p.sign, p.intermediate, nonce=b"0123456789abcdef")
    request = cocsp.load_der_ocsp_request(der)
    assert request.serial_number == p.sign.serial_number
    assert (
        request.issuer_key_hash
        == x509.SubjectKeyIdentifier.from_public_key(p.intermediate.public_key()).digest
    )
    nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    assert nonce == b"0123456789abcdef"
    assert ocsp.responder_urls(p.sign) == []


def test_delegate_of_another_ca_in_the_same_hierarchy_is_not_authorised() -> None:
    p = pki.pki()
    # Has id-kp-OCSPSigning, but from the root: it may speak for the root's certificates only.
    root_delegate = pki.make_cert(
        pki.name("Root OCSP", O="VDX"),
        pki.key("responder"),
        p.root,
        pki.key("root"),
        usage={"digital_signature": True},
        eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    der = pki.ocsp_response(
        p.sign, p.intermediate, responder=root_delegate, responder_key=pki.key("responder")
    )
    with pytest.raises(XRoadError, match="not authorised"):
        _verify(der)


def test_delegated_responder_expired_when_it_answered() -> None:
    p = pki.pki()
    old = pki.make_cert(
        pki.name("Old OCSP", O="VDX"),
        pki.key("responder"),
        p.intermediate,
        pki.key("inter"),
        usage={"digital_signature": True},
        eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
        not_after=NOW - timedelta(days=1),
    )
    der = pki.ocsp_response(
        p.sign, p.intermediate, responder=old, responder_key=pki.key("responder")
    )
    with pytest.raises(XRoadError, match="not valid when it signed"):
        _verify(der)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_xroad_errors(data: bytes) -> None:
    p = pki.pki()
    with pytest.raises(XRoadError):
        ocsp.verify_response(data, issuer=p.intermediate, serial_number=1, now=NOW)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=1344), st.integers(min_value=1, max_value=255))
def test_corrupted_responses_raise_only_xroad_errors(offset: int, flip: int) -> None:
    p = pki.pki()
    der = bytearray(_good_der())
    der[offset] ^= flip
    with contextlib.suppress(XRoadError):
        _verify(bytes(der), trusted_responders=[p.responder])


@functools.cache
def _good_der() -> bytes:
    p = pki.pki()
    return pki.ocsp_response(p.sign, p.intermediate)


def test_forged_certificate_with_the_ca_name_embedded_first_is_skipped() -> None:
    p = pki.pki()
    # A response signed by the CA, carrying a self-made certificate that copies the CA's name.
    impostor = pki.make_cert(p.intermediate.subject, pki.key("other"), None, pki.key("other"))
    good = pki.ocsp_response(
        p.sign, p.intermediate, responder=p.intermediate, responder_key=pki.key("inter")
    )
    response = cocsp.load_der_ocsp_response(good)
    assert response.responder_name == p.intermediate.subject

    def builder_for(signer: x509.Certificate) -> cocsp.OCSPResponseBuilder:
        return (
            cocsp.OCSPResponseBuilder()
            .add_response(
                cert=p.sign,
                issuer=p.intermediate,
                algorithm=pki.hashes.SHA256(),
                cert_status=cocsp.OCSPCertStatus.GOOD,
                this_update=NOW - timedelta(minutes=1),
                next_update=None,
                revocation_time=None,
                revocation_reason=None,
            )
            .responder_id(cocsp.OCSPResponderEncoding.NAME, signer)
            .certificates([impostor])
        )

    der = (
        builder_for(p.intermediate)
        .sign(pki.key("inter"), pki.hashes.SHA256())
        .public_bytes(pki.serialization.Encoding.DER)
    )
    assert _verify(der).responder_cert == p.intermediate
    # Signed by the impostor's key instead: its certificate verifies but has no authority.
    forged = (
        builder_for(impostor)
        .sign(pki.key("other"), pki.hashes.SHA256())
        .public_bytes(pki.serialization.Encoding.DER)
    )
    with pytest.raises(XRoadError, match="not authorised"):
        _verify(forged)
