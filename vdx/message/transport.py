"""Security-server-to-security-server transport messages (pr-messtransp §2), sans-IO.

A transport message is ``multipart/mixed``; its parts come in a fixed order, each optional slot
falling through to the next (pr-messtransp §2.2 and §2.3)::

    OCSP responses*  ->  SOAP part | REST header part  ->  attachments (nested multipart/mixed)
    | REST body  ->  hash-chain result, hash chain  ->  signature | SOAP fault

A bare ``text/xml`` body is a SOAP fault the provider sends when it failed before answering.
The decoder keeps every signed part byte-exact under the name the signature refers to
(``/message.xml``, ``/attachmentN``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from cryptography.x509 import ocsp

from vdx.errors import Code, XRoadError
from vdx.message import multipart, rest_part
from vdx.message.soap import parse_envelope
from vdx.message.soap_model import Attachment, SoapFault, SoapMessage
from vdx.message.soap_request import MessageLimits

OCSP_RESPONSE_TYPE = "application/ocsp-response"
SIGNATURE_TYPE = "signature/bdoc-1.0/ts"
HASH_CHAIN_RESULT_TYPE = "application/hash-chain-result"
HASH_CHAIN_TYPE = "application/hash-chain"
MULTIPART_MIXED = "multipart/mixed"
TEXT_XML = "text/xml"
XOP_XML = "application/xop+xml"
MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_HASH_CHAIN_BYTES = 8 * 1024 * 1024


class Slot(enum.IntEnum):
    """Positions in the part order; a part may fill its slot or any later one."""

    OCSP = 0
    MESSAGE = 1
    CONTENT = 2
    HASH_CHAIN_RESULT = 3
    HASH_CHAIN = 4
    SIGNATURE = 5
    DONE = 6


@dataclass(frozen=True, slots=True)
class SignedPart:
    """A part covered by the signature, under the name the signature's references use."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class TransportMessage:
    """A decoded transport message; ``fault`` is set when a SOAP fault took a part's place."""

    ocsp_responses: tuple[bytes, ...] = ()
    soap: SoapMessage | None = None
    rest_request: rest_part.RestRequestPart | None = None
    rest_response: rest_part.RestResponsePart | None = None
    attachments: tuple[Attachment, ...] = ()
    rest_body: bytes | None = None
    hash_chain_result: str | None = None
    hash_chain: str | None = None
    signature: bytes | None = None
    fault: SoapFault | None = None
    signed_parts: tuple[SignedPart, ...] = field(default=())
    message_content_type: str = "text/xml; charset=UTF-8"

    @property
    def part_kinds(self) -> list[str]:
        """The kinds of parts present, in wire order; for reports and tests."""
        kinds = ["ocsp"] * len(self.ocsp_responses)
        kinds += ["soap"] if self.soap else []
        kinds += ["rest-request"] if self.rest_request else []
        kinds += ["rest-response"] if self.rest_response else []
        kinds += ["attachment"] * len(self.attachments)
        kinds += ["rest-body"] if self.rest_body is not None else []
        kinds += ["hash-chain-result"] if self.hash_chain_result is not None else []
        kinds += ["hash-chain"] if self.hash_chain is not None else []
        kinds += ["signature"] if self.signature is not None else []
        kinds += ["fault"] if self.fault else []
        return kinds


def decode(
    body: bytes, content_type: str | None, limits: MessageLimits | None = None
) -> TransportMessage:
    """Decode a transport message body, or raise with the X-Road error code."""
    limits = limits or MessageLimits()
    top = multipart.parse_content_type(content_type)
    if top.media_type == TEXT_XML:
        parsed = parse_envelope(body, top.charset, limits.xml)
        if not isinstance(parsed, SoapFault):
            raise XRoadError(Code.INVALID_MESSAGE, "Expected a SOAP fault, got a SOAP message")
        return TransportMessage(fault=parsed)
    if top.media_type != MULTIPART_MIXED:
        raise XRoadError(Code.INVALID_CONTENT_TYPE, f"Invalid content type: {top.media_type[:100]}")
    boundary = top.param("boundary")
    if not boundary:
        raise XRoadError(
            Code.INVALID_CONTENT_TYPE, "Multipart content type is missing required boundary"
        )
    builder = _Builder(limits)
    for part in multipart.split(body, boundary, limits.multipart):
        builder.add(part)
    return builder.result()


