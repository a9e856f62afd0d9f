"""OCSP responses for this server's own certificates, fetched for the key material in use.

The auth certificate's response is served to peers by the OCSP listener (pr-messtransp §3)
and stapled to our requests; each signing certificate's response goes into the signatures
(XAdES unsigned properties). The OCSP client's cache lives with the composition root, so a
response is fetched again only when due and a fresh one survives a responder outage.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime

import structlog
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from security_server.app_keys import KeyMaterial
from security_server.signer.ocsp_client import OcspClient
from vdx.errors import XRoadError

log = structlog.get_logger("vdx.security_server")


def sha1_hex(cert: x509.Certificate) -> str:
    """The certificate hash peers ask the OCSP listener for (pr-messtransp §3)."""
    der = cert.public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


async def with_ocsp(
    keys: KeyMaterial, client: OcspClient, served: dict[str, bytes], now: datetime
) -> KeyMaterial:
    """``keys`` with their OCSP responses; ``served`` (hex SHA-1 -> DER) is updated for the
    OCSP listener. A certificate whose response cannot be had is kept without one."""

    async def fetch(cert: x509.Certificate) -> bytes | None:
        issuer = next(
            (c for _, c in client.trust.ca_certificates() if c.subject == cert.issuer), None
        )
        if issuer is None:
            return None
        try:
            der: bytes = (await client.get(cert, issuer, now)).der
        except XRoadError as error:
            log.warning("own_ocsp_failed", subject=cert.subject.rfc4514_string(), error=error)
            return None
        served[sha1_hex(cert)] = der
        return der

    if keys.auth is not None:
        await fetch(keys.auth.certificate)
    signing = dict(keys.signing)
    for member, material in signing.items():
        der = await fetch(material.certificate)
        if der is not None:
            signing[member] = dataclasses.replace(material, ocsp_responses=(der,))
    return dataclasses.replace(keys, signing=signing)
