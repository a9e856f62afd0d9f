"""Management requests as the central server takes them (pr-mserv §2): built and signed here.

Pure apart from the token's private-key operation (which may block: callers run
:func:`build_request` in a thread). The SOAP part names the owner member as the message client
and the management service provider (private parameters) with the request type as service
code (pr-mserv §2, X-Road header). Every signature is the raw signature over the SOAP part's
exact bytes (pr-mserv §2.1), named by its Java algorithm (``SHA512withRSA``); ECDSA signatures
are DER ``ECDSA-Sig-Value`` as Java's ``Signature`` produces them, where the token gives
``r || s``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from vdx.identifiers import ClientId, ServiceId
from vdx.message.management import (
    ManagementBody,
    RequestType,
    SignaturePart,
    encode_envelope,
    encode_request,
)
from vdx.message.soap_model import SoapHeader
from vdx.tokens import TokenSigner

PROTOCOL_VERSION = "4.0"


@dataclass(frozen=True)
class SignEvidence:
    """A member's signing key with its certificate and a fresh OCSP response for it."""

    signer: TokenSigner
    cert_der: bytes
    ocsp_der: bytes


@dataclass(frozen=True)
class AuthEvidence:
    """The authentication key and certificate whose registration is asked (authCertReg)."""

    signer: TokenSigner
    cert_der: bytes


def java_algorithm(signer: TokenSigner) -> str:
    """``SHA512withRSA`` / ``SHA256withECDSA``: the names pr-mserv §2.1 lists."""
    digest = signer.hash_name.upper()
    return f"{digest}with{'RSA' if signer.algorithm.is_rsa else 'ECDSA'}"


def raw_signature(signer: TokenSigner, data: bytes) -> SignaturePart:
    value = signer.sign(data)
    if not signer.algorithm.is_rsa:
        half = len(value) // 2
        value = encode_dss_signature(
            int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big")
        )
    return SignaturePart(java_algorithm(signer), value)


def signer_member(body: ManagementBody) -> ClientId:
    """Whose signing key signs (pr-mserv §2): the client's member for clientReg, else the
    server's owner (clientDeletion may be signed by either; the owner is chosen)."""
    if body.type is RequestType.CLIENT_REG:
        assert body.client is not None  # noqa: S101 - required by the schema
        return body.client.member
    return body.server.owner


def header_for(body: ManagementBody, provider: ClientId, message_id: str | None) -> SoapHeader:
    return SoapHeader(
        client=body.server.owner,
        service=ServiceId(provider, str(body.type)),
        id=message_id or str(uuid.uuid4()),
        protocol_version=PROTOCOL_VERSION,
    )


def build_request(
    body: ManagementBody,
    *,
    provider: ClientId,
    sign: SignEvidence,
    auth: AuthEvidence | None = None,
    message_id: str | None = None,
) -> tuple[bytes, str]:
    """The signed multipart request and its content type (blocks: token signatures)."""
    if (body.type is RequestType.AUTH_CERT_REG) != (auth is not None):
        raise ValueError("the proof of possession belongs to authCertReg, and only there")
    soap = encode_envelope(header_for(body, provider, message_id), body)
    auth_signature = None if auth is None else raw_signature(auth.signer, soap)
    return encode_request(
        soap,
        owner_signature=raw_signature(sign.signer, soap),
        owner_cert=sign.cert_der,
        owner_ocsp=sign.ocsp_der,
        auth_signature=auth_signature,
        auth_cert=None if auth is None else auth.cert_der,
    )
