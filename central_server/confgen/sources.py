"""Announcing configuration-signing certificates, and the anchor made from them.

Key rotation (pr-gconf §2.2, §2.6): security servers trust the certificates of the anchor they
hold, so a new signing key is announced before it signs: the source lists the active and the
next certificate (``internalVerificationCert`` / ``externalVerificationCert``, shared
parameters; ``verificationCert``, anchor). Once clients hold an anchor with both, the new key
can sign; the old one is then removed from the list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from central_server.confgen.signing import DirectorySigner
from vdx.globalconf import AnchorSource, ConfigurationAnchor, SharedParameters
from vdx.globalconf.model import ConfigurationSource


@dataclass(frozen=True, slots=True)
class SigningKeys:
    """What signs one generation: the active signer of each source and the certificates
    announced for the next rotation (listed after the active one, never signing yet)."""

    internal: DirectorySigner
    external: DirectorySigner
    next_internal: tuple[bytes, ...] = ()
    next_external: tuple[bytes, ...] = ()


def with_source_certificates(
    shared: SharedParameters,
    address: str,
    internal_certs: Sequence[bytes],
    external_certs: Sequence[bytes],
) -> SharedParameters:
    """Set the verification certificates (DER, active first) of the source at ``address``,
    adding the source when the registry snapshot has none for it."""
    source = ConfigurationSource(address, tuple(internal_certs), tuple(external_certs))
    others = tuple(s for s in shared.sources if s.address != address)
    kept = [s if s.address != address else source for s in shared.sources]
    sources = tuple(kept) if len(others) != len(shared.sources) else (*shared.sources, source)
    return dataclasses.replace(shared, sources=sources)


def anchor_for(
    shared: SharedParameters,
    download_url: str,
    generated_at: datetime,
    *,
    internal: bool = True,
) -> ConfigurationAnchor:
    """The anchor security servers (``internal``) or federation partners download with: every
    source's verification certificates, under one download URL (``.../internalconf``)."""
    return ConfigurationAnchor(
        instance=shared.instance,
        sources=(AnchorSource(download_url, shared.verification_certs(internal=internal)),),
        generated_at=generated_at,
    )
