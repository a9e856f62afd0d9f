"""SOAP with attachments through both proxies (SwA ``multipart/related`` and MTOM/XOP).

The information system sends a request with binary attachments; the consumer's server signs
every part (a hash chain over ``/message.xml`` and ``/attachmentN``, pr-messtransp §2), the
provider's server verifies them and posts the same multipart to the service, which echoes the
attachments in its answer; that answer is signed, checked and returned. Every attachment must
arrive byte for byte, in both directions, with its headers.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.integration.security_server import proxy_support as ps
from vdx.message import multipart

# Bytes that a careless MIME layer would damage: CR/LF pairs, a line that looks like a
# delimiter, NUL and high bytes, no final line break.
TRICKY = b"\r\n--not-a-boundary\r\n\x00\xff\xfe" + os.urandom(4096) + b"\r\n\r\nend"
TEXT = "plain text attachment, äõ\r\n".encode()


@pytest.fixture
async def fed() -> AsyncIterator[ps.Federation]:
    async with ps.federation() as federation:
        federation.current.producer_serverconf = ps.producer_soap_serverconf(
            federation.service_url.replace("/soap", "/echo")
        )
        yield federation


def attachments() -> list[multipart.Part]:
    return [
        multipart.Part(
            (("Content-Type", "application/octet-stream"), ("Content-ID", "<bin@vdx.test>")),
            TRICKY,
        ),
        multipart.Part(
            (("Content-Type", "text/plain; charset=UTF-8"), ("Content-ID", "<txt@vdx.test>")),
            TEXT,
        ),
    ]


def request(root_type: str, media: str, value: str = "aäõ") -> tuple[bytes, str]:
    xml = ps.soap_query(aäõ=value).body
    boundary = multipart.new_boundary("is")
    root = multipart.Part((("Content-Type", root_type),), xml)
    body = multipart.build([root, *attachments()], boundary)
    return body, f'multipart/related; type="{media}"; boundary={boundary}'


async def answer(fed: ps.Federation, body: bytes, content_type: str) -> list[multipart.Part]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fed.client_proxy_url, data=io.BytesIO(body), headers={"Content-Type": content_type}
        ) as response,
    ):
        status, headers, data = response.status, response.headers, await response.read()
    assert status == 200, ps.soap_fault(data)
    media = multipart.parse_content_type(headers["Content-Type"])
    assert media.media_type == "multipart/related"
    boundary = media.param("boundary")
    assert boundary is not None
    return multipart.split(data, boundary)


def assert_echoed(parts: list[multipart.Part]) -> None:
    root, *rest = parts
    assert b"getStateResponse" in root.body
    assert b"requestHash" in root.body  # signed by SS-P, checked by SS-C
    sent = attachments()
    assert [p.body for p in rest] == [p.body for p in sent]
    assert [p.content_id for p in rest] == [p.content_id for p in sent]
    assert [p.content_type.media_type for p in rest] == [p.content_type.media_type for p in sent]


async def test_swa_attachments_arrive_intact_both_ways(fed: ps.Federation) -> None:
    body, content_type = request("text/xml; charset=UTF-8", "text/xml")
    parts = await answer(fed, body, content_type)
    assert_echoed(parts)
    assert parts[0].content_type.media_type == "text/xml"
    assert fed.service_calls == ["/echo"]


async def test_mtom_attachments_arrive_intact_both_ways(fed: ps.Federation) -> None:
    include = (
        '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:bin@vdx.test"/>'
    )
    body, content_type = request(
        'application/xop+xml; charset=UTF-8; type="text/xml"', "application/xop+xml", include
    )
    parts = await answer(fed, body, content_type)
    assert_echoed(parts)
    root = parts[0]
    assert root.content_type.media_type == "application/xop+xml"
    assert b"cid:bin@vdx.test" in root.body
    assert fed.service_calls == ["/echo"]


async def test_large_and_empty_attachments_arrive_intact(fed: ps.Federation) -> None:
    large = os.urandom(3 * 1024 * 1024)
    boundary = multipart.new_boundary("is")
    parts = [
        multipart.Part((("Content-Type", "text/xml; charset=UTF-8"),), ps.soap_query().body),
        multipart.Part((("Content-Type", "application/octet-stream"),), large),
        multipart.Part((("Content-Type", "application/octet-stream"),), b""),
    ]
    body = multipart.build(parts, boundary)
    content_type = f'multipart/related; type="text/xml"; boundary={boundary}'
    echoed = await answer(fed, body, content_type)
    assert [p.body for p in echoed[1:]] == [large, b""]
