"""ASiC-E evidence containers as X-Road's message log writes them: read into a model, and build.

Layout (reference ``AsicContainerEntries``; ETSI EN 319 162-1 §A.1 for the ASiC-E frame):

- ``mimetype``: ``application/vnd.etsi.asic-e+zip``;
- ``message.xml``: the logged SOAP message (or REST message record) as signed;
- ``attachment1``, ``attachment2``...: attachments, numbered from 1;
- ``META-INF/signatures.xml``: ``asic:XAdESSignatures`` holding the XAdES signature;
- ``sig-hashchain.xml`` / ``sig-hashchainresult.xml``: present when the message was signed in a
  batch; the signature then covers the hash chain result instead of the message;
- ``ts-hashchain.xml`` / ``ts-hashchainresult.xml``, ``META-INF/timestamp.tst``,
  ``META-INF/ASiCManifest.xml``: present when the record was time-stamped in a batch;
- ``META-INF/manifest.xml``: the ODF manifest listing the data files with their media types.

Names are matched without regard to case, as the reference reads them. Reading checks what the
reference checks when it loads a container, in its order and with its error codes; everything
else (manifest, digests, signature) is :mod:`vdx.crypto.asic_verify`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vdx.crypto.asic_zip import ZipContents, ZipLimits, looks_like_zip, read_zip, write_zip
from vdx.errors import Code, XRoadError

MIMETYPE = "application/vnd.etsi.asic-e+zip"
ENTRY_MIMETYPE = "mimetype"
ENTRY_MESSAGE = "message.xml"
ENTRY_SIGNATURE = "META-INF/signatures.xml"
ENTRY_SIG_HASH_CHAIN_RESULT = "sig-hashchainresult.xml"
ENTRY_SIG_HASH_CHAIN = "sig-hashchain.xml"
ENTRY_TS_HASH_CHAIN_RESULT = "ts-hashchainresult.xml"
ENTRY_TS_HASH_CHAIN = "ts-hashchain.xml"
ENTRY_MANIFEST = "META-INF/manifest.xml"
ENTRY_ASIC_MANIFEST = "META-INF/ASiCManifest.xml"
ENTRY_TIMESTAMP = "META-INF/timestamp.tst"
ATTACHMENT_PREFIX = "attachment"
# The reference writes this archive comment; an empty comment is the other form seen.
ALLOWED_COMMENTS = frozenset({b"", f"mimetype={MIMETYPE}".encode("ascii")})

_ATTACHMENT = re.compile(r"attachment[1-9][0-9]*", re.IGNORECASE)
_KNOWN = (
    ENTRY_MIMETYPE, ENTRY_MESSAGE, ENTRY_SIGNATURE, ENTRY_SIG_HASH_CHAIN_RESULT,
    ENTRY_SIG_HASH_CHAIN, ENTRY_TS_HASH_CHAIN_RESULT, ENTRY_TS_HASH_CHAIN, ENTRY_MANIFEST,
    ENTRY_ASIC_MANIFEST, ENTRY_TIMESTAMP,
)  # fmt: skip
_CANONICAL = {name.casefold(): name for name in _KNOWN}


@dataclass(frozen=True, slots=True)
class AsicEntry:
    """One file of a container, under its canonical name (case as the reference spells it)."""

    name: str
    data: bytes
    stored: bool


@dataclass(frozen=True, slots=True)
class AsicContainer:
    """A container's files in file order, and the facts about its ZIP frame."""

    entries: tuple[AsicEntry, ...]
    comment: bytes = b""

    def get(self, name: str) -> bytes | None:
        wanted = name.casefold()
        for entry in self.entries:
            if entry.name.casefold() == wanted:
                return entry.data
        return None

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    @property
    def message(self) -> bytes:
        return self.get(ENTRY_MESSAGE) or b""

    @property
    def signature(self) -> bytes:
        return self.get(ENTRY_SIGNATURE) or b""

    @property
    def timestamp(self) -> bytes | None:
        return self.get(ENTRY_TIMESTAMP)

    @property
    def attachments(self) -> tuple[AsicEntry, ...]:
        numbered = [e for e in self.entries if _ATTACHMENT.fullmatch(e.name)]
        return tuple(sorted(numbered, key=lambda e: int(e.name[len(ATTACHMENT_PREFIX) :])))

    @property
    def others(self) -> tuple[AsicEntry, ...]:
        """Entries that are neither a known X-Road file, an attachment nor a directory."""
        return tuple(
            e
            for e in self.entries
            if e.name not in _KNOWN
            and not _ATTACHMENT.fullmatch(e.name)
            and not e.name.endswith("/")
        )

    @property
    def mimetype_first_and_stored(self) -> bool:
        """ETSI EN 319 162-1 §A.1: ``mimetype`` first and uncompressed (not so in the reference)."""
        first = self.entries[0] if self.entries else None
        return first is not None and first.name == ENTRY_MIMETYPE and first.stored


def read_container(data: bytes, limits: ZipLimits | None = None) -> AsicContainer:
    """Read a container, with the reference's loading checks; raise ``XRoadError`` (ASIC_*)."""
    if not looks_like_zip(data):
        # The reference reads with a streaming ZIP reader that finds no entry in such bytes and
        # so reports the first missing entry, ``mimetype``.
        raise XRoadError(Code.ASIC_MIME_TYPE_NOT_FOUND, "not a ZIP file, so no mimetype entry")
    contents = read_zip(data, limits, code=Code.ASIC_INVALID_CONTAINER)
    container = _from_zip(contents)
    _check_like_reference(container)
    return container


