"""Certificate validation against the trust configuration, with the clock moved explicitly."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.unit.crypto import pki
from tests.unit.crypto.pki import NOT_AFTER, NOT_BEFORE, NOW, key, make_cert, name
from vdx.crypto import certs
from vdx.errors import Code, XRoadError


def _ocsp(cert, **kw):  # type: ignore[no-untyped-def]
    return pki.ocsp_response(cert, pki.pki().intermediate, **kw)


def _fails(cert, purpose="sign", trust=None, ocsp_der=None, now=NOW) -> XRoadError:  # type: ignore[no-untyped-def]
    p = pki.pki()
    with pytest.raises(XRoadError) as caught:
        certs.validate_certificate(
            cert,
            purpose,
            trust or p.trust(),
            _ocsp(cert) if ocsp_der is None else ocsp_der,
            now,
        )
    return caught.value


def test_sign_certificate_validates_through_the_intermediate() -> None:
    p = pki.pki()
    result = certs.validate_certificate(p.sign, "sign", p.trust(), _ocsp(p.sign), NOW)
    assert result.chain == (p.sign, p.intermediate, p.root)
    assert result.issuer == p.intermediate
    assert result.ca.name == "VDX Test CA"
    assert result.ocsp is not None
    assert result.ocsp.status == "good"


def test_auth_certificate_validates() -> None:
    p = pki.pki()
    result = certs.validate_certificate(
        p.auth, "auth", p.trust(), [_ocsp(p.sign), _ocsp(p.auth)], NOW
    )
    assert result.ocsp is not None
    assert result.ocsp.serial_number == p.auth.serial_number


def test_expired_certificate() -> None:
    p = pki.pki()
    later = NOT_AFTER + timedelta(days=1)
    error = _fails(p.sign, now=later, ocsp_der=_ocsp(p.sign, this_update=later))
    assert error.code == Code.CERT_VALIDITY_TIME
    assert "expired" in error.message


def test_not_yet_valid_certificate() -> None:
    p = pki.pki()
    young = make_cert(
        name("0102030405", O="GOV"),
        key("sign"),
        p.intermediate,
        key("inter"),
        usage={"content_commitment": True},
        not_before=NOW + timedelta(days=1),
    )
    error = _fails(young)
    assert error.code == Code.CERT_VALIDITY_TIME
    assert "not yet valid" in error.message


def test_expired_intermediate_fails_the_path() -> None:
    p = pki.pki()
    old_inter = make_cert(
        p.intermediate.subject,
        key("inter"),
        p.root,
        key("root"),
        ca=True,
        not_before=NOT_BEFORE,
        not_after=NOW - timedelta(days=1),
    )
    trust = p.trust()
    trust = dataclasses.replace(
        trust, cas=(dataclasses.replace(trust.cas[0], intermediates=(old_inter,)),)
    )
    assert _fails(p.sign, trust=trust).code == Code.CERT_VALIDITY_TIME


def test_unknown_issuer_cannot_create_path() -> None:
    p = pki.pki()
    stranger = make_cert(
        name("x", O="GOV"),
        key("sign"),
        p.other_root,
        key("other"),
        usage={"content_commitment": True},
    )
    error = _fails(stranger, ocsp_der=b"")
    assert error.code == Code.CANNOT_CREATE_CERT_PATH


def test_forged_issuer_name_is_an_invalid_path() -> None:
    p = pki.pki()
    # Names the intermediate as issuer but is signed by a key nobody approved.
    forged = make_cert(
        name("0102030405", O="GOV"),
        key("sign"),
        p.intermediate,
        key("other"),
        usage={"content_commitment": True},
    )
    assert _fails(forged, ocsp_der=b"").code == Code.INVALID_CERT_PATH


def test_issuer_that_is_not_a_ca_is_an_invalid_path() -> None:
    p = pki.pki()
    fake_ca = make_cert(
        name("Not A CA", O="VDX"),
        key("responder"),
        p.root,
        key("root"),
        usage={"key_cert_sign": True},
    )
    child = make_cert(
        name("child", O="GOV"),
        key("sign"),
        fake_ca,
        key("responder"),
        usage={"content_commitment": True},
    )
    trust = p.trust()
    trust = dataclasses.replace(
        trust, cas=(dataclasses.replace(trust.cas[0], intermediates=(fake_ca, p.intermediate)),)
    )
    assert _fails(child, trust=trust, ocsp_der=b"").code == Code.INVALID_CERT_PATH


def test_wrong_key_usage_for_signing() -> None:
    p = pki.pki()
    error = _fails(p.auth, purpose="sign")
    assert error.code == Code.INCORRECT_CERTIFICATE
    assert "nonRepudiation" in error.message


def test_wrong_key_usage_for_authentication() -> None:
    p = pki.pki()
    error = _fails(p.sign, purpose="auth")
    assert error.code == Code.INCORRECT_CERTIFICATE
    assert "digitalSignature" in error.message


def test_auth_certificate_with_unrelated_eku_is_rejected() -> None:
    p = pki.pki()
    odd = make_cert(
        name("SS2", O="GOV"),
        key("auth"),
        p.intermediate,
        key("inter"),
        usage={"digital_signature": True},
        eku=[ExtendedKeyUsageOID.CODE_SIGNING],
    )
    error = _fails(odd, purpose="auth")
    assert error.code == Code.INCORRECT_CERTIFICATE
    assert "extended key usage" in error.message


def test_authentication_only_ca_issues_no_signing_certificates() -> None:
    p = pki.pki()
    trust = p.trust()
    trust = dataclasses.replace(
        trust, cas=(dataclasses.replace(trust.cas[0], authentication_only=True),)
    )
    error = _fails(p.sign, trust=trust)
    assert error.code == Code.INCORRECT_CERTIFICATE
    certs.validate_certificate(p.auth, "auth", trust, _ocsp(p.auth), NOW)


def test_revoked_certificate() -> None:
    p = pki.pki()
    error = _fails(p.sign, ocsp_der=_ocsp(p.sign, status="revoked"))
    assert error.code == Code.CERT_VALIDATION


def test_stale_ocsp_with_configured_freshness() -> None:
    p = pki.pki()
    der = _ocsp(p.sign, this_update=NOW - timedelta(minutes=20))
    trust = p.trust(ocsp_freshness_seconds=600)
    assert _fails(p.sign, trust=trust, ocsp_der=der).code == Code.INCORRECT_VALIDATION_INFO
    certs.validate_certificate(p.sign, "sign", p.trust(), der, NOW)


def test_missing_ocsp_response() -> None:
    p = pki.pki()
    with pytest.raises(XRoadError) as caught:
        certs.validate_certificate(p.sign, "sign", p.trust(), None, NOW)
    assert caught.value.code == Code.MISSING_VALIDATION_INFO
    result = certs.validate_certificate(p.sign, "sign", p.trust(), None, NOW, require_ocsp=False)
    assert result.ocsp is None


def test_ocsp_for_another_certificate_only() -> None:
    p = pki.pki()
    assert _fails(p.sign, ocsp_der=[_ocsp(p.auth)]).code == Code.INCORRECT_VALIDATION_INFO


def test_load_certificate_accepts_der_and_pem_and_rejects_garbage() -> None:
    p = pki.pki()
    der = p.sign.public_bytes(serialization.Encoding.DER)
    pem = p.sign.public_bytes(serialization.Encoding.PEM)
    assert certs.load_certificate(der) == certs.load_certificate(pem) == p.sign
    with pytest.raises(XRoadError) as caught:
        certs.load_certificate(b"not a certificate")
    assert caught.value.code == Code.INCORRECT_CERTIFICATE


def test_several_candidates_none_applying() -> None:
    p = pki.pki()
    error = _fails(p.sign, ocsp_der=[_ocsp(p.auth), _ocsp(p.auth)])
    assert error.code == Code.INCORRECT_VALIDATION_INFO
    assert "none of 2" in error.message


def test_intermediate_ocsp_when_asked() -> None:
    p = pki.pki()
    for_inter = pki.ocsp_response(
        p.intermediate, p.root, responder=p.root, responder_key=key("root")
    )
    trust = p.trust()
    with pytest.raises(XRoadError) as caught:
        certs.validate_certificate(
            p.sign, "sign", trust, [_ocsp(p.sign)], NOW, check_intermediate_ocsp=True
        )
    assert caught.value.code == Code.INCORRECT_VALIDATION_INFO
    result = certs.validate_certificate(
        p.sign, "sign", trust, [for_inter, _ocsp(p.sign)], NOW, check_intermediate_ocsp=True
    )
    assert result.ocsp is not None
    assert result.ocsp.serial_number == p.sign.serial_number
    revoked = pki.ocsp_response(
        p.intermediate, p.root, responder=p.root, responder_key=key("root"), status="revoked"
    )
    with pytest.raises(XRoadError) as caught:
        certs.validate_certificate(
            p.sign, "sign", trust, [revoked, _ocsp(p.sign)], NOW, check_intermediate_ocsp=True
        )
    assert caught.value.code == Code.CERT_VALIDATION
