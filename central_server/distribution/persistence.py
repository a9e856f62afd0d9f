"""Keep the last generation on disk so a restarted central server serves it at once.

One JSON file, ``generation.json``, replaced atomically: written to a temporary file in the
same folder, flushed and fsynced, renamed over the old one, and the folder fsynced
(:func:`vdx.fileio.write_atomic`). Blocking: callers on the event loop run these in a thread.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from central_server.confgen import GeneratedConfiguration, GeneratedFile, VersionDirectories
from vdx.fileio import write_atomic
from vdx.globalconf import ProducedDirectory

FILE_NAME = "generation.json"
FORMAT = 1


class PersistedGenerationError(ValueError):
    """The stored generation cannot be read back."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _directory(produced: ProducedDirectory) -> dict[str, str]:
    return {"content_type": produced.content_type, "body": _b64(produced.body)}


def encode_generation(generation: GeneratedConfiguration) -> bytes:
    document = {
        "format": FORMAT,
        "generated_at": generation.generated_at.isoformat(),
        "expire_date": generation.expire_date.isoformat(),
        "directories": [
            {
                "version": d.version,
                "internal": _directory(d.internal),
                "external": _directory(d.external),
            }
            for d in generation.directories
        ],
        "files": [
            {
                "version": f.version,
                "content_identifier": f.content_identifier,
                "instance": f.instance,
                "location": f.location,
                "media_type": f.media_type,
                "data": _b64(f.data),
            }
            for f in generation.files
        ],
    }
    return json.dumps(document, indent=1).encode("utf-8")


def _produced(raw: dict[str, Any]) -> ProducedDirectory:
    return ProducedDirectory(base64.b64decode(raw["body"]), str(raw["content_type"]))


def decode_generation(data: bytes) -> GeneratedConfiguration:
    try:
        document = json.loads(data)
        if document.get("format") != FORMAT:
            raise PersistedGenerationError(f"Unknown generation format {document.get('format')}")
        return GeneratedConfiguration(
            generated_at=datetime.fromisoformat(document["generated_at"]),
            expire_date=datetime.fromisoformat(document["expire_date"]),
            directories=tuple(
                VersionDirectories(
                    int(d["version"]), _produced(d["internal"]), _produced(d["external"])
                )
                for d in document["directories"]
            ),
            files=tuple(
                GeneratedFile(
                    int(f["version"]),
                    str(f["content_identifier"]),
                    str(f["instance"]),
                    str(f["location"]),
                    base64.b64decode(f["data"]),
                    str(f["media_type"]),
                )
                for f in document["files"]
            ),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        if isinstance(error, PersistedGenerationError):
            raise
        raise PersistedGenerationError(f"Stored generation is unreadable: {error}") from None


def save_generation(folder: Path, generation: GeneratedConfiguration) -> Path:
    """Atomically replace ``folder/generation.json``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILE_NAME
    write_atomic(target, encode_generation(generation))
    return target


def load_generation(folder: Path) -> GeneratedConfiguration | None:
    """The stored generation, ``None`` when there is none; raises when it is unreadable."""
    target = folder / FILE_NAME
    if not target.is_file():
        return None
    return decode_generation(target.read_bytes())
