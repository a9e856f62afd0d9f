"""Issue a certificate from a PKCS#10 CSR: one path for the HTTP endpoint and the CLI."""

from __future__ import annotations

import datetime as dt

from cryptography import x509

from trust_services import pki, profiles
from trust_services.store import CaDirectory, LoadedCa

MAX_CSR_BYTES = 64 * 1024


def load_csr(data: bytes) -> x509.CertificateSigningRequest:
    """A CSR in PEM or DER, or :class:`profiles.CsrRejectedError`."""
    if len(data) > MAX_CSR_BYTES:
        raise profiles.CsrRejectedError(f"CSR larger than {MAX_CSR_BYTES} bytes")
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except ValueError:
        raise profiles.CsrRejectedError("not a PKCS#10 certificate request in PEM or DER") from None


def issue(
    directory: CaDirectory, ca: LoadedCa, csr_bytes: bytes, profile: str, now: dt.datetime
) -> x509.Certificate:
    """Check the CSR against the profile, certify it and record it in the register."""
    rule = profiles.DEFAULT_PROFILES.get(profile)
    if rule is None:
        known = ", ".join(sorted(profiles.DEFAULT_PROFILES))
        raise profiles.CsrRejectedError(f"unknown profile {profile!r}; use one of: {known}")
    csr = load_csr(csr_bytes)
    profiles.check_csr(csr, rule)
    cert = pki.end_entity(ca.issuing, csr, profile, now)
    directory.record_issued(cert, profile, now)
    return cert
