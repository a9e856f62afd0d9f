"""Turn downloaded bytes into a verified configuration (pure: bytes and ``now`` in, value out).

pr-gconf §2.6, in the order a client must follow: the directory's signature is checked against
the anchor and its Expire-date against ``now`` *before* any file it lists is fetched (so no
request is driven by unsigned data); then every fetched file must have the digest the directory
gives for it; then the instance's shared and private parameters are parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from security_server.confclient.model import GlobalConfiguration, build_configuration
from vdx.errors import Code, XRoadError
from vdx.globalconf import (
    PRIVATE_PARAMETERS,
    SHARED_PARAMETERS,
    ConfigurationAnchor,
    SignedDirectory,
    parse_directory,
    parse_private_params,
    parse_shared_params,
    verify_directory,
    verify_part,
)
from vdx.globalconf.directory import DEFAULT_MAX_BYTES, DirectoryPart


@dataclass(frozen=True, slots=True)
class RawDownload:
    """What one download produced (also what is persisted): directory, its type, the files."""

    source_url: str
    content_type: str | None  # None: ``directory`` is a stored file with its own header
    directory: bytes
    files: Mapping[str, bytes] = field(default_factory=dict)  # Content-location -> bytes


def _malformed(message: str) -> XRoadError:
    return XRoadError(Code.MALFORMED_GLOBALCONF, message)


def file_url(download_url: str, location: str) -> str:
    """Where to fetch a part: its Content-location (an absolute path) on the source's origin.

    A location naming another host (``http://...`` or ``//host/...``) is refused, so a
    directory cannot make the client fetch from elsewhere.
    """
    unsafe = any(ord(c) < 0x21 or ord(c) == 0x7F for c in location)  # spaces, controls
    if unsafe or not location.startswith("/") or location.startswith("//") or "\\" in location:
        raise _malformed(f"Content-location {location!r:.120} is not an absolute path")
    source = urlsplit(download_url)
    if source.scheme not in ("http", "https") or not source.netloc:
        raise _malformed(f"Download URL {download_url!r:.120} is not an http(s) URL")
    return f"{source.scheme}://{source.netloc}{location}"


def verify_signed(
    anchor: ConfigurationAnchor,
    data: bytes,
    content_type: str | None,
    now: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SignedDirectory:
    """Parse and verify the directory (signature by an anchor key, not expired at ``now``)."""
    directory = parse_directory(data, content_type, max_bytes)
    return verify_directory(directory, None, anchor, now)


def _own_part(directory: SignedDirectory, identifier: str, instance: str) -> DirectoryPart | None:
    for part in directory.parts:
        if part.content_identifier == identifier and part.instance in (None, instance):
            return part
    return None


def assemble(
    anchor: ConfigurationAnchor,
    directory: SignedDirectory,
    raw: RawDownload,
) -> GlobalConfiguration:
    """Check every listed file's digest, parse this instance's parameters, index them."""
    for part in directory.parts:
        content = raw.files.get(part.content_location)
        if content is None:
            raise XRoadError(Code.IO_ERROR, f"Missing configuration file {part.content_location}")
        verify_part(part, content)
    shared_part = _own_part(directory, SHARED_PARAMETERS, anchor.instance)
    if shared_part is None:
        raise _malformed(f"Directory lists no shared parameters of instance {anchor.instance}")
    shared = parse_shared_params(raw.files[shared_part.content_location])
    if shared.instance != anchor.instance:
        raise _malformed(
            f"Shared parameters are of instance {shared.instance}, the anchor's is "
            f"{anchor.instance}"
        )
    private_part = _own_part(directory, PRIVATE_PARAMETERS, anchor.instance)
    private = None
    if private_part is not None:
        private = parse_private_params(raw.files[private_part.content_location])
        if private.instance != anchor.instance:
            raise _malformed(f"Private parameters are of instance {private.instance}")
    return build_configuration(
        shared,
        private,
        expire_date=directory.expire_date,
        version=directory.version,
        source_url=raw.source_url,
        directory_digest=hashlib.sha256(directory.signed_data).digest(),
    )


def verify_download(
    anchor: ConfigurationAnchor, raw: RawDownload, now: datetime
) -> GlobalConfiguration:
    """Both steps on stored bytes (restore from disk re-verifies everything at ``now``)."""
    directory = verify_signed(anchor, raw.directory, raw.content_type, now)
    return assemble(anchor, directory, raw)
