"""Keep the configuration in use on disk, so a restarted security server works offline.

What is stored is what was downloaded (the signed directory and the files, byte for byte), not
the parsed value: at start it is verified again against the anchor at the current time, so a
file changed on disk is refused like one changed on the wire. One JSON file, replaced
atomically (:func:`vdx.fileio.write_atomic`). Blocking: the client runs these in a thread.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from security_server.confclient.verify import RawDownload
from vdx.fileio import write_atomic

FILE_NAME = "globalconf.json"
FORMAT = 1
MAX_STORED_BYTES = 256 * 1024 * 1024


class StoredConfigurationError(ValueError):
    """The stored configuration cannot be read back."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode(raw: RawDownload) -> bytes:
    document = {
        "format": FORMAT,
        "source_url": raw.source_url,
        "content_type": raw.content_type,
        "directory": _b64(raw.directory),
        "files": {location: _b64(data) for location, data in raw.files.items()},
    }
    return json.dumps(document, indent=1).encode("utf-8")


def decode(data: bytes) -> RawDownload:
    try:
        document = json.loads(data)
        if document.get("format") != FORMAT:
            raise StoredConfigurationError(f"Unknown stored format {document.get('format')!r:.20}")
        return RawDownload(
            source_url=str(document["source_url"]),
            content_type=None
            if document["content_type"] is None
            else str(document["content_type"]),
            directory=base64.b64decode(document["directory"], validate=True),
            files={
                str(location): base64.b64decode(value, validate=True)
                for location, value in dict(document["files"]).items()
            },
        )
    except StoredConfigurationError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise StoredConfigurationError(f"Stored configuration is unreadable: {error}") from None


def save(folder: Path, raw: RawDownload) -> Path:
    """Atomically replace ``folder/globalconf.json``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILE_NAME
    write_atomic(target, encode(raw))
    return target


def load(folder: Path) -> RawDownload | None:
    """The stored download, ``None`` when there is none; raises when it is unreadable."""
    target = folder / FILE_NAME
    if not target.is_file():
        return None
    if target.stat().st_size > MAX_STORED_BYTES:
        raise StoredConfigurationError(f"Stored configuration larger than {MAX_STORED_BYTES}")
    return decode(target.read_bytes())
