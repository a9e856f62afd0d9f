"""Shared values for the token tests: a development CA (built once) and the test clock."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from cryptography import x509

from trust_services import pki

NOW = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
PIN = "1234-soft"
FAST_SCRYPT = 2**14  # the minimum the keystore accepts: keeps each login fast
MESSAGE = b'<?xml version="1.0"?><Envelope><Body>token test</Body></Envelope>'


@functools.cache
def dev_ca() -> pki.Issuer:
    key = pki.new_key("ec-p256")
    return pki.Issuer(pki.root_ca(key, pki.name("VDX Test Token CA"), NOW), key)


def issue(csr: x509.CertificateSigningRequest, purpose: str) -> x509.Certificate:
    """A certificate from the development CA, as ``trust_services`` issues it."""
    return pki.end_entity(dev_ca(), csr, purpose, NOW)