@dataclass
class _Builder:
    limits: MessageLimits
    slot: Slot = Slot.OCSP
    soap: SoapMessage | None = None
    rest_request: rest_part.RestRequestPart | None = None
    rest_response: rest_part.RestResponsePart | None = None
    rest_body: bytes | None = None
    hash_chain_result: str | None = None
    hash_chain: str | None = None
    signature: bytes | None = None
    fault: SoapFault | None = None
    message_content_type: str = "text/xml; charset=UTF-8"
    ocsp: list[bytes] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    signed: list[SignedPart] = field(default_factory=list)

    def add(self, part: multipart.Part) -> None:
        raw_type = part.header("Content-Type")
        media = multipart.parse_content_type(raw_type).media_type if raw_type else ""
        if self.slot is Slot.DONE:
            raise XRoadError(
                Code.INVALID_MESSAGE, f"Extra content ({media or 'untyped'}) after signature"
            )
        if self.slot <= Slot.OCSP and media == OCSP_RESPONSE_TYPE:
            self.ocsp.append(_checked_ocsp(part.body))
            return
        if self.slot <= Slot.MESSAGE:
            self._message(part, media, raw_type)
            return
        if self.slot <= Slot.CONTENT and self._content(part, media):
            return
        if self.slot <= Slot.HASH_CHAIN_RESULT and media == HASH_CHAIN_RESULT_TYPE:
            self.hash_chain_result = _text(part.body, MAX_HASH_CHAIN_BYTES)
            self.slot = Slot.HASH_CHAIN
            return
        if self.slot <= Slot.HASH_CHAIN and media == HASH_CHAIN_TYPE:
            self.hash_chain = _text(part.body, MAX_HASH_CHAIN_BYTES)
            self.slot = Slot.SIGNATURE
            return
        self._signature(part, media, raw_type)

    def _message(self, part: multipart.Part, media: str, raw_type: str | None) -> None:
        self.slot = Slot.CONTENT
        if media == rest_part.REST_REQUEST_TYPE:
            self.rest_request = rest_part.decode_request(part.body)
        elif media == rest_part.REST_RESPONSE_TYPE:
            self.rest_response = rest_part.decode_response(part.body)
        elif media in (TEXT_XML, XOP_XML):
            parsed = parse_envelope(part.body, _charset(raw_type), self.limits.xml)
            if isinstance(parsed, SoapFault):
                # A provider that failed answers with a fault in the message slot; the
                # signature that follows still covers it (pr-messtransp §2.3).
                self.fault = parsed
            else:
                self.soap = parsed
        else:
            raise XRoadError(
                Code.INVALID_CONTENT_TYPE, f"Invalid content type for SOAP message: {media[:100]}"
            )
        self.message_content_type = raw_type or media
        self.signed.append(SignedPart("/message.xml", raw_type or "", part.body))

    def _content(self, part: multipart.Part, media: str) -> bool:
        is_rest = self.rest_request is not None or self.rest_response is not None
        if is_rest and media == rest_part.REST_BODY_TYPE:
            self.rest_body = part.body
            self.signed.append(SignedPart("/attachment1", media, part.body))
        elif not is_rest and media == MULTIPART_MIXED:
            self._attachments(part)
        else:
            return False
        self.slot = Slot.HASH_CHAIN_RESULT
        return True

    def _attachments(self, part: multipart.Part) -> None:
        boundary = part.content_type.param("boundary")
        if not boundary:
            raise XRoadError(
                Code.INVALID_CONTENT_TYPE, "Multipart content type is missing required boundary"
            )
        for sub in multipart.split(part.body, boundary, self.limits.multipart):
            content_type = sub.header("Content-Type") or "application/octet-stream"
            self.attachments.append(Attachment(content_type, sub.content_id, sub.headers, sub.body))
            name = f"/attachment{len(self.attachments)}"
            self.signed.append(SignedPart(name, content_type, sub.body))

    def _signature(self, part: multipart.Part, media: str, raw_type: str | None) -> None:
        self.slot = Slot.DONE
        if media == SIGNATURE_TYPE:
            if len(part.body) > MAX_SIGNATURE_BYTES:
                raise XRoadError(Code.IO_ERROR, "Signature part too large")
            self.signature = part.body
            return
        if media == TEXT_XML:
            parsed = parse_envelope(part.body, _charset(raw_type), self.limits.xml)
            if isinstance(parsed, SoapFault):
                self.fault = parsed
                return
        raise XRoadError(
            Code.INVALID_CONTENT_TYPE,
            f"Received invalid content type instead of signature: {media[:100] or 'none'}",
        )

    def result(self) -> TransportMessage:
        if not (self.soap or self.rest_request or self.rest_response or self.fault):
            raise XRoadError(Code.INVALID_MESSAGE, "Transport message has no message part")
        return TransportMessage(
            ocsp_responses=tuple(self.ocsp),
            soap=self.soap,
            rest_request=self.rest_request,
            rest_response=self.rest_response,
            attachments=tuple(self.attachments),
            rest_body=self.rest_body,
            hash_chain_result=self.hash_chain_result,
            hash_chain=self.hash_chain,
            signature=self.signature,
            fault=self.fault,
            signed_parts=tuple(self.signed),
            message_content_type=self.message_content_type,
        )


def _charset(raw_type: str | None) -> str | None:
    return multipart.parse_content_type(raw_type).charset if raw_type else None


def _checked_ocsp(data: bytes) -> bytes:
    try:
        ocsp.load_der_ocsp_response(data)
    except ValueError:
        raise XRoadError(Code.IO_ERROR, "Malformed OCSP response part") from None
    return data


def _text(data: bytes, limit: int) -> str:
    if len(data) > limit:
        raise XRoadError(Code.IO_ERROR, "Hash chain part too large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise XRoadError(Code.INVALID_MESSAGE, "Hash chain part is not UTF-8") from None


def require_signature(message: TransportMessage) -> None:
    """A request between security servers must be signed (pr-messtransp §2.2)."""
    if message.signature is None and message.fault is None:
        raise XRoadError(Code.MISSING_SIGNATURE, "Transport message has no signature part")
