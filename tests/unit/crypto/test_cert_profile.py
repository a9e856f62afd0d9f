"""Declarative certificate profiles: subject -> member / server, and CSR subjects."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.unit.crypto import pki
from tests.unit.crypto.pki import key, make_cert
from vdx.crypto import cert_profile
from vdx.crypto.cert_profile import CertProfile
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, SecurityServerId

OIDS = {
    "C": NameOID.COUNTRY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "orgId": NameOID.ORGANIZATION_IDENTIFIER,
}


def cert_with(**attrs: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(OIDS[k], v) for k, v in attrs.items()])
    p = pki.pki()
    return make_cert(
        subject, key("sign"), p.intermediate, key("inter"), usage={"content_commitment": True}
    )


def cert_with_name(subject: x509.Name) -> x509.Certificate:
    p = pki.pki()
    return make_cert(
        subject, key("sign"), p.intermediate, key("inter"), usage={"content_commitment": True}
    )


def test_ejbca_profile_reads_c_o_cn() -> None:
    profile = cert_profile.builtin()
    cert = cert_with(C="VN", O="GOV", CN="0102030405")
    assert profile.member_of(cert) == ClientId("VN", "GOV", "0102030405")


def test_ejbca_csr_subjects() -> None:
    profile = cert_profile.builtin("ejbca")
    member = ClientId("VN", "GOV", "0102030405")
    assert profile.sign_csr_subject(member).rfc4514_string() == "CN=0102030405,O=GOV,C=VN"
    server = SecurityServerId(member, "SS1")
    assert profile.auth_csr_subject(server).rfc4514_string() == "CN=SS1,C=VN"


def test_ejbca_auth_subject_names_no_owner() -> None:
    profile = cert_profile.builtin()
    with pytest.raises(XRoadError) as caught:
        profile.server_of(cert_with(C="VN", CN="SS1"))
    assert caught.value.code == Code.INCORRECT_CERTIFICATE


def test_missing_field_does_not_fit_the_profile() -> None:
    with pytest.raises(XRoadError) as caught:
        cert_profile.builtin().member_of(cert_with(C="VN", CN="0102030405"))
    assert caught.value.code == Code.INCORRECT_CERTIFICATE
    assert "does not fit" in caught.value.message


def test_fi_profile_serial_number_layout() -> None:
    profile = cert_profile.builtin("fi-vrk")
    cert = cert_with(C="FI", O="ACME", serialNumber="FI-TEST/ss1/PUB", CN="1234567-8")
    assert profile.member_of(cert) == ClientId("FI-TEST", "PUB", "1234567-8")


def test_fi_profile_legacy_and_fallback_layouts() -> None:
    profile = cert_profile.builtin(
        "ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider"
    )
    legacy = cert_with(C="FI", O="FI-TEST", OU="PUB", CN="1234567-8")
    assert profile.member_of(legacy) == ClientId("FI-TEST", "PUB", "1234567-8")
    plain = cert_with(C="EE", O="COM", CN="123")
    assert profile.member_of(plain) == ClientId("EE", "COM", "123")


def test_fi_auth_profile_names_the_server_and_the_csr_round_trips() -> None:
    profile = cert_profile.builtin("fi-vrk")
    owner = ClientId("FI-TEST", "PUB", "1234567-8")
    subject = profile.sign_csr_subject(owner, member_name="ACME")
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER) == []  # no server code given
    full = profile.sign_csr_subject(owner, member_name="ACME", server_code="ss1")
    assert full.rfc4514_string() == "CN=1234567-8,2.5.4.5=FI-TEST/ss1/PUB,O=ACME,C=FI"
    assert profile.member_of(cert_with_name(full)) == owner
    server = SecurityServerId(owner, "ss1")
    auth_subject = profile.auth_csr_subject(server, member_name="ACME")
    assert auth_subject.rfc4514_string() == "2.5.4.5=FI-TEST/ss1/PUB,O=ACME,C=FI"
    cert = cert_with(C="FI", O="ACME", serialNumber="FI-TEST/ss1/PUB", CN="1234567-8")
    with pytest.raises(XRoadError):
        profile.server_of(cert)  # the auth variant reads no owner code from the subject


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ({"orgId": "NTREE-10000001", "CN": "Firma"}, ("COM", "10000001")),
        ({"orgId": "GO:EE-70000001", "CN": "Amet"}, ("GOV", "70000001")),
        ({"orgId": "NP:EE-80000001", "CN": "Selts"}, ("NGO", "80000001")),
        ({"orgId": "VATFI-12345678", "CN": "Oy"}, ("NEE", "VATFI-12345678")),
        ({"serialNumber": "12345678", "CN": "Firma"}, ("COM", "12345678")),
        ({"serialNumber": "70000001", "CN": "Amet"}, ("GOV", "70000001")),
        ({"serialNumber": "90000001", "CN": "Selts"}, ("NGO", "90000001")),
    ],
)
def test_sk_klass3_profile(attrs: dict[str, str], expected: tuple[str, str]) -> None:
    profile = cert_profile.builtin("sk-klass3")
    assert profile.member_of(cert_with(C="EE", **attrs), instance="EE") == ClientId("EE", *expected)


@pytest.mark.parametrize("serial", ["0000001", "01234567", "123456789", "abcdefgh"])
def test_sk_klass3_rejects_malformed_serial_numbers(serial: str) -> None:
    profile = cert_profile.builtin("sk-klass3")
    with pytest.raises(XRoadError):
        profile.member_of(cert_with(C="EE", serialNumber=serial, CN="x"), instance="EE")


def test_custom_description_with_regex_constant_and_oid() -> None:
    profile = CertProfile.from_description(
        {
            "name": "vn-gov",
            "sign": [
                {
                    "instance": "const:VN",
                    "member_class": "subject:2.5.4.10",
                    "member_code": r"subject:serialNumber~^MST:(\d+)$",
                }
            ],
            "auth": [
                {
                    "instance": "config:instance",
                    "member_class": "subject:O",
                    "member_code": r"subject:serialNumber~^MST:(\d+)$",
                    "server_code": "subject:CN",
                }
            ],
            "sign_csr": [
                ["C", "VN"],
                ["O", "{member_class}"],
                ["serialNumber", "MST:{member_code}"],
            ],
        }
    )
    cert = cert_with(C="VN", O="GOV", serialNumber="MST:0102030405", CN="ss1")
    assert profile.member_of(cert) == ClientId("VN", "GOV", "0102030405")
    assert profile.server_of(cert, instance="VN") == SecurityServerId(
        ClientId("VN", "GOV", "0102030405"), "ss1"
    )
    with pytest.raises(XRoadError):
        profile.server_of(cert)  # no configured instance to take
    with pytest.raises(XRoadError):
        profile.member_of(cert_with(C="VN", O="GOV", serialNumber="0102030405"))


def test_invalid_identifier_characters_are_rejected() -> None:
    profile = cert_profile.builtin()
    with pytest.raises(XRoadError) as caught:
        profile.member_of(cert_with(C="VN", O="G/OV", CN="1"))
    assert caught.value.code == Code.INCORRECT_CERTIFICATE


@pytest.mark.parametrize(
    "description",
    [
        {"sign": [{"instance": "subject:XX"}]},
        {"sign": [{"instance": "magic:1"}]},
        {"sign": [{"colour": "const:x"}]},
        {"sign_csr": [["nope", "{instance}"]]},
        {"sign": [{"instance": {"nothing": "here"}}]},
    ],
)
def test_bad_descriptions_are_refused(description: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  # the message varies with the mistake
        CertProfile.from_description(description)


def test_unknown_builtin_profile() -> None:
    with pytest.raises(XRoadError):
        cert_profile.builtin("com.example.Nope")


def test_profile_for_an_approved_ca() -> None:
    p = pki.pki()
    ca = p.trust().cas[0]
    assert cert_profile.profile_for(ca).name == "ejbca"
    custom = CertProfile.from_description({"name": "mine"})
    assert cert_profile.profile_for(dataclasses.replace(ca, profile=custom)) is custom
    fi = dataclasses.replace(
        ca,
        profile_name="ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider",
    )
    assert cert_profile.profile_for(fi).name == "fi-vrk"
