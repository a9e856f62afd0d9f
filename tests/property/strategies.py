"""Hypothesis strategies shared by the property tests: identifier parts, tokens, header fields."""

from __future__ import annotations

import string
from typing import Final

from hypothesis import strategies as st

from tests import vectors
from vdx.identifiers import ClientId, GlobalGroupId, LocalGroupId, SecurityServerId, ServiceId

# REST r1 §4.8: the characters an operator may use in a new identifier.
STRICT_ALPHABET = string.ascii_letters + string.digits + "'()+,-.=?"
# Characters no identifier encoding can carry (the separators, the escape, ';' and '\').
FORBIDDEN = ":;/\\%"
# RFC 9110 §5.6.2 tchar: what a header field name is made of.
TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits

# Printable unicode: letters, marks, numbers, punctuation, symbols and the plain space.
_PRINTABLE: Final = ("L", "M", "N", "P", "S")


def identifier_parts(exclude: str = "") -> st.SearchStrategy[str]:
    """A valid identifier part: strict-alphabet text, or any printable text the parser allows."""
    strict_alphabet = [c for c in STRICT_ALPHABET if c not in exclude]
    strict = st.text(st.sampled_from(strict_alphabet), min_size=1, max_size=12)
    loose = st.text(
        st.characters(
            categories=_PRINTABLE, include_characters=" ", exclude_characters=FORBIDDEN + exclude
        ),
        min_size=1,
        max_size=12,
    ).filter(str.strip)
    return st.one_of(strict, loose)


parts = identifier_parts()
members = st.builds(ClientId, parts, parts, parts)
subsystems = st.builds(ClientId, parts, parts, parts, parts)
clients = members | subsystems
services = st.builds(ServiceId, clients, parts, st.none() | parts)
security_servers = st.builds(SecurityServerId, members, parts)
global_groups = st.builds(GlobalGroupId, parts, parts)
local_groups = st.builds(LocalGroupId, parts)
identifiers = clients | services | security_servers | global_groups | local_groups

tokens = st.text(st.sampled_from(TOKEN_CHARS), min_size=1, max_size=20)


def printable_text(*, codec: str | None = None, max_size: int = 40) -> st.SearchStrategy[str]:
    """Printable text (no CR, LF or other control characters), optionally within a codec."""
    return st.text(
        st.characters(categories=_PRINTABLE, include_characters=" ", codec=codec),
        max_size=max_size,
    )


# Text without control or non-XML characters: what an XML element's text can hold.
no_control_text = st.text(st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")), max_size=60)


# A valid X-Road SOAP 4.0 request: the reference's own when its files are present.
_INLINE = b"""<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
  <s:Header>
    <xroad:client id:objectType="MEMBER"><id:xRoadInstance>EE</id:xRoadInstance>
      <id:memberClass>BUSINESS</id:memberClass><id:memberCode>consumer</id:memberCode>
    </xroad:client>
    <xroad:service id:objectType="SERVICE"><id:xRoadInstance>EE</id:xRoadInstance>
      <id:memberClass>BUSINESS</id:memberClass><id:memberCode>producer</id:memberCode>
      <id:serviceCode>testQuery</id:serviceCode>
    </xroad:service>
    <xroad:id>1234567890</xroad:id>
    <xroad:protocolVersion>4.0</xroad:protocolVersion>
  </s:Header>
  <s:Body><ns1:testQuery xmlns:ns1="urn:test"><name>foo</name></ns1:testQuery></s:Body>
</s:Envelope>
"""
_SIMPLE_QUERY = vectors.vectors_dir() / "soap-queries" / "simple.query"
SOAP_REQUEST = _SIMPLE_QUERY.read_bytes() if _SIMPLE_QUERY.is_file() else _INLINE
