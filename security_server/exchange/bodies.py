"""HTTP bodies toward information systems and services: SOAP alone or with attachments (SwA)."""

from __future__ import annotations

from vdx.message import multipart
from vdx.message.soap_model import Attachment, SoapMessage

XOP_XML = "application/xop+xml"


def part_content_type(message: SoapMessage, *, mtom: bool = False) -> str:
    """The SOAP part's own Content-Type (the root part of a multipart, or the whole body)."""
    if mtom:
        return f'{XOP_XML}; charset={message.charset.upper()}; type="text/xml"'
    return f"text/xml; charset={message.charset.upper()}"


def soap_http_body(
    message: SoapMessage, attachments: tuple[Attachment, ...], part_type: str
) -> tuple[bytes, str]:
    """The SOAP part alone, or a ``multipart/related`` with it as the root (SwA §3)."""
    if not attachments:
        return message.xml, part_type
    boundary = multipart.new_boundary("xroad")
    root = multipart.Part((("Content-Type", part_type),), message.xml)
    parts = [root, *(multipart.Part(a.headers, a.data) for a in attachments)]
    media = XOP_XML if part_type.lower().startswith(XOP_XML) else "text/xml"
    content_type = f'multipart/related; type="{media}"; charset=UTF-8; boundary={boundary}'
    return multipart.build(parts, boundary), content_type
