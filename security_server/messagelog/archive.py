"""Which records go into which archive file, and the archive's bytes and name (pure).

The reference's archiver (``LogArchiver``, ``LogArchiveWriter``, ``LogArchiveCache``; security
server user guide §11.1.6 "Archive Files") decides:

- records are taken ordered by the archiving group and then by id; with grouping ``member``
  or ``subsystem`` each group (the member of the client the record is filed under, or that
  client itself: the client on the client side, the service provider on the server side, as
  the reference's ``LogManager.createMessageRecord`` files it) gets its own archive files and
  its own linking chain (the last digest is kept per group);
- containers are added to the open archive until their total size exceeds
  ``archive-max-filesize``; the archive is then closed, so a file exceeds the limit by at most
  its last container;
- an archive is a ZIP of the ``*.asice`` containers and a ``linkinginfo`` file whose first line
  names the previous archive of the group (its last digest and file name), so the archives of a
  group form one hash chain (:mod:`vdx.crypto.archive`);
- the file is named ``mlog[-group]-<first time>-<last time>-<16 hex of the last digest>.zip``
  with the record times as ``yyyyMMddHHmmss`` and the group name made file-name safe.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from security_server.messagelog.asic_build import container_name, record_container
from security_server.messagelog.model import StoredRecord, TimestampRecord
from vdx.crypto.archive import build_archive
from vdx.identifiers.model import ClientId

DEFAULT_MAX_BYTES = 33_554_432  # archive-max-filesize default (32 MiB)
LINKING_ALGORITHM = "SHA-512"  # the reference's default message log hash algorithm
STATE_FORMAT = 1
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\<>/:|*?]")  # the reference's escape() in file names
_GROUP_NAME_MAX = 200

Stamped = tuple[StoredRecord, TimestampRecord]


class Grouping(enum.StrEnum):
    """``archive-grouping``: one chain for all, per client member, or per client subsystem."""

    NONE = "none"
    MEMBER = "member"
    SUBSYSTEM = "subsystem"


def group_name(client: ClientId, grouping: Grouping) -> str | None:
    """The group a record filed under ``client`` (its owner) is archived in (``None``: no
    grouping)."""
    if grouping is Grouping.NONE:
        return None
    parts = [client.instance, client.member_class, client.member_code]
    if grouping is Grouping.SUBSYSTEM and client.subsystem_code is not None:
        parts.append(client.subsystem_code)
    return "/".join(parts)


def archive_file_name(group: str | None, start: datetime, end: datetime, digest: str) -> str:
    prefix = "" if group is None else _UNSAFE.sub("_", group)[:_GROUP_NAME_MAX] + "-"
    return f"mlog-{prefix}{_stamp(start)}-{_stamp(end)}-{digest[:16]}.zip"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True, slots=True)
class ChainLink:
    """The last archive of a group: its last linking digest and file name (empty: none yet)."""

    digest: str = ""
    file: str = ""


@dataclass(frozen=True, slots=True)
class ChainState:
    """The last link of every group's chain, kept durably between runs."""

    links: dict[str, ChainLink] = field(default_factory=dict)  # group ("" for none) -> link

    def link(self, group: str | None) -> ChainLink:
        return self.links.get(group or "", ChainLink())

    def advanced(self, group: str | None, link: ChainLink) -> ChainState:
        return ChainState({**self.links, group or "": link})

    def encode(self) -> bytes:
        groups = {name: {"digest": k.digest, "file": k.file} for name, k in self.links.items()}
        return json.dumps({"format": STATE_FORMAT, "groups": groups}, indent=1).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> ChainState:
        """Raises ``ValueError`` when the bytes are not a state this module wrote."""
        try:
            document = json.loads(data)
            if document.get("format") != STATE_FORMAT:
                raise ValueError(f"unknown archive state format {document.get('format')!r:.20}")
            links = {
                str(name): ChainLink(str(value["digest"]), str(value["file"]))
                for name, value in dict(document["groups"]).items()
            }
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"archive state is unreadable: {error}") from None
        return cls(links)


@dataclass(frozen=True, slots=True)
class PlannedArchive:
    """The containers of one archive file, in archive order."""

    group: str | None
    containers: tuple[tuple[str, bytes], ...]
    record_ids: tuple[int, ...]
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class BuiltArchive:
    name: str
    data: bytes
    link: ChainLink  # what the group's next archive links to
    record_ids: tuple[int, ...]


def _sort_key(grouping: Grouping) -> Callable[[Stamped], tuple[str, int]]:
    def key(item: Stamped) -> tuple[str, int]:
        return (group_name(item[0].entry.owner, grouping) or "", item[0].id)

    return key


def iter_archives(
    items: Sequence[Stamped],
    *,
    grouping: Grouping = Grouping.NONE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    build: Callable[[StoredRecord, TimestampRecord], bytes] = record_container,
) -> Iterator[PlannedArchive]:
    """Split stamped records into archives: by group, then rotated by size (see module doc).

    Lazy: an archive's containers are built when it is asked for, so at most one archive's
    containers are held at a time.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    current: list[tuple[StoredRecord, str, bytes]] = []
    group: str | None = None
    size = 0
    for record, stamp in sorted(items, key=_sort_key(grouping)):
        record_group = group_name(record.entry.owner, grouping)
        if current and record_group != group:
            yield _planned(group, current)
            current, size = [], 0
        group = record_group
        data = build(record, stamp)
        name = container_name(record.entry.query_id, record.entry.response, record.id)
        current.append((record, name, data))
        size += len(data)
        if size > max_bytes:
            yield _planned(group, current)
            current, size = [], 0
    if current:
        yield _planned(group, current)


def plan_archives(
    items: Sequence[Stamped],
    *,
    grouping: Grouping = Grouping.NONE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    build: Callable[[StoredRecord, TimestampRecord], bytes] = record_container,
) -> list[PlannedArchive]:
    """All archives of :func:`iter_archives` at once."""
    return list(iter_archives(items, grouping=grouping, max_bytes=max_bytes, build=build))


def _planned(group: str | None, current: list[tuple[StoredRecord, str, bytes]]) -> PlannedArchive:
    times = [record.entry.created_at for record, _, _ in current]
    return PlannedArchive(
        group,
        tuple((name, data) for _, name, data in current),
        tuple(record.id for record, _, _ in current),
        min(times),
        max(times),
    )


def build_archive_file(plan: PlannedArchive, previous: ChainLink) -> BuiltArchive:
    """The archive's bytes, chained to ``previous`` (the group's last archive), and its name."""
    data, last = build_archive(
        plan.containers,
        previous_digest=previous.digest,
        previous_file=previous.file,
        algorithm=LINKING_ALGORITHM,
        modified=plan.end,
    )
    name = archive_file_name(plan.group, plan.start, plan.end, last)
    return BuiltArchive(name, data, ChainLink(last, name), plan.record_ids)
