"""Configuration status and anchor export, for the API and the CLI.

The anchor (pr-gconf §2.3 configuration anchor) is made from the configuration being served
when there is one: its shared parameters already list every source's verification
certificates, active and announced. Before the first generation it is made from the registry
snapshot and the signing certificate, under the download URL's host as the source address.

Where the composition root keeps things in ``data_dir`` (for the CLI, which reads them without
a running server): the signing certificate at ``conf-signing/cert.pem`` and the last generation
as :mod:`central_server.distribution.persistence` writes it, in ``conf/`` (both as
:mod:`central_server.app` wires them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from central_server.admin_api import schemas as s
from central_server.confgen import GeneratedConfiguration, anchor_for, with_source_certificates
from vdx.globalconf import (
    SHARED_PARAMETERS,
    SharedParameters,
    anchor_hash,
    parse_shared_params,
    produce_anchor,
)

SIGNING_CERT = Path("conf-signing") / "cert.pem"
GENERATION_DIR = "conf"
MAX_URL = 1024

# Given the download URL (``http://host/internalconf``), the anchor XML; raises
# ``AnchorUnavailableError`` when there is nothing to export yet.
AnchorProvider = Callable[[str], Awaitable[bytes]]
# The generation being served now (``publisher.store.current``), or None.
ConfStatusProvider = Callable[[], GeneratedConfiguration | None]


class AnchorUnavailableError(Exception):
    """No configuration and no signing certificate to make an anchor from."""


@dataclass(frozen=True, slots=True)
class ExportedAnchor:
    xml: bytes
    hash: str


def signing_cert_path(data_dir: Path) -> Path:
    return data_dir / SIGNING_CERT


def generation_dir(data_dir: Path) -> Path:
    return data_dir / GENERATION_DIR


def check_download_url(url: str) -> str:
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("The download URL must be an http(s) URL with a host")
    return url


def conf_status(generation: GeneratedConfiguration | None, now: dt.datetime) -> s.ConfStatus:
    if generation is None:
        return s.ConfStatus(available=False)
    return s.ConfStatus(
        available=True,
        generated_at=generation.generated_at,
        expire_date=generation.expire_date,
        expired=now >= generation.expire_date,
        versions=list(generation.versions),
        files=[f.location for f in generation.files],
    )


def shared_of(generation: GeneratedConfiguration) -> SharedParameters:
    """The shared parameters of the generation's default version."""
    version = generation.default_version
    for item in generation.files:
        if item.version == version and item.content_identifier == SHARED_PARAMETERS:
            return parse_shared_params(item.data)
    raise AnchorUnavailableError("The configuration being served has no shared parameters")


def anchor_from_generation(generation: GeneratedConfiguration, download_url: str) -> bytes:
    shared = shared_of(generation)
    return produce_anchor(anchor_for(shared, download_url, generation.generated_at))


def anchor_from_snapshot(
    shared: SharedParameters, signing_cert_der: bytes, download_url: str, now: dt.datetime
) -> bytes:
    address = urlsplit(download_url).hostname or ""
    with_cert = with_source_certificates(shared, address, [signing_cert_der], [signing_cert_der])
    return produce_anchor(anchor_for(with_cert, download_url, now))


def export(xml: bytes) -> ExportedAnchor:
    return ExportedAnchor(xml, anchor_hash(xml))


def make_anchor_provider(
    *,
    current: ConfStatusProvider,
    snapshot: Callable[[], Awaitable[SharedParameters]] | None = None,
    signing_cert_der: bytes | None = None,
    clock: Callable[[], dt.datetime],
) -> AnchorProvider:
    """The composition root's anchor provider: the served generation, else the snapshot with
    the signing certificate (when both are given)."""

    async def provide(download_url: str) -> bytes:
        generation = current()
        if generation is not None:
            return anchor_from_generation(generation, download_url)
        if snapshot is None or signing_cert_der is None:
            raise AnchorUnavailableError("No configuration has been generated yet")
        return anchor_from_snapshot(await snapshot(), signing_cert_der, download_url, clock())

    return provide
