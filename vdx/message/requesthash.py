"""Request hashes: how a response proves which request it answers.

The provider's security server puts the digest of the request's SOAP part into the response's
``xroad:requestHash`` header (pr-mess §2.4.2, with the XML digest method URI in ``algorithmId``),
or of the REST request into ``X-Road-Request-Hash`` (pr-rest §4.5); the consumer's security
server recomputes it and refuses a response that does not match.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac

from vdx.errors import Code, XRoadError


class DigestAlgorithm(enum.StrEnum):
    """Digest algorithms by their XML Signature URIs (RFC 6931 §2.1)."""

    SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
    SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

    @property
    def hashlib_name(self) -> str:
        return {"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}[self.name]


DEFAULT_ALGORITHM = DigestAlgorithm.SHA512


def algorithm_from_uri(uri: str | None) -> DigestAlgorithm:
    """Map an ``algorithmId`` to a digest; SHA-512 when absent (the reference's default)."""
    if uri is None or not uri.strip():
        return DEFAULT_ALGORITHM
    try:
        return DigestAlgorithm(uri.strip())
    except ValueError:
        raise XRoadError(
            Code.UNSUPPORTED_ALGORITHM, f"Unsupported request hash algorithm {uri[:100]!r}"
        ) from None


def compute(data: bytes, algorithm: DigestAlgorithm = DEFAULT_ALGORITHM) -> str:
    """Base64 digest of ``data`` with ``algorithm``."""
    digest = hashlib.new(algorithm.hashlib_name, data).digest()
    return base64.b64encode(digest).decode("ascii")


def check(request: bytes, claimed: str, algorithm_uri: str | None) -> None:
    """Raise ``InconsistentResponse`` unless ``claimed`` is the digest of ``request``."""
    expected = compute(request, algorithm_from_uri(algorithm_uri))
    if not hmac.compare_digest(expected.encode(), claimed.strip().encode()):
        raise XRoadError(
            Code.INCONSISTENT_RESPONSE, "Request hash in the response does not match the request"
        )
