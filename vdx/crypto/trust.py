"""A frozen model of the trust services a configuration approves (shared parameters).

Mirrors the ``approvedCA`` / ``approvedTSA`` elements of the global configuration's shared
parameters (pr-gconf §4.2): each approved CA has its top certificate, intermediate CAs, OCSP
responders (URL and, optionally, the responder's certificate), whether it issues
authentication certificates only, and the certificate profile that maps a signing certificate
to its member. ``ocspFreshnessSeconds`` comes from the private/shared parameters (default 3600).
The global configuration parser builds this model; the checks in this package only read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography import x509

if TYPE_CHECKING:
    from vdx.crypto.cert_profile import CertProfile

DEFAULT_OCSP_FRESHNESS_SECONDS = 3600
# Tolerated difference between our clock and a responder's / TSA's (OCSP thisUpdate, genTime).
DEFAULT_CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True)
class OcspResponder:
    """An OCSP responder of an approved CA: its URL and, when published, its certificate."""

    url: str
    cert: x509.Certificate | None = None


@dataclass(frozen=True)
class ApprovedCA:
    """A certification authority the configuration trusts (with its intermediates)."""

    name: str
    top_ca: x509.Certificate
    intermediates: tuple[x509.Certificate, ...] = ()
    ocsp_responders: tuple[OcspResponder, ...] = ()
    authentication_only: bool = False
    profile: CertProfile | None = None
    # The reference's provider class name as published (certificateProfileInfoProvider).
    profile_name: str = ""

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """Top CA first, then the intermediates."""
        return (self.top_ca, *self.intermediates)

    @property
    def responder_certs(self) -> tuple[x509.Certificate, ...]:
        return tuple(r.cert for r in self.ocsp_responders if r.cert is not None)


@dataclass(frozen=True)
class ApprovedTSA:
    """A timestamping authority the configuration trusts."""

    name: str
    url: str
    cert: x509.Certificate


@dataclass(frozen=True)
class TrustConfig:
    """Everything certificate, OCSP and timestamp checks need to know about trust."""

    cas: tuple[ApprovedCA, ...] = ()
    tsas: tuple[ApprovedTSA, ...] = ()
    ocsp_freshness_seconds: int = DEFAULT_OCSP_FRESHNESS_SECONDS
    # X-Road's ocspVerifierVerifyNextUpdate: a passed nextUpdate makes a response invalid.
    verify_next_update: bool = True
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    instance: str = field(default="")

    def ca_certificates(self) -> Iterator[tuple[ApprovedCA, x509.Certificate]]:
        for ca in self.cas:
            for cert in ca.certificates:
                yield ca, cert

    def tsa_certificates(self) -> tuple[x509.Certificate, ...]:
        return tuple(t.cert for t in self.tsas)
