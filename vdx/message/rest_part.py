"""The REST header part of a transport message (pr-messtransp §2.3, pr-rest §4.5).

Between security servers a REST request travels as an ``application/x-road-rest-request`` part:
the method, the request target and the header lines, each line ending in CRLF, header lines
written ``Name:Value`` with no space and no trailing blank line. A response part starts with the
status code and reason phrase instead. These exact bytes are signed and hashed, so encoding is
deterministic and decoding keeps the values untrimmed, as the reference implementation does.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from vdx.errors import Code, XRoadError

REST_REQUEST_TYPE = "application/x-road-rest-request"
REST_RESPONSE_TYPE = "application/x-road-rest-response"
REST_BODY_TYPE = "application/x-road-rest-body"
METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
MAX_PART_BYTES = 256 * 1024
_STATUS = re.compile(r"[1-9][0-9]{2}")


@dataclass(frozen=True, slots=True)
class RestRequestPart:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]

    def encode(self) -> bytes:
        lines = [self.method, self.target, *(f"{name}:{value}" for name, value in self.headers)]
        return "".join(f"{line}\r\n" for line in lines).encode("utf-8")


@dataclass(frozen=True, slots=True)
class RestResponsePart:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]

    def encode(self) -> bytes:
        lines = [str(self.status), self.reason, *(f"{n}:{v}" for n, v in self.headers)]
        return "".join(f"{line}\r\n" for line in lines).encode("utf-8")

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for n, v in self.headers if n.lower() == wanted), None)


def _lines(data: bytes) -> list[str]:
    if len(data) > MAX_PART_BYTES:
        raise XRoadError(Code.INVALID_MESSAGE, "REST header part too large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise XRoadError(Code.INVALID_MESSAGE, "REST header part is not UTF-8") from None
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _headers(lines: list[str]) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name.strip() != name:
            raise XRoadError(Code.INVALID_MESSAGE, "Invalid header line in REST message part")
        headers.append((name, value))
    return tuple(headers)


def decode_request(data: bytes) -> RestRequestPart:
    lines = _lines(data)
    if len(lines) < 2 or lines[0] not in METHODS:
        raise XRoadError(Code.INVALID_MESSAGE, "Invalid REST request message part")
    target = lines[1]
    if not target.startswith("/") or "://" in target.split("?", 1)[0]:
        raise XRoadError(Code.INVALID_MESSAGE, "REST request target must be in origin form")
    return RestRequestPart(lines[0], target, _headers(lines[2:]))


def decode_response(data: bytes) -> RestResponsePart:
    lines = _lines(data)
    if len(lines) < 2 or not _STATUS.fullmatch(lines[0]):
        raise XRoadError(Code.INVALID_MESSAGE, "Invalid REST response message part")
    return RestResponsePart(int(lines[0]), lines[1], _headers(lines[2:]))


def request_hash(header_part: bytes, body: bytes | None) -> str:
    """``X-Road-Request-Hash`` (pr-rest §4.5): SHA-512 over the header part, then the body.

    Without a body it is the digest of the header part; with one, the digest of the two digests
    concatenated. Base64 with padding.
    """
    digest = hashlib.sha512(header_part).digest()
    if body is not None:
        digest = hashlib.sha512(digest + hashlib.sha512(body).digest()).digest()
    return base64.b64encode(digest).decode("ascii")