def _from_zip(contents: ZipContents) -> AsicContainer:
    entries = []
    for member in contents.members:
        name = _CANONICAL.get(member.name.casefold(), member.name)
        if _ATTACHMENT.fullmatch(name):
            name = name.lower()
        entries.append(AsicEntry(name, member.data, member.method == 0))
    return AsicContainer(tuple(entries), contents.comment)


def _blank(data: bytes | None) -> bool:
    return data is None or not data.strip()


def _check_like_reference(container: AsicContainer) -> None:
    # Order and codes of the reference ``AsicContainer`` constructor (via ``AsicHelper``).
    mimetype = container.get(ENTRY_MIMETYPE)
    if _blank(mimetype):
        raise XRoadError(Code.ASIC_MIME_TYPE_NOT_FOUND, "mimetype not found or is empty")
    # Compared as the reference does: whole content, letters in any case.
    if mimetype is not None and mimetype.decode("utf-8", "replace").lower() != MIMETYPE:
        raise XRoadError(Code.ASIC_INVALID_MIME_TYPE, f"invalid mime type {mimetype[:60]!r}")
    if _blank(container.get(ENTRY_MESSAGE)):
        raise XRoadError(Code.ASIC_MESSAGE_NOT_FOUND, f"{ENTRY_MESSAGE} not found or is empty")
    if _blank(container.get(ENTRY_SIGNATURE)):
        raise XRoadError(Code.ASIC_SIGNATURE_NOT_FOUND, f"{ENTRY_SIGNATURE} not found or is empty")
    _check_pair(container, ENTRY_SIG_HASH_CHAIN_RESULT, ENTRY_SIG_HASH_CHAIN)
    timestamp = container.get(ENTRY_TIMESTAMP)
    if timestamp is not None and not timestamp:
        raise XRoadError(Code.ASIC_TIMESTAMP_NOT_FOUND, f"{ENTRY_TIMESTAMP} is empty")
    _check_pair(container, ENTRY_TS_HASH_CHAIN_RESULT, ENTRY_TS_HASH_CHAIN)
    for name in (ENTRY_MANIFEST, ENTRY_ASIC_MANIFEST):
        found = container.get(name)
        if found is not None and _blank(found):
            raise XRoadError(Code.ASIC_MANIFEST_NOT_FOUND, f"{name} is empty")


def _check_pair(container: AsicContainer, result_name: str, chain_name: str) -> None:
    result, chain = container.get(result_name), container.get(chain_name)
    if _blank(result) and _blank(chain):
        return
    if _blank(result):
        raise XRoadError(Code.ASIC_HASH_CHAIN_RESULT_NOT_FOUND, f"{result_name} not found")
    if _blank(chain):
        raise XRoadError(Code.ASIC_HASH_CHAIN_NOT_FOUND, f"{chain_name} not found")


@dataclass(frozen=True, slots=True)
class HashChainFiles:
    """A hash chain and its result, as the batch signer or time-stamper wrote them."""

    chain: bytes
    result: bytes


def manifest_xml(entries: Sequence[tuple[str, str]]) -> bytes:
    """The ODF manifest (OpenDocument 1.2 part 3 §4) listing ``(path, media type)`` pairs."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
            ' manifest:version="1.2">'
        ),
        f'    <manifest:file-entry manifest:media-type="{MIMETYPE}" manifest:full-path="/"/>',
    ]
    for path, media_type in entries:
        lines.append(
            f'    <manifest:file-entry manifest:media-type="{_attr(media_type)}"'
            f' manifest:full-path="{_attr(path)}"/>'
        )
    lines.append("</manifest:manifest>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def build_container(
    *,
    message: bytes,
    signature_xml: bytes,
    attachments: Sequence[bytes] = (),
    sig_hash_chain: HashChainFiles | None = None,
    ts_hash_chain: HashChainFiles | None = None,
    timestamp: bytes | None = None,
    asic_manifest: bytes | None = None,
    message_media_type: str = "text/xml",
    modified: datetime | None = None,
) -> bytes:
    """A deterministic ASiC-E container: ``mimetype`` first and stored, then the data files,
    then META-INF; ``manifest.xml`` lists every data file with its media type.

    ``signature_xml`` is the complete ``META-INF/signatures.xml`` document (made by the XAdES
    module). ``modified`` is the one time stamp given to every entry.
    """
    data: list[tuple[str, bytes, str]] = [(ENTRY_MESSAGE, message, message_media_type)]
    data += [(f"{ATTACHMENT_PREFIX}{i}", a, "application/octet-stream") for i, a in
             enumerate(attachments, start=1)]  # fmt: skip
    for chains, result_name, chain_name in (
        (sig_hash_chain, ENTRY_SIG_HASH_CHAIN_RESULT, ENTRY_SIG_HASH_CHAIN),
        (ts_hash_chain, ENTRY_TS_HASH_CHAIN_RESULT, ENTRY_TS_HASH_CHAIN),
    ):
        if chains is not None:
            data += [
                (result_name, chains.result, "text/xml"),
                (chain_name, chains.chain, "text/xml"),
            ]
    members: list[tuple[str, bytes, bool]] = [(ENTRY_MIMETYPE, MIMETYPE.encode("ascii"), True)]
    members += [(name, content, False) for name, content, _ in data]
    members.append((ENTRY_MANIFEST, manifest_xml([(n, t) for n, _, t in data]), False))
    members.append((ENTRY_SIGNATURE, signature_xml, False))
    if asic_manifest is not None:
        members.append((ENTRY_ASIC_MANIFEST, asic_manifest, False))
    if timestamp is not None:
        members.append((ENTRY_TIMESTAMP, timestamp, False))
    return write_zip(members, modified=modified)
