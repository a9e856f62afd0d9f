"""Configuration anchors: parse, produce, fingerprint, and refusal of broken anchors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.unit.globalconf.conftest import SigningKey
from vdx.errors import Code, XRoadError
from vdx.globalconf import (
    AnchorSource,
    ConfigurationAnchor,
    anchor_hash,
    parse_anchor,
    produce_anchor,
)


def test_round_trip(rsa_key: SigningKey, ec_key: SigningKey) -> None:
    anchor = ConfigurationAnchor(
        "DEV",
        (
            AnchorSource("http://cs/internalconf", (rsa_key.der,)),
            AnchorSource("https://cs/internalconf", (rsa_key.der, ec_key.der)),
        ),
        generated_at=datetime(2025, 11, 5, 22, 10, 45, 770000, tzinfo=UTC),
    )
    data = produce_anchor(anchor)
    assert b"<generatedAt>2025-11-05T22:10:45.770Z</generatedAt>" in data
    assert parse_anchor(data) == anchor
    assert anchor.verification_certs == (rsa_key.der, ec_key.der)


def test_fingerprint_is_sha224_in_colon_hex() -> None:
    assert anchor_hash(b"").startswith("D1:4A:02:8C:2A:3A:2B:C9")
    assert len(anchor_hash(b"x").split(":")) == 28


_A = b'<a:configurationAnchor xmlns:a="http://x-road.eu/xsd/xroad.xsd">'
_SOURCE = b"<instanceIdentifier>X</instanceIdentifier><source><downloadURL>u</downloadURL>"
_END = b"</source></a:configurationAnchor>"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<configurationAnchor/>",
        _A + b"<instanceIdentifier>X</instanceIdentifier></a:configurationAnchor>",
        _A + _SOURCE + b"<verificationCert>bm90IGEgY2VydA==</verificationCert>" + _END,
        _A + _SOURCE + b"<verificationCert>!!</verificationCert>" + _END,
        b'<!DOCTYPE a [<!ENTITY e "x">]>' + _A + b"</a:configurationAnchor>",
    ],
)
def test_broken_anchor_is_malformed(body: bytes) -> None:
    with pytest.raises(XRoadError) as excinfo:
        parse_anchor(body)
    assert excinfo.value.code == Code.MALFORMED_GLOBALCONF


def test_anchor_without_certificates_cannot_be_produced() -> None:
    with pytest.raises(XRoadError):
        produce_anchor(ConfigurationAnchor("DEV", (AnchorSource("http://cs", ()),)))
