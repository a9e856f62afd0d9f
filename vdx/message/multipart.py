"""MIME multipart (RFC 2046 §5.1) and Content-Type (RFC 2045 §5.1) codec, sans-IO.

X-Road carries SOAP with attachments (multipart/related, RFC 2387), MTOM/XOP and the
security-server transport messages in multipart bodies. Part bodies are kept byte-exact because
signatures and hash chains cover them. The reference implementation and many clients write bare
LF line breaks, so both CRLF and LF are accepted as the line break before a delimiter.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vdx.errors import Code, XRoadError

DEFAULT_MAX_PARTS = 1000
DEFAULT_MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class ContentType:
    """A parsed Content-Type: lower-cased media type and parameters (names lower-cased)."""

    media_type: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def charset(self) -> str | None:
        value = self.params.get("charset")
        return value.lower() if value else None

    def param(self, name: str) -> str | None:
        return self.params.get(name.lower())

    def __str__(self) -> str:
        rendered = [self.media_type]
        for name, value in self.params.items():
            needs_quotes = not _TOKEN.fullmatch(value)
            if needs_quotes:
                escaped = value.replace("\\", "\\\\").replace('"', '\\"')
                rendered.append(f'{name}="{escaped}"')
            else:
                rendered.append(f"{name}={value}")
        return "; ".join(rendered)


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# The media type allows extra "/" because X-Road's signature part is ``signature/bdoc-1.0/ts``.
_MEDIA_TYPE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+/[!#$%&'*+\-.^_`|~0-9A-Za-z/]+")


def parse_content_type(value: str | None) -> ContentType:
    """Parse a Content-Type value (RFC 9110 §8.3.1), or raise ``InvalidContentType``."""
    if value is None or not value.strip():
        raise XRoadError(Code.INVALID_CONTENT_TYPE, "Content-Type is missing")
    head, _, rest = value.partition(";")
    media_type = head.strip().lower()
    if not _MEDIA_TYPE.fullmatch(media_type):
        raise XRoadError(Code.INVALID_CONTENT_TYPE, f"Invalid Content-Type {value[:100]!r}")
    return ContentType(media_type, _parse_params(rest, value))


def _parse_params(text: str, whole: str) -> dict[str, str]:
    params: dict[str, str] = {}
    at = 0
    while at < len(text):
        while at < len(text) and text[at] in " \t;":
            at += 1
        if at >= len(text):
            break
        name_end = text.find("=", at)
        if name_end == -1:
            raise XRoadError(Code.INVALID_CONTENT_TYPE, f"Invalid Content-Type {whole[:100]!r}")
        name = text[at:name_end].strip().lower()
        at = name_end + 1
        while at < len(text) and text[at] in " \t":
            at += 1
        if at < len(text) and text[at] == '"':
            value, at = _quoted_string(text, at + 1, whole)
        else:
            end = text.find(";", at)
            end = len(text) if end == -1 else end
            value, at = text[at:end].strip(), end
        if not _TOKEN.fullmatch(name):
            raise XRoadError(Code.INVALID_CONTENT_TYPE, f"Invalid Content-Type {whole[:100]!r}")
        params.setdefault(name, value)
    return params


def _quoted_string(text: str, at: int, whole: str) -> tuple[str, int]:
    chars: list[str] = []
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text):
            chars.append(text[at + 1])
            at += 2
            continue
        if char == '"':
            return "".join(chars), at + 1
        chars.append(char)
        at += 1
    raise XRoadError(
        Code.INVALID_CONTENT_TYPE, f"Unterminated quote in Content-Type {whole[:100]!r}"
    )


@dataclass(frozen=True, slots=True)
class Part:
    """One body part: its headers in order (names as written) and its exact body bytes."""

    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> ContentType:
        return parse_content_type(self.header("Content-Type"))

    @property
    def content_id(self) -> str | None:
        raw = self.header("Content-ID")
        return raw.strip().removeprefix("<").removesuffix(">") if raw else None


@dataclass(frozen=True, slots=True)
class MultipartLimits:
    max_parts: int = DEFAULT_MAX_PARTS
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES


def split(body: bytes, boundary: str, limits: MultipartLimits | None = None) -> list[Part]:
    """Split a multipart body into its parts.

    Returns no parts when the boundary never occurs (the caller decides what a missing part
    means). Like the reference's MIME reader this is lenient at the end: a missing close
    delimiter ends the last part at the end of the body.
    """
    limits = limits or MultipartLimits()
    if not boundary or len(boundary) > 200:
        raise XRoadError(Code.MIME_PARSING_FAILED, "Multipart boundary missing or too long")
    delimiter = b"--" + boundary.encode("ascii", "replace")
    positions = _delimiter_positions(body, delimiter)
    parts: list[Part] = []
    for index, (_, after) in enumerate(positions):
        if body.startswith(b"--", after):
            break  # the close delimiter: what follows is the epilogue
        content_start = _skip_line_end(body, after)
        if content_start is None:
            if not body[after:].strip():
                break  # a delimiter at the very end: an unterminated but complete body
            raise XRoadError(Code.MIME_PARSING_FAILED, "Garbage after a multipart boundary")
        next_start = positions[index + 1][0] if index + 1 < len(positions) else len(body)
        content_end = _strip_line_break(body, next_start)
        if len(parts) >= limits.max_parts:
            raise XRoadError(Code.MIME_PARSING_FAILED, f"More than {limits.max_parts} parts")
        parts.append(_parse_part(body[content_start : max(content_start, content_end)], limits))
    return parts


def _delimiter_positions(body: bytes, delimiter: bytes) -> list[tuple[int, int]]:
    """(start, end) of each delimiter that begins a line."""
    found: list[tuple[int, int]] = []
    at = body.find(delimiter)
    while at != -1:
        if at == 0 or body[at - 1 : at] == b"\n":
            found.append((at, at + len(delimiter)))
        at = body.find(delimiter, at + len(delimiter))
    return found


def _skip_line_end(body: bytes, at: int) -> int | None:
    # RFC 2046 allows linear white space after the boundary before the line break.
    end = body.find(b"\n", at)
    if end == -1:
        return None
    if body[at:end].strip(b" \t\r"):
        return None
    return end + 1


def _strip_line_break(body: bytes, delimiter_start: int) -> int:
    end = delimiter_start
    if end > 0 and body[end - 1 : end] == b"\n":
        end -= 1
        if end > 0 and body[end - 1 : end] == b"\r":
            end -= 1
    return end


def _parse_part(raw: bytes, limits: MultipartLimits) -> Part:
    header_end, body_start = _header_boundary(raw)
    header_block = raw[:header_end]
    if len(header_block) > limits.max_header_bytes:
        raise XRoadError(Code.MIME_PARSING_FAILED, "Part headers too large")
    headers: list[tuple[str, str]] = []
    # Header lines end at CRLF or LF only (RFC 5322 §2.2); str.splitlines would also break at
    # \x0b, \x0c, \x1c-\x1e and \x85 and let one line smuggle in a second header.
    for line in header_block.decode("latin-1").replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        if line[0] in " \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or " " in name.strip():
            raise XRoadError(Code.MIME_PARSING_FAILED, "Malformed part header line")
        headers.append((name.strip(), value.strip()))
    return Part(tuple(headers), raw[body_start:])


def _header_boundary(raw: bytes) -> tuple[int, int]:
    """Index where the part's headers end and where its body starts."""
    if raw.startswith(b"\r\n"):
        return 0, 2
    if raw.startswith(b"\n"):
        return 0, 1
    candidates = [(raw.find(sep), len(sep)) for sep in (b"\r\n\r\n", b"\n\n", b"\n\r\n")]
    found = [(at, size) for at, size in candidates if at != -1]
    if not found:
        return len(raw), len(raw)  # headers only, empty body
    at, size = min(found)
    return at, at + size


def new_boundary(prefix: str = "vdx") -> str:
    return f"{prefix}{secrets.token_hex(12)}"


def build(parts: Iterable[Part], boundary: str) -> bytes:
    """Encode parts as a multipart body with CRLF line breaks (RFC 2046 §5.1.1)."""
    chunks: list[bytes] = []
    delimiter = b"--" + boundary.encode("ascii")
    for part in parts:
        chunks.append(delimiter + b"\r\n")
        for name, value in part.headers:
            chunks.append(f"{name}: {value}\r\n".encode("latin-1"))
        chunks.append(b"\r\n")
        chunks.append(part.body)
        chunks.append(b"\r\n")
    chunks.append(delimiter + b"--\r\n")
    return b"".join(chunks)
