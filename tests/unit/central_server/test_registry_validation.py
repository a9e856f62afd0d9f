"""Pure registry checks and the pure snapshot assembly (no database)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from central_server.registry import validation
from central_server.registry.errors import ErrorCode, RegistryError
from central_server.registry.model import (
    GlobalGroupInfo,
    MemberClassInfo,
    MemberInfo,
    SecurityServerInfo,
    SubsystemInfo,
    TsaInfo,
)
from central_server.registry.snapshot import assemble
from tests.unit.crypto import pki
from vdx.identifiers import ClientId, SecurityServerId


def code_of(call: object, *args: object) -> ErrorCode:
    with pytest.raises(RegistryError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.code


@pytest.mark.parametrize("value", ["GOV", "a-b.c", "x'(y)+,=?", "0"])
def test_codes_accepted(value: str) -> None:
    assert validation.code(value, "c") == value


@pytest.mark.parametrize("value", ["", " ", "a b", "a/b", "a:b", "ä", "a;b", "x" * 256])
def test_codes_refused(value: str) -> None:
    assert code_of(validation.code, value, "c") == ErrorCode.INVALID


@given(st.text(max_size=20))
def test_code_accepts_only_the_strict_set(value: str) -> None:
    strict = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'()+,-.=?")
    try:
        validation.code(value, "c")
    except RegistryError:
        assert not value or not set(value) <= strict
    else:
        assert value
        assert set(value) <= strict


def test_texts() -> None:
    assert validation.text("Ministry of Finance", "name") == "Ministry of Finance"
    for bad in ("", "   ", "a\nb", "x" * 1025):
        assert code_of(validation.text, bad, "name") == ErrorCode.INVALID


def test_clients_must_be_in_the_instance() -> None:
    member = ClientId("VN", "GOV", "1")
    sub = ClientId("VN", "GOV", "1", "S")
    assert validation.member(member, "VN") == member
    assert validation.subsystem(sub, "VN") == sub
    assert code_of(validation.member, member, None) == ErrorCode.CONFLICT
    assert code_of(validation.member, member, "EE") == ErrorCode.INVALID
    assert code_of(validation.member, sub, "VN") == ErrorCode.INVALID
    assert code_of(validation.subsystem, member, "VN") == ErrorCode.INVALID
    bad_server = SecurityServerId(member, "S S")
    assert code_of(validation.server, bad_server, "VN") == ErrorCode.INVALID


@pytest.mark.parametrize("value", ["ss1.example.vn", "10.0.0.1", "localhost", "fe80::1"])
def test_addresses_accepted(value: str) -> None:
    assert validation.address(value) == value


@pytest.mark.parametrize("value", ["", "http://x", "x:80/", "a b", "-x", "x/y"])
def test_addresses_refused(value: str) -> None:
    assert code_of(validation.address, value) == ErrorCode.INVALID


def test_urls() -> None:
    assert validation.url("http://ocsp.test/", "u") == "http://ocsp.test/"
    for bad in ("ftp://x", "http://", "x", "http://a b/"):
        assert code_of(validation.url, bad, "u") == ErrorCode.INVALID


def test_certificates_der_or_pem_become_der() -> None:
    cert = pki.pki().root
    der = cert.public_bytes(Encoding.DER)
    assert validation.certificate(der, "c") == der
    assert validation.certificate(cert.public_bytes(Encoding.PEM), "c") == der
    assert code_of(validation.certificate, b"junk", "c") == ErrorCode.INVALID
    assert code_of(validation.certificate, b"-----BEGIN CERTIFICATE-----\n", "c") == (
        ErrorCode.INVALID
    )
    assert validation.auth_cert_hash(der) == hashlib.sha256(der).digest()


def test_system_parameters_and_csr_format() -> None:
    assert validation.system_parameter("ocspFreshnessSeconds", 3600) == 3600
    for name, value in (("nope", 1), ("ocspFreshnessSeconds", 0), ("ocspFreshnessSeconds", True)):
        assert code_of(validation.system_parameter, name, value) == ErrorCode.INVALID
    assert validation.csr_format(None) is None
    assert validation.csr_format("PEM") == "PEM"
    assert code_of(validation.csr_format, "pem") == ErrorCode.INVALID


def test_in_use_and_automatic_group() -> None:
    validation.not_in_use("x", {"members": 0})
    assert code_of(validation.not_in_use, "x", {"members": 2}) == ErrorCode.CONFLICT
    assert code_of(validation.not_automatic, validation.OWNERS_GROUP) == ErrorCode.CONFLICT
    validation.not_automatic("other")


def test_client_sort_key_puts_members_before_subsystems() -> None:
    ids = [
        ClientId("VN", "GOV", "1", "B"),
        ClientId("VN", "GOV", "1"),
        ClientId("VN", "COM", "2"),
        ClientId("VN", "GOV", "1", "A"),
    ]
    assert [c.to_colon() for c in sorted(ids, key=validation.client_sort_key)] == [
        "VN:COM:2",
        "VN:GOV:1",
        "VN:GOV:1:A",
        "VN:GOV:1:B",
    ]


def test_assemble_orders_everything() -> None:
    gov = ClientId("VN", "GOV", "1")
    com = ClientId("VN", "COM", "2")
    sub = ClientId("VN", "GOV", "1", "S")
    params = {"ocspFreshnessSeconds": 600}
    built = [
        assemble(
            "VN",
            parameters=params,
            member_classes=classes,
            members=members,
            servers=[
                SecurityServerInfo(
                    SecurityServerId(gov, "SS"), "ss", (b"\x02", b"\x01"), (sub, com)
                )
            ],
            groups=[GlobalGroupInfo("g", "G", (sub, gov))],
            cas=[],
            tsas=[TsaInfo("b", "http://b/", b"1", 1), TsaInfo("a", "http://a/", b"2", 1)],
        )
        for classes, members in (
            (
                [MemberClassInfo("GOV", "G"), MemberClassInfo("COM", "C")],
                [
                    MemberInfo(gov, "Gov", (SubsystemInfo("S"), SubsystemInfo("R"))),
                    MemberInfo(com, "Com"),
                ],
            ),
            (
                [MemberClassInfo("COM", "C"), MemberClassInfo("GOV", "G")],
                [
                    MemberInfo(com, "Com"),
                    MemberInfo(gov, "Gov", (SubsystemInfo("R"), SubsystemInfo("S"))),
                ],
            ),
        )
    ]
    assert built[0] == built[1]
    snap = built[0]
    assert [m.code for m in snap.members] == ["2", "1"]
    assert [s.code for s in snap.members[1].subsystems] == ["R", "S"]
    assert snap.security_servers[0].auth_cert_hashes == (b"\x01", b"\x02")
    assert snap.security_servers[0].clients == (com, sub)
    assert snap.global_groups[0].members == (gov, sub)
    assert [t.name for t in snap.approved_tsas] == ["a", "b"]
    assert snap.global_settings.ocsp_freshness_seconds == 600
