"""A strict, sans-IO ZIP reader and a deterministic ZIP writer for evidence files.

ASiC-E containers (ETSI EN 319 162-1 §A) and message-log archives are ZIP files (PKWARE
APPNOTE 6.3). Evidence must show tampering, so the reader accounts for every byte: local
entries must follow one another from offset 0 with no gap, the central directory must follow
them and end where the end-of-central-directory record begins, and every field a local header
repeats (version, flags, method, time, CRC, sizes, name, extra data) must agree with the central
directory. Fields kept only in the central directory are held to the values a conforming
writer produces (APPNOTE §4.4.2 host systems, §4.4.14-15 attributes); file comments are refused.
Encryption, multi-disk and ZIP64 files are refused: X-Road never writes them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vdx.errors import Code, XRoadError

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
END_SIG = b"PK\x05\x06"
DESCRIPTOR_SIG = b"PK\x07\x08"
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
STORED = 0
DEFLATED = 8
_FLAG_ENCRYPTED = 0x0001
_FLAG_DESCRIPTOR = 0x0008
_FLAG_UTF8 = 0x0800
_ALLOWED_FLAGS = 0x0001 | 0x0002 | 0x0004 | _FLAG_DESCRIPTOR | _FLAG_UTF8
_DOS_DIRECTORY = 0x10
# APPNOTE §4.4.2 versions writers announce: 2.0 (Java, Python), 3.0 (Info-ZIP), 1.0, 4.5, 4.6,
# 6.3; VDX writes 3.0, no single bit away from another of these.
_MADE_BY_VERSIONS = frozenset({10, 20, 30, 45, 46, 63})
_MADE_BY = 30
_UNIX_HOSTS = frozenset({3, 19})  # Unix, OS X
_UNIX_TYPES = frozenset({0, 0o100000, 0o040000})  # unset, regular file, directory
_EPOCH = datetime(1980, 1, 1)  # noqa: DTZ001 - DOS time has no zone (APPNOTE §4.4.6)


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Size limits for one ZIP file; every limit is a parameter (ARCHITECTURE rule 2)."""

    max_entries: int = 10_000
    max_entry_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One file of a ZIP, decompressed and CRC-checked."""

    name: str
    data: bytes
    method: int

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


@dataclass(frozen=True, slots=True)
class ZipContents:
    """The members of a ZIP in file order, and the archive comment."""

    members: tuple[ZipMember, ...]
    comment: bytes

    def names(self) -> list[str]:
        return [member.name for member in self.members]


@dataclass(frozen=True, slots=True)
class _Central:
    made: int
    need: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    csize: int
    usize: int
    raw_name: bytes
    extra: bytes
    offset: int


def looks_like_zip(data: bytes) -> bool:
    """Whether ``data`` could be a ZIP at all (local header first, or an end record)."""
    return data.startswith(LOCAL_SIG) or END_SIG in data[-(_END.size + 0xFFFF) :]


def read_zip(
    data: bytes, limits: ZipLimits | None = None, *, code: Code = Code.ASIC_INVALID_CONTAINER
) -> ZipContents:
    """Parse ``data`` strictly; raise ``XRoadError(code)`` naming the first defect found."""
    limits = limits or ZipLimits()
    end_at, count, cd_offset, comment = _find_end(data, code)
    if count > limits.max_entries:
        raise XRoadError(code, f"ZIP has {count} entries, more than the limit {limits.max_entries}")
    centrals = _read_central_directory(data, cd_offset, end_at, count, code)
    members: list[ZipMember] = []
    position = 0
    total = 0
    names: set[str] = set()
    for central in sorted(centrals, key=lambda c: c.offset):
        if central.offset != position:
            raise XRoadError(code, f"ZIP entry at offset {central.offset}, expected {position}")
        member, position = _read_local(data, central, code, limits)
        folded = member.name.casefold()
        if folded in names:
            raise XRoadError(code, f"ZIP has the entry {member.name!r:.80} twice")
        names.add(folded)
        total += len(member.data)
        if total > limits.max_total_bytes:
            raise XRoadError(code, f"ZIP content larger than {limits.max_total_bytes} bytes")
        members.append(member)
    if position != cd_offset:
        raise XRoadError(code, f"{cd_offset - position} unaccounted bytes before the directory")
    return ZipContents(tuple(members), comment)


def _find_end(data: bytes, code: Code) -> tuple[int, int, int, bytes]:
    # The end record is the last 22 bytes plus its comment (APPNOTE §4.3.16); nothing may follow.
    start = len(data) - _END.size
    lowest = max(0, start - 0xFFFF)
    while start >= lowest:
        if data[start : start + 4] == END_SIG:
            fields = _END.unpack_from(data, start)
            if start + _END.size + fields[7] == len(data):
                break
        start -= 1
    else:
        raise XRoadError(code, "not a ZIP file: no end-of-central-directory record at its end")
    _, disk, cd_disk, on_disk, count, cd_size, cd_offset, _ = fields
    if disk or cd_disk or on_disk != count:
        raise XRoadError(code, "multi-disk ZIP files are not supported")
    if count == 0xFFFF or cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        raise XRoadError(code, "ZIP64 files are not supported")
    if cd_offset + cd_size != start:
        raise XRoadError(code, "ZIP central directory does not end at the end record")
    return start, count, cd_offset, data[start + _END.size :]


def _read_central_directory(
    data: bytes, offset: int, end: int, count: int, code: Code
) -> list[_Central]:
    entries: list[_Central] = []
    position = offset
    for _ in range(count):
        if position + _CENTRAL.size > end or data[position : position + 4] != CENTRAL_SIG:
            raise XRoadError(code, f"bad central directory record at offset {position}")
        fields = _CENTRAL.unpack_from(data, position)
        made, need, flags, method, time, date, crc, csize, usize = fields[1:10]
        name_len, extra_len, comment_len, disk, internal, external, local = fields[10:]
        name_at = position + _CENTRAL.size
        position = name_at + name_len + extra_len + comment_len
        if position > end:
            raise XRoadError(code, "central directory record runs past the directory")
        is_dir = data[name_at : name_at + name_len].endswith(b"/")
        _check_central_only(made, disk, internal, external, comment_len, is_dir=is_dir, code=code)
        entries.append(
            _Central(
                made,
                need,
                flags,
                method,
                time,
                date,
                crc,
                csize,
                usize,
                data[name_at : name_at + name_len],
                data[name_at + name_len : name_at + name_len + extra_len],
                local,
            )
        )
    if position != end:
        raise XRoadError(code, "ZIP central directory holds more records than the end record says")
    return entries


def _check_central_only(
    made: int,
    disk: int,
    internal: int,
    external: int,
    comment_len: int,
    *,
    is_dir: bool,
    code: Code,
) -> None:
    # These fields have no copy in the local header, so only their values can be checked. They
    # are held to what known writers produce (Java and VDX: MS-DOS host, no attributes;
    # Info-ZIP: Unix host, permissions, text flag), chosen so that no single changed bit of a
    # Java- or VDX-made record gives another accepted value.
    host, version = made >> 8, made & 0xFF
    if version not in _MADE_BY_VERSIONS:
        raise XRoadError(code, f"ZIP 'version made by' {version} is not a known writer's")
    if disk != 0:
        raise XRoadError(code, "multi-disk ZIP files are not supported")
    if comment_len:
        raise XRoadError(code, "ZIP file comments are not allowed in evidence files")
    dos_attributes = (0, _DOS_DIRECTORY) if is_dir else (0,)
    if host == 0:
        valid = internal == 0 and external in dos_attributes
    elif host in _UNIX_HOSTS:
        valid = (
            internal in (0, 1)
            and external & 0xFFFF in dos_attributes
            and (external >> 16) & 0o170000 in _UNIX_TYPES
        )
    else:
        raise XRoadError(code, f"ZIP made on host system {host}, which evidence files never use")
    if not valid:
        raise XRoadError(code, f"ZIP attributes {internal:#x}/{external:#x} are not valid")


def _read_local(
    data: bytes, central: _Central, code: Code, limits: ZipLimits
) -> tuple[ZipMember, int]:
    at = central.offset
    if at + _LOCAL.size > len(data) or data[at : at + 4] != LOCAL_SIG:
        raise XRoadError(code, f"no local file header at offset {at}")
    (_, need, flags, method, time, date, crc, csize, usize, name_len,
     extra_len) = _LOCAL.unpack_from(data, at)  # fmt: skip
    name_at = at + _LOCAL.size
    raw_name = data[name_at : name_at + name_len]
    extra = data[name_at + name_len : name_at + name_len + extra_len]
    name = _decode_name(raw_name, central.flags, code)
    if (need, flags, method, time, date, raw_name) != (
        central.need, central.flags, central.method, central.time, central.date, central.raw_name
    ):  # fmt: skip
        raise XRoadError(code, f"local header of {name!r:.80} differs from the directory")
    if flags & _FLAG_ENCRYPTED or flags & ~_ALLOWED_FLAGS:
        raise XRoadError(code, f"ZIP entry {name!r:.80} uses unsupported flags {flags:#x}")
    if method not in (STORED, DEFLATED) or need not in (10, 20):
        raise XRoadError(code, f"ZIP entry {name!r:.80} uses an unsupported compression method")
    sizes = (crc, csize, usize)
    if not flags & _FLAG_DESCRIPTOR and sizes != (central.crc, central.csize, central.usize):
        raise XRoadError(code, f"local header of {name!r:.80} gives other sizes or CRC")
    if flags & _FLAG_DESCRIPTOR and sizes not in (
        (0, 0, 0),
        (central.crc, central.csize, central.usize),
    ):
        raise XRoadError(code, f"local header of {name!r:.80} gives other sizes or CRC")
    _check_extra(extra, central.extra, name, code)
    body_at = name_at + name_len + extra_len
    end = body_at + central.csize
    if end > len(data):
        raise XRoadError(code, f"ZIP entry {name!r:.80} runs past the end of the file")
    if flags & _FLAG_DESCRIPTOR:
        end = _check_descriptor(data, end, central, name, code)
    if central.usize > limits.max_entry_bytes:
        raise XRoadError(code, f"ZIP entry {name!r:.80} larger than {limits.max_entry_bytes} bytes")
    content = _inflate(data[body_at : body_at + central.csize], central, name, code)
    return ZipMember(name, content, method), end


def _decode_name(raw: bytes, flags: int, code: Code) -> str:
    try:
        name = raw.decode("utf-8") if flags & _FLAG_UTF8 else raw.decode("cp437")
    except UnicodeDecodeError:
        raise XRoadError(code, "ZIP entry name is not valid UTF-8") from None
    parts = name.split("/")
    unsafe = not name or name.startswith("/") or "\\" in name or "\x00" in name
    if unsafe or ".." in parts or "" in parts[:-1]:
        raise XRoadError(code, f"ZIP entry name {name!r:.80} is not a safe relative path")
    return name


def _extra_records(extra: bytes, name: str, code: Code) -> dict[int, bytes]:
    records: dict[int, bytes] = {}
    position = 0
    while position < len(extra):
        if position + 4 > len(extra):
            raise XRoadError(code, f"truncated extra field in {name!r:.80}")
        header, size = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4 : position + 4 + size]
        if len(body) != size or header in records:
            raise XRoadError(code, f"malformed extra field in {name!r:.80}")
        if header == 0x0001:
            raise XRoadError(code, "ZIP64 files are not supported")
        records[header] = body
        position += 4 + size
    return records


def _check_extra(local: bytes, central: bytes, name: str, code: Code) -> None:
    # Writers may shorten a record in the directory (Info-ZIP keeps only the modification time
    # of the 0x5455 timestamp there), so each central record must begin its local twin.
    local_records = _extra_records(local, name, code)
    for header, body in _extra_records(central, name, code).items():
        if not local_records.get(header, b"").startswith(body) or header not in local_records:
            raise XRoadError(code, f"extra field of {name!r:.80} differs from its local header")


def _check_descriptor(data: bytes, at: int, central: _Central, name: str, code: Code) -> int:
    if data[at : at + 4] == DESCRIPTOR_SIG:
        at += 4
    if at + 12 > len(data):
        raise XRoadError(code, f"data descriptor of {name!r:.80} is truncated")
    if struct.unpack_from("<III", data, at) != (central.crc, central.csize, central.usize):
        raise XRoadError(code, f"data descriptor of {name!r:.80} differs from the directory")
    return at + 12


def _inflate(raw: bytes, central: _Central, name: str, code: Code) -> bytes:
    content = raw if central.method == STORED else _deflated(raw, central.usize, name, code)
    if len(content) != central.usize:
        raise XRoadError(code, f"ZIP entry {name!r:.80} has the wrong uncompressed size")
    if zlib.crc32(content) != central.crc:
        raise XRoadError(code, f"ZIP entry {name!r:.80} fails its CRC-32 check")
    return content


def _deflated(raw: bytes, size: int, name: str, code: Code) -> bytes:
    # The stream must end exactly at the last byte, and the bits after its final block must be
    # zero (as zlib writes them): otherwise those bits could change without changing the data.
    broken = XRoadError(code, f"ZIP entry {name!r:.80} is not a valid deflate stream")
    if not raw:
        raise broken
    inflater = zlib.decompressobj(-15)
    try:
        head = inflater.decompress(raw[:-1], size + 1)
        if _leftover(inflater) != (False, False):
            raise broken
        before_last = inflater.copy()
        content = head + inflater.decompress(raw[-1:], size + 1 - len(head))
    except zlib.error:
        raise broken from None
    if _leftover(inflater) != (True, False):
        raise broken
    last = raw[-1]
    for bit in (1 << i for i in range(8)):
        if last & bit and _same_end(before_last, last & ~bit, head, content, size):
            raise XRoadError(code, f"ZIP entry {name!r:.80} has stray bits after its data")
    return content


def _leftover(inflater: zlib._Decompress) -> tuple[bool, bool]:
    """Whether the stream ended, and whether input is left over (after it or not yet read)."""
    return inflater.eof, bool(inflater.unused_data or inflater.unconsumed_tail)


def _same_end(
    inflater: zlib._Decompress, last: int, head: bytes, content: bytes, size: int
) -> bool:
    probe = inflater.copy()
    try:
        tail = probe.decompress(bytes([last]), size + 1 - len(head))
    except zlib.error:
        return False
    return probe.eof and not probe.unused_data and head + tail == content


def _dos_time(moment: datetime) -> tuple[int, int]:
    moment = max(moment.replace(tzinfo=None), _EPOCH)
    time = moment.hour << 11 | moment.minute << 5 | moment.second // 2
    date = (moment.year - 1980) << 9 | moment.month << 5 | moment.day  # APPNOTE 4.4.6: MS-DOS date
    return time, date


def write_zip(
    members: Sequence[tuple[str, bytes, bool]],
    *,
    modified: datetime | None = None,
    comment: bytes = b"",
) -> bytes:
    """A deterministic ZIP of ``(name, data, stored)`` members in the order given.

    Same input, same bytes: one fixed time stamp (``modified``, default 1980-01-01 00:00 as DOS
    time allows no earlier), MS-DOS host, no attributes and no extra fields.
    """
    time, date = _dos_time(modified or _EPOCH)
    body = bytearray()
    directory = bytearray()
    for name, data, stored in members:
        raw_name = name.encode("utf-8")
        method = STORED if stored else DEFLATED
        if stored:
            packed = data
        else:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed = compressor.compress(data) + compressor.flush()
        need = 10 if stored else 20
        crc = zlib.crc32(data)
        offset = len(body)
        body += _LOCAL.pack(
            LOCAL_SIG, need, _FLAG_UTF8, method, time, date, crc, len(packed), len(data),
            len(raw_name), 0,
        )  # fmt: skip
        body += raw_name + packed
        directory += _CENTRAL.pack(
            CENTRAL_SIG, _MADE_BY, need, _FLAG_UTF8, method, time, date, crc, len(packed),
            len(data), len(raw_name), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        directory += raw_name
    end = _END.pack(
        END_SIG, 0, 0, len(members), len(members), len(directory), len(body), len(comment)
    )
    return bytes(body + directory + end + comment)
