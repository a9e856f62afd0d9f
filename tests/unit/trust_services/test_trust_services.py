"""The development CA's pure decisions: subject profiles, OCSP answers, TSA replies."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from trust_services import ocsp_responder, pki, profiles, tsa

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@cache
def ca() -> pki.Issuer:
    key = pki.new_key()
    return pki.Issuer(pki.root_ca(key, pki.name("Unit Root"), NOW), key)


@cache
def responder() -> pki.Issuer:
    key = pki.new_key()
    return pki.Issuer(pki.ocsp_responder(ca(), key, pki.name("Unit OCSP"), NOW), key)


@cache
def authority() -> pki.Issuer:
    key = pki.new_key("ec-p256")
    return pki.Issuer(pki.tsa(ca(), key, pki.name("Unit TSA"), NOW), key)


def csr(
    *attributes: tuple[x509.ObjectIdentifier, str], kind: str = "rsa2048"
) -> x509.CertificateSigningRequest:
    key = pki.new_key(kind)
    subject = x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


SIGN_SUBJECT = (
    (NameOID.COUNTRY_NAME, "EE"),
    (NameOID.ORGANIZATION_NAME, "GOV"),
    (NameOID.COMMON_NAME, "1234"),
)


def test_sign_profile_accepts_its_subject_and_issues_non_repudiation() -> None:
    request = csr(*SIGN_SUBJECT)
    profiles.check_csr(request, profiles.DEFAULT_PROFILES["sign"])
    cert = pki.end_entity(ca(), request, "sign", NOW)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment
    assert not usage.digital_signature


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        (SIGN_SUBJECT[:2], "lacks CN"),
        ((*SIGN_SUBJECT, (NameOID.ORGANIZATIONAL_UNIT_NAME, "x")), "OU"),
        ((*SIGN_SUBJECT, (NameOID.EMAIL_ADDRESS, "a@b")), "not allowed"),
        ((*SIGN_SUBJECT, (NameOID.COMMON_NAME, "again")), "more than once"),
    ],
)
def test_sign_profile_refuses_forged_subjects(
    attributes: tuple[tuple[x509.ObjectIdentifier, str], ...], reason: str
) -> None:
    with pytest.raises(profiles.CsrRejectedError, match=reason):
        profiles.check_csr(csr(*attributes), profiles.DEFAULT_PROFILES["sign"])


def test_fixed_values_are_enforced() -> None:
    rule = profiles.SubjectRule(required=frozenset({"C", "O", "CN"}), fixed={"C": "VN"})
    with pytest.raises(profiles.CsrRejectedError, match="must be 'VN'"):
        profiles.check_csr(csr(*SIGN_SUBJECT), rule)


def test_auth_certificates_serve_tls_both_ways() -> None:
    cert = pki.end_entity(ca(), csr((NameOID.COMMON_NAME, "SS1"), kind="ec-p256"), "auth", NOW)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {
        x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH,
        x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
    }


def _ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - RFC 6960 default
    return builder.build().public_bytes(serialization.Encoding.DER)


def _answer(request: bytes, record: ocsp_responder.CertRecord | None) -> ocsp.OCSPResponse:
    der = ocsp_responder.respond(
        request, issuer=ca().cert, responder=responder(), lookup=lambda _: record, now=NOW
    )
    return ocsp.load_der_ocsp_response(der)


def test_ocsp_good_revoked_unknown_and_foreign_ca() -> None:
    cert = pki.end_entity(ca(), csr(*SIGN_SUBJECT), "sign", NOW)
    request = _ocsp_request(cert, ca().cert)
    good = _answer(request, ocsp_responder.CertRecord(cert.serial_number))
    assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert good.next_update_utc is not None
    assert good.next_update_utc > good.this_update_utc
    revoked = _answer(
        request,
        ocsp_responder.CertRecord(cert.serial_number, NOW, x509.ReasonFlags.key_compromise),
    )
    assert revoked.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason is x509.ReasonFlags.key_compromise
    assert _answer(request, None).certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    other_key = pki.new_key()
    other = pki.Issuer(pki.root_ca(other_key, pki.name("Other"), NOW), other_key)
    foreign = _ocsp_request(pki.end_entity(other, csr(*SIGN_SUBJECT), "sign", NOW), other.cert)
    assert _answer(foreign, None).response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    assert (
        _answer(b"\x30\x03junk", None).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def _tsa_request(
    algorithm: str = "sha256", nonce: int | None = 7, policy: str | None = None
) -> bytes:
    digest = hashlib.new(algorithm, b"evidence").digest()
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
        "cert_req": True,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    if policy is not None:
        fields["req_policy"] = policy
    return bytes(tsp.TimeStampReq(fields).dump())


def test_tsa_grants_with_nonce_serial_and_policy() -> None:
    reply = tsa.respond(_tsa_request(nonce=99), authority(), serial=5, now=NOW)
    assert reply.granted
    token = tsp.TimeStampResp.load(reply.der)["time_stamp_token"]
    info = token["content"]["encap_content_info"]["content"].parsed
    assert (info["serial_number"].native, info["nonce"].native) == (5, 99)
    assert info["policy"].native == tsa.DEFAULT_POLICY
    assert len(token["content"]["certificates"]) == 1


@pytest.mark.parametrize(
    ("request_der", "reason"),
    [
        (_tsa_request("sha1"), "unsupported hash algorithm"),
        (_tsa_request(policy="1.2.3.4"), "is not offered"),
        (b"\x30\x00", "not a DER TimeStampReq"),
        (b"x" * (tsa.MAX_REQUEST_BYTES + 1), "too large"),
    ],
)
def test_tsa_rejects_with_a_reason(request_der: bytes, reason: str) -> None:
    reply = tsa.respond(request_der, authority(), serial=1, now=NOW)
    assert not reply.granted
    assert reason in reply.reason
