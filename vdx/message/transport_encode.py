"""Encode transport messages between security servers (pr-messtransp §2.2, §2.3).

The inverse of :mod:`vdx.message.transport`: parts in the fixed order, attachments nested in a
``multipart/mixed`` of their own. Boundaries follow the reference's pattern (``xtop`` and
``xatt`` with one shared random suffix), which peers do not depend on but operators recognise.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from vdx.message import multipart, rest_part
from vdx.message.transport import (
    HASH_CHAIN_RESULT_TYPE,
    HASH_CHAIN_TYPE,
    MULTIPART_MIXED,
    OCSP_RESPONSE_TYPE,
    SIGNATURE_TYPE,
    TransportMessage,
)

FAULT_CONTENT_TYPE = "text/xml; charset=UTF-8"


@dataclass(frozen=True, slots=True)
class EncodedMessage:
    body: bytes
    content_type: str


def random_suffix(length: int = 30) -> str:
    return "".join(secrets.choice(string.ascii_letters) for _ in range(length))


def _part(content_type: str, body: bytes) -> multipart.Part:
    return multipart.Part((("content-type", content_type),), body)


def encode(message: TransportMessage, suffix: str | None = None) -> EncodedMessage:
    """Encode ``message``; ``suffix`` fixes the boundaries (for tests), else random."""
    suffix = suffix or random_suffix()
    top, nested = f"xtop{suffix}", f"xatt{suffix}"
    parts = [_part(OCSP_RESPONSE_TYPE, der) for der in message.ocsp_responses]
    fault_is_message = False
    if message.soap is not None:
        parts.append(_part(message.message_content_type, message.soap.xml))
    elif message.rest_request is not None:
        parts.append(_part(rest_part.REST_REQUEST_TYPE, message.rest_request.encode()))
    elif message.rest_response is not None:
        parts.append(_part(rest_part.REST_RESPONSE_TYPE, message.rest_response.encode()))
    elif message.fault is not None:
        # A provider that failed before answering sends its fault as the message.
        parts.append(_part(message.message_content_type, message.fault.xml))
        fault_is_message = True
    if message.attachments:
        inner = [multipart.Part(a.headers, a.data) for a in message.attachments]
        nested_type = f"{MULTIPART_MIXED}; charset=UTF-8; boundary={nested}"
        parts.append(_part(nested_type, multipart.build(inner, nested)))
    if message.rest_body is not None:
        parts.append(_part(rest_part.REST_BODY_TYPE, message.rest_body))
    if message.hash_chain_result is not None:
        parts.append(_part(HASH_CHAIN_RESULT_TYPE, message.hash_chain_result.encode("utf-8")))
    if message.hash_chain is not None:
        parts.append(_part(HASH_CHAIN_TYPE, message.hash_chain.encode("utf-8")))
    if message.signature is not None:
        parts.append(_part(SIGNATURE_TYPE, message.signature))
    elif message.fault is not None and not fault_is_message:
        # A fault takes the signature's place when signing failed (pr-messtransp §2.3).
        parts.append(_part(FAULT_CONTENT_TYPE, message.fault.xml))
    content_type = f"{MULTIPART_MIXED}; charset=UTF-8; boundary={top}"
    return EncodedMessage(multipart.build(parts, top), content_type)
