"""Message-log archives: ZIP files of ASiC-E containers tied into one chain by ``linkinginfo``.

Format (reference message log archiver ``LinkingInfoBuilder``; security server user guide
§11.1.6 "Archive Files"): the archive holds ``*.asice`` containers and one text file
``linkinginfo`` in UTF-8, lines ending in LF::

    <previous digest or -> <previous archive file name or -> <digest algorithm, e.g. SHA-512>
    <digest 1> <container 1 name>
    <digest 2> <container 2 name>
    ...

Each digest is ``hex(H(previous + hex(H(container bytes))))``, where ``previous`` is the digest
on the line before (the previous archive's last digest for the first container, empty for the
very first archive) and the concatenation is of lowercase hex text. The archive's last digest is
what the next archive's first line names, so the archives form one hash chain: changing any
container of any archive breaks every later link. The reference verifier computes the chain in
ZIP order, compares each container's digest with its line, and compares the first line with the
previous digest the operator gives (or ``-`` for the first archive).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from vdx.crypto.asic_zip import ZipContents, ZipLimits, read_zip, write_zip
from vdx.errors import Code, XRoadError

LINKING_INFO = "linkinginfo"
CONTAINER_SUFFIX = ".asice"
FIRST = "-"  # written for "no previous archive" (reference ``getWritable``)
# Java ``DigestAlgorithm.name()`` values the reference writes, and the hashlib names.
ALGORITHMS = {"SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


@dataclass(frozen=True, slots=True)
class LinkingInfo:
    """A parsed ``linkinginfo`` file; ``previous_digest`` is ``""`` for the first archive."""

    previous_digest: str
    previous_file: str
    algorithm: str
    entries: tuple[tuple[str, str], ...]  # (digest, container name) in file order

    def digest_for(self, name: str) -> str | None:
        return {n: d for d, n in self.entries}.get(name)

    def render(self) -> bytes:
        first = f"{self.previous_digest or FIRST} {self.previous_file or FIRST} {self.algorithm}"
        lines = [first, *(f"{digest} {name}" for digest, name in self.entries)]
        return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class ArchiveVerdict:
    """A verified archive: the link it continues and the digest the next archive must name."""

    previous_digest: str
    previous_checked: bool
    algorithm: str
    containers: tuple[str, ...]
    last_digest: str


def _hash(algorithm: str, data: bytes) -> str:
    name = ALGORITHMS.get(algorithm)
    if name is None:
        raise XRoadError(
            Code.UNSUPPORTED_ALGORITHM, f"unsupported digest algorithm {algorithm:.40}"
        )
    return hashlib.new(name, data).hexdigest()


def chain_digest(algorithm: str, previous: str, container: bytes) -> str:
    """The linking digest of ``container`` following ``previous`` (hex text, may be empty)."""
    return _hash(algorithm, (previous + _hash(algorithm, container)).encode("utf-8"))


def parse_linking_info(data: bytes) -> LinkingInfo:
    """Parse ``linkinginfo``; raise ``XRoadError(MalformedHashChain)`` if it is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise XRoadError(Code.MALFORMED_HASH_CHAIN, "linkinginfo is not UTF-8 text") from None
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()  # like Java's String.split, trailing empty lines do not count
    if not lines:
        raise XRoadError(Code.MALFORMED_HASH_CHAIN, "linkinginfo is empty")
    first = lines[0].split()
    if len(first) != 3:
        raise XRoadError(Code.MALFORMED_HASH_CHAIN, "linkinginfo first line needs 3 fields")
    previous, previous_file, algorithm = first
    if algorithm not in ALGORITHMS:
        raise XRoadError(
            Code.UNSUPPORTED_ALGORITHM, f"unsupported digest algorithm {algorithm:.40}"
        )
    entries: list[tuple[str, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if len(fields) != 2:
            raise XRoadError(Code.MALFORMED_HASH_CHAIN, f"linkinginfo line {number} needs 2 fields")
        if any(name == fields[1] for _, name in entries):
            raise XRoadError(
                Code.MALFORMED_HASH_CHAIN, f"linkinginfo names {fields[1]!r:.80} twice"
            )
        entries.append((fields[0], fields[1]))
    return LinkingInfo(
        "" if previous == FIRST else previous,
        "" if previous_file == FIRST else previous_file,
        algorithm,
        tuple(entries),
    )


def verify_archive(
    data: bytes,
    *,
    previous_digest: str | None = None,
    limits: ZipLimits | None = None,
    check_container: Callable[[bytes], object] | None = None,
) -> ArchiveVerdict:
    """Verify an archive's frame and its linking chain; raise ``XRoadError`` with the reason.

    ``previous_digest`` is the last digest of the previous archive (``"-"`` or ``""`` for the
    first archive); when ``None`` the link to the previous archive is reported, not checked.
    Containers are opened only if ``check_container`` is given (e.g. a wrapper of
    :func:`vdx.crypto.asic_verify.verify_container`); it is called with each container's bytes
    after the chain holds, and raises to refuse.
    """
    linking, containers = _split(read_zip(data, limits, code=Code.ASIC_INVALID_CONTAINER))
    info = parse_linking_info(linking)
    if not containers:
        raise XRoadError(Code.ASIC_INVALID_CONTAINER, "no ASiC containers in the archive")
    if previous_digest is not None:
        _check_previous(previous_digest, info)
    names = {name for name, _ in containers}
    listed = {name for _, name in info.entries}
    if names != listed:
        extra, absent = sorted(listed - names), sorted(names - listed)
        raise XRoadError(
            Code.INVALID_HASH_CHAIN_REF,
            f"linking info and archive list other files: only in linking info {extra}"[:300]
            + f"; only in archive {absent}"[:300],
        )
    last = info.previous_digest
    for name, content in containers:
        last = chain_digest(info.algorithm, last, content)
        if info.digest_for(name) != last:
            raise XRoadError(
                Code.INVALID_HASH_CHAIN_RESULT, f"digest of {name!r:.80} does not match"
            )
    if check_container is not None:
        for name, content in containers:
            try:
                check_container(content)
            except XRoadError as error:
                raise XRoadError(error.code, f"{name}: {error.message}") from None
    return ArchiveVerdict(
        info.previous_digest,
        previous_digest is not None,
        info.algorithm,
        tuple(name for name, _ in containers),
        last,
    )


def _split(contents: ZipContents) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The linking info and the ``(name, bytes)`` containers, in ZIP order."""
    linking: bytes | None = None
    containers: list[tuple[str, bytes]] = []
    for member in contents.members:
        if member.name == LINKING_INFO:
            linking = member.data
        elif member.name.endswith(CONTAINER_SUFFIX) and "/" not in member.name:
            containers.append((member.name, member.data))
        else:
            # The reference skips such entries; an archive we vouch for holds nothing unchained.
            raise XRoadError(Code.ASIC_INVALID_CONTAINER, f"unexpected entry {member.name!r:.80}")
    if contents.comment:
        raise XRoadError(Code.ASIC_INVALID_CONTAINER, "unexpected ZIP comment in the archive")
    if linking is None:
        raise XRoadError(Code.MALFORMED_HASH_CHAIN, "linking info not found in the archive")
    return linking, containers


def _check_previous(previous_digest: str, info: LinkingInfo) -> None:
    expected = "" if previous_digest == FIRST else previous_digest.strip().lower()
    if expected != info.previous_digest:
        raise XRoadError(
            Code.INVALID_HASH_CHAIN_RESULT,
            f"previous archive digest differs: given {expected or FIRST!r:.140},"
            f" linking info has {info.previous_digest or FIRST!r:.140}",
        )


def build_archive(
    containers: Sequence[tuple[str, bytes]],
    *,
    previous_digest: str = "",
    previous_file: str = "",
    algorithm: str = "SHA-512",
    modified: datetime | None = None,
) -> tuple[bytes, str]:
    """A deterministic archive of ``(name, container bytes)`` and its last linking digest.

    ``previous_digest`` is the previous archive's last digest (empty for the first archive).
    """
    if not containers:
        raise ValueError("an archive holds at least one container")
    entries: list[tuple[str, str]] = []
    last = previous_digest
    for name, content in containers:
        if not name.endswith(CONTAINER_SUFFIX) or "/" in name or any(c.isspace() for c in name):
            raise ValueError(f"container name {name!r} is not a plain *.asice name")
        last = chain_digest(algorithm, last, content)
        entries.append((last, name))
    info = LinkingInfo(previous_digest, previous_file, algorithm, tuple(entries))
    # Stored, not deflated: containers are compressed already, and deflate has several
    # encodings of the same bytes; stored, every bit of a container is under the linking digest.
    members = [(name, content, True) for name, content in containers]
    members.append((LINKING_INFO, info.render(), True))
    return write_zip(members, modified=modified), last
