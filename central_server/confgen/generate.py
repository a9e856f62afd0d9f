"""Generate the signed global configuration from the registry's parameters (pure, no I/O).

Facts from pr-gconf: the internal directory lists PRIVATE-PARAMETERS and SHARED-PARAMETERS, the
external directory (for federation partners) SHARED-PARAMETERS only (§3.1, §3.3); every part
carries ``instance`` (§2.5); the directory expires (§2.4) and names its version (§2.7). The file
layout ``/V<version>/<timestamp>/<name>.xml`` and the timestamp form (UTC ``yyyyMMddHHmmss`` plus
nine digits of nanoseconds) follow the reference central server's files.

Deterministic: the same inputs and ``now`` give the same bytes (RSA PKCS#1 v1.5 signatures are
deterministic; MIME boundaries are derived from the content instead of drawn at random). With an
ECDSA key only the signed directory part repeats; the signature value is randomised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from central_server.confgen.model import GeneratedConfiguration, GeneratedFile, VersionDirectories
from central_server.confgen.signing import DirectorySigner, certificate_der
from vdx.globalconf import (
    PRIVATE_PARAMETERS,
    SHARED_PARAMETERS,
    ConfigurationFile,
    PrivateParameters,
    ProducedDirectory,
    SharedParameters,
    produce_directory,
    produce_private_params,
    produce_shared_params,
)
from vdx.globalconf.algorithms import SHA512

SUPPORTED_VERSIONS = (5, 6)
DEFAULT_VERSIONS = (5,)
DEFAULT_EXPIRE_SECONDS = 600
_FILE_NAMES = {PRIVATE_PARAMETERS: "private-params.xml", SHARED_PARAMETERS: "shared-params.xml"}


class ConfigurationGenerationError(ValueError):
    """The inputs cannot make a configuration security servers would accept."""


def timestamp_segment(now: datetime) -> str:
    """``20260301120000123456000``: UTC to the second, then nanoseconds (9 digits)."""
    moment = now.astimezone(UTC)
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond * 1000:09d}"


def generate(
    shared: SharedParameters,
    private: PrivateParameters,
    signing: DirectorySigner,
    now: datetime,
    *,
    expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
    previous: GeneratedConfiguration | None = None,
    external_signing: DirectorySigner | None = None,
    versions: Sequence[int] = DEFAULT_VERSIONS,
) -> GeneratedConfiguration:
    """Produce the signed internal and external directories of each version, and their files.

    ``signing`` signs the internal directory, ``external_signing`` (default: the same key) the
    external one; each certificate must be listed by a source in ``shared.sources`` so clients
    can follow the key (rotation: list the active and the next certificate there).
    """
    _check(
        shared,
        private,
        signing,
        external_signing or signing,
        versions=versions,
        expire_seconds=expire_seconds,
    )
    if now.tzinfo is None:
        raise ConfigurationGenerationError("now must be timezone-aware")
    expire_date = now + timedelta(seconds=expire_seconds)
    files: list[GeneratedFile] = []
    directories: list[VersionDirectories] = []
    placer = _Placer(now, previous)
    for version in sorted(set(versions)):
        private_file = placer.place(
            version, PRIVATE_PARAMETERS, shared.instance, produce_private_params(private)
        )
        shared_file = placer.place(
            version, SHARED_PARAMETERS, shared.instance, produce_shared_params(shared, version)
        )
        files += [private_file, shared_file]
        directories.append(
            VersionDirectories(
                version,
                internal=_sign([private_file, shared_file], expire_date, version, signing),
                external=_sign([shared_file], expire_date, version, external_signing or signing),
            )
        )
    return GeneratedConfiguration(now, expire_date, tuple(directories), tuple(files))


def _check(
    shared: SharedParameters,
    private: PrivateParameters,
    internal: DirectorySigner,
    external: DirectorySigner,
    *,
    versions: Sequence[int],
    expire_seconds: int,
) -> None:
    unsupported = sorted(set(versions) - set(SUPPORTED_VERSIONS))
    if not versions or unsupported:
        raise ConfigurationGenerationError(
            f"Configuration versions {unsupported or 'none'} requested; supported: "
            f"{SUPPORTED_VERSIONS}"
        )
    if expire_seconds <= 0:
        raise ConfigurationGenerationError("expire_seconds must be positive")
    if private.instance != shared.instance:
        raise ConfigurationGenerationError(
            f"Private parameters are for {private.instance}, shared for {shared.instance}"
        )
    for signer, is_internal in ((internal, True), (external, False)):
        if certificate_der(signer) not in shared.verification_certs(internal=is_internal):
            kind = "internal" if is_internal else "external"
            raise ConfigurationGenerationError(
                f"The {kind} signing certificate is not announced in the shared parameters: "
                f"add it to a source's {kind}VerificationCert list"
            )


class _Placer:
    """Chooses each part's location: an identical earlier part's, else a new timestamped one."""

    def __init__(self, now: datetime, previous: GeneratedConfiguration | None) -> None:
        self.now = now
        self.previous = previous
        self.taken = {f.location: f.data for f in previous.files} if previous else {}

    def place(
        self, version: int, content_identifier: str, instance: str, data: bytes
    ) -> GeneratedFile:
        if self.previous is not None:
            reused = self.previous.reusable(version, content_identifier, instance, data)
            if reused is not None:
                return GeneratedFile(version, content_identifier, instance, reused, data)
        name = _FILE_NAMES[content_identifier]
        moment = self.now
        location = f"/V{version}/{timestamp_segment(moment)}/{name}"
        # A location names one content forever; if a clock repeat would reuse it, step on.
        while self.taken.get(location, data) != data:
            moment += timedelta(microseconds=1)
            location = f"/V{version}/{timestamp_segment(moment)}/{name}"
        self.taken[location] = data
        return GeneratedFile(version, content_identifier, instance, location, data)


def _boundaries(
    files: Sequence[GeneratedFile], expire_date: datetime, version: int
) -> tuple[str, str]:
    seed = hashlib.sha256(f"{version}|{expire_date.isoformat()}".encode())
    for item in files:
        seed.update(item.location.encode() + b"\0" + hashlib.sha256(item.data).digest())
    digest = seed.hexdigest()
    return f"vdx{digest[:24]}", f"vdx{digest[24:48]}"


def _sign(
    files: Sequence[GeneratedFile], expire_date: datetime, version: int, signer: DirectorySigner
) -> ProducedDirectory:
    return produce_directory(
        [ConfigurationFile(f.content_identifier, f.instance, f.location, f.data) for f in files],
        expire_date=expire_date,
        sign=signer.sign,
        signature_algorithm=signer.signature_algorithm_id,
        certificate=signer.certificate,
        version=version,
        hash_algorithm=SHA512,
        boundaries=_boundaries(files, expire_date, version),
    )
