"""One generation of the global configuration: the signed directories and the files they list.

Immutable, so the distribution side can swap a whole generation in one assignment and readers
never see a half-built one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vdx.globalconf import ProducedDirectory

XML_MEDIA_TYPE = "text/xml"


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """A configuration part (pr-gconf §2.5) at the location the directory gives for it."""

    version: int
    content_identifier: str
    instance: str
    location: str  # e.g. /V5/20260301120000000000000/shared-params.xml
    data: bytes
    media_type: str = XML_MEDIA_TYPE


@dataclass(frozen=True, slots=True)
class VersionDirectories:
    """The internal (private + shared) and external (shared only) directory of one version."""

    version: int
    internal: ProducedDirectory
    external: ProducedDirectory


@dataclass(frozen=True, slots=True)
class GeneratedConfiguration:
    generated_at: datetime
    expire_date: datetime
    directories: tuple[VersionDirectories, ...]
    files: tuple[GeneratedFile, ...]

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(d.version for d in self.directories))

    @property
    def default_version(self) -> int:
        """pr-gconf §2.7 leaves the default open; we serve the highest version we produce."""
        return max(self.versions)

    def directory(self, *, internal: bool, version: int | None = None) -> ProducedDirectory | None:
        wanted = self.default_version if version is None else version
        for entry in self.directories:
            if entry.version == wanted:
                return entry.internal if internal else entry.external
        return None

    def file(self, location: str) -> GeneratedFile | None:
        return next((f for f in self.files if f.location == location), None)

    def reusable(
        self, version: int, content_identifier: str, instance: str, data: bytes
    ) -> str | None:
        """Location of an identical earlier part, so unchanged parts keep their files."""
        for item in self.files:
            if (item.version, item.content_identifier, item.instance, item.data) == (
                version,
                content_identifier,
                instance,
                data,
            ):
                return item.location
        return None
