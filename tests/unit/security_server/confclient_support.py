"""Shared inputs for the configuration client tests: real signed configurations (no tests here).

Configurations are produced by the central server's own generator (confgen) from the hand-built
instance of ``tests/unit/central_server/test_confgen_support.py``, so the client is tested
against what the central server really serves.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from central_server.confgen import (
    GeneratedConfiguration,
    SoftwareDirectorySigner,
    anchor_for,
    generate,
)
from security_server.confclient import RawDownload, verify_download
from security_server.confclient.model import GlobalConfiguration
from tests.unit.central_server.test_confgen_support import (
    NOW,
    private_parameters,
    rsa_signer,
    shared_parameters,
)
from vdx.globalconf import ConfigurationAnchor, SharedParameters

DOWNLOAD_URL = "http://cs.vdx.test/internalconf"


class Clock:
    """A clock the test moves; the code under test calls it like ``utc_now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def anchor(
    signer: SoftwareDirectorySigner | None = None, url: str = DOWNLOAD_URL
) -> ConfigurationAnchor:
    return anchor_for(shared_parameters(signer or rsa_signer()), url, NOW)


def generated(
    now: datetime = NOW,
    *,
    shared: SharedParameters | None = None,
    signer: SoftwareDirectorySigner | None = None,
    expire_seconds: int = 600,
    previous: GeneratedConfiguration | None = None,
) -> GeneratedConfiguration:
    signer = signer or rsa_signer()
    return generate(
        shared or shared_parameters(signer),
        private_parameters(),
        signer,
        now,
        expire_seconds=expire_seconds,
        previous=previous,
    )


def raw_download(generation: GeneratedConfiguration, url: str = DOWNLOAD_URL) -> RawDownload:
    """What a client downloads from a central server serving ``generation``."""
    directory = generation.directory(internal=True)
    assert directory is not None
    return RawDownload(
        source_url=url,
        content_type=directory.content_type,
        directory=directory.body,
        files={f.location: f.data for f in generation.files},
    )


def configuration(
    now: datetime = NOW, *, member_name: str = "Ministry of Tests", expire_seconds: int = 600
) -> GlobalConfiguration:
    """A verified configuration generated at ``now``."""
    shared = shared_parameters(rsa_signer(), member_name=member_name)
    raw = raw_download(generated(now, shared=shared, expire_seconds=expire_seconds))
    return verify_download(anchor(), raw, now)


def tampered(raw: RawDownload, location_suffix: str = "shared-params.xml") -> RawDownload:
    files = {
        location: data.replace(b"Ministry of Tests", b"Ministry of Fakes")
        if location.endswith(location_suffix)
        else data
        for location, data in raw.files.items()
    }
    return dataclasses.replace(raw, files=files)
