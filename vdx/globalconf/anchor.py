"""Configuration anchors (pr-gconf §2.2, Annex A.1): where to download, and whom to trust.

An anchor names the X-Road instance, and for each configuration source its download URL and the
certificates whose keys may sign the configuration directory. The same structure appears inside
private parameters (``configurationAnchor``, private-parameters.xsd ``ConfigurationAnchorType``)
to point at federated sources.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from lxml import etree

from vdx.globalconf import _xml
from vdx.globalconf._xml import malformed


@dataclass(frozen=True, slots=True)
class AnchorSource:
    """One configuration source: download URL and DER verification certificates."""

    download_url: str
    verification_certs: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ConfigurationAnchor:
    instance: str
    sources: tuple[AnchorSource, ...]
    generated_at: datetime | None = None

    @property
    def verification_certs(self) -> tuple[bytes, ...]:
        """Every source's certificates, without repeats, in document order."""
        seen: dict[bytes, None] = {}
        for source in self.sources:
            for cert in source.verification_certs:
                seen.setdefault(cert, None)
        return tuple(seen)

    def certificates(self) -> tuple[x509.Certificate, ...]:
        return tuple(_load_cert(der) for der in self.verification_certs)


def _load_cert(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise malformed("Anchor verification certificate is not a DER X.509 certificate") from None


def anchor_hash(data: bytes) -> str:
    """The anchor's fingerprint as the reference admin UI shows it: SHA-224 of the file bytes,
    upper-case hex in colon-separated pairs (central-server trusted-anchor API)."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha224(data).digest())


def parse_anchor(data: bytes) -> ConfigurationAnchor:
    """Parse an anchor file (root ``configurationAnchor``) or raise ``MalformedGlobalConf``."""
    root = _xml.parse_root(data, "configurationAnchor", "Configuration anchor")
    anchor = anchor_from_element(root)
    for der in anchor.verification_certs:
        _load_cert(der)
    return anchor


def anchor_from_element(element: etree._Element) -> ConfigurationAnchor:
    """Decode ``ConfigurationAnchorType`` content (anchor files and private parameters)."""
    generated = _xml.optional_text(element, "generatedAt")
    instance = _xml.text(element, "instanceIdentifier")
    if not instance:
        raise malformed("Anchor has an empty instanceIdentifier")
    sources = []
    for source in _xml.children(element, "source"):
        url = _xml.text(source, "downloadURL")
        certs = tuple(_xml.b64(cert) for cert in _xml.children(source, "verificationCert"))
        if not url or not certs:
            raise malformed("Anchor source lacks a downloadURL or a verificationCert")
        sources.append(AnchorSource(url, certs))
    if not sources:
        raise malformed("Anchor has no configuration source")
    return ConfigurationAnchor(
        instance=instance,
        sources=tuple(sources),
        generated_at=_xml.parse_datetime(generated) if generated else None,
    )


def anchor_to_element(anchor: ConfigurationAnchor, element: etree._Element) -> etree._Element:
    """Fill ``element`` with ``ConfigurationAnchorType`` children in xsd order."""
    if anchor.generated_at is not None:
        _xml.add(element, "generatedAt", _xml.format_datetime(anchor.generated_at))
    _xml.add(element, "instanceIdentifier", anchor.instance)
    for source in anchor.sources:
        node = _xml.add(element, "source")
        _xml.add(node, "downloadURL", source.download_url)
        for cert in source.verification_certs:
            _xml.add_b64(node, "verificationCert", cert)
    return element


def produce_anchor(anchor: ConfigurationAnchor) -> bytes:
    """Encode an anchor file as the reference central server writes it."""
    if not anchor.sources or any(not s.verification_certs for s in anchor.sources):
        raise malformed("An anchor needs a source with a verification certificate")
    return _xml.serialize(anchor_to_element(anchor, _xml.new_root("configurationAnchor")))
