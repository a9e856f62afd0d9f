"""Signing and verifying the signed parts of a transport message (pr-messtransp §2).

One part (a SOAP message without attachments) is signed directly as ``/message.xml``. Several
parts (attachments, a REST body) are leaves of one hash chain whose result is signed, as the
reference does; :func:`sign_batch` signs several messages of one member at once the same way.
Verification raises; the caller attributes the error to its side (ARCHITECTURE rule 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from security_server.confclient.model import GlobalConfiguration
from security_server.exchange.model import SigningMaterial
from security_server.signer.batcher import SignatureBatcher
from vdx.crypto import certs
from vdx.crypto.cert_profile import profile_for
from vdx.crypto.trust import TrustConfig
from vdx.crypto.xades_create import (
    DataPart,
    create_batch_signature,
    create_signature,
)
from vdx.crypto.xades_verify import (
    VerifiedSignature,
    verify_batch_signature,
    verify_signature,
)
from vdx.errors import Code, XRoadError
from vdx.identifiers import ClientId, SecurityServerId
from vdx.message.transport import TransportMessage, require_signature


@dataclass(frozen=True, slots=True)
class SignatureParts:
    """What goes into a transport message: the signature and, for several parts, the chain."""

    signature: bytes
    hash_chain_result: str | None = None
    hash_chain: str | None = None


def sign_batch(
    messages: Sequence[Sequence[DataPart]], material: SigningMaterial, now: datetime
) -> list[SignatureParts]:
    """Sign messages (each: ``/message.xml`` first, then ``/attachmentN``) with one operation.

    Any failure of the key operation (a token may raise anything) is ``CannotCreateSignature``:
    nothing unsigned leaves (ARCHITECTURE rule 8).
    """
    try:
        return _sign_batch(messages, material, now)
    except XRoadError:
        raise
    except Exception as error:  # noqa: BLE001 - the key is behind a protocol; fail closed
        raise XRoadError(
            Code.CANNOT_CREATE_SIGNATURE, f"Signing failed: {type(error).__name__}"
        ) from None


def _sign_batch(
    messages: Sequence[Sequence[DataPart]], material: SigningMaterial, now: datetime
) -> list[SignatureParts]:
    if len(messages) == 1 and len(messages[0]) == 1:
        signature = create_signature(
            messages[0],
            key=material.key,
            certificate=material.certificate,
            now=now,
            ocsp_responses=material.ocsp_responses,
        )
        return [SignatureParts(signature)]
    batch = create_batch_signature(
        [[part.data for part in parts] for parts in messages],
        key=material.key,
        certificate=material.certificate,
        now=now,
        ocsp_responses=material.ocsp_responses,
    )
    result = batch.hash_chain_result.decode("utf-8")
    return [
        SignatureParts(batch.signature_xml, result, chain.decode("utf-8"))
        for chain in batch.hash_chains
    ]


# Concurrent messages of one member share a signature operation (batch signing).
_BATCHER: SignatureBatcher[Sequence[DataPart], SigningMaterial, SignatureParts] = SignatureBatcher(
    sign_batch
)


def sign_parts(
    parts: Sequence[DataPart], material: SigningMaterial, now: datetime
) -> SignatureParts:
    """Sign one message; called from several threads at once, the messages of one member
    are signed together (:class:`~security_server.signer.batcher.SignatureBatcher`)."""
    return _BATCHER.sign(parts, material, now)


def verify_message(
    message: TransportMessage,
    *,
    trust: TrustConfig,
    now: datetime,
    signer_member: ClientId,
) -> VerifiedSignature:
    """Verify the signature over every signed part, the signer's certificate with its embedded
    OCSP response at ``now``, and that the certificate belongs to ``signer_member``'s member."""
    require_signature(message)
    if message.signature is None:
        raise XRoadError(Code.MISSING_SIGNATURE, "Message is not signed")
    data = {part.name: part.data for part in message.signed_parts}
    if message.hash_chain_result is not None or message.hash_chain is not None:
        if message.hash_chain_result is None or message.hash_chain is None:
            raise XRoadError(
                Code.MALFORMED_HASH_CHAIN, "Hash chain and its result must come together"
            )
        verified, _ = verify_batch_signature(
            message.signature,
            hash_chain_result=message.hash_chain_result.encode("utf-8"),
            hash_chain=message.hash_chain.encode("utf-8"),
            message_parts=data,
        )
    else:
        verified = verify_signature(message.signature, data)
    check_signer(verified.signer_certificate, verified.ocsp_responses, trust, now, signer_member)
    return verified


def check_signer(
    cert: x509.Certificate,
    ocsp_responses: Sequence[bytes],
    trust: TrustConfig,
    now: datetime,
    member: ClientId,
) -> None:
    """A signing certificate valid at ``now`` (path, purpose, fresh good OCSP) of ``member``."""
    validated = certs.validate_certificate(cert, "sign", trust, tuple(ocsp_responses), now)
    owner = profile_for(validated.ca).member_of(cert, trust.instance or None)
    if owner != member.member:
        raise XRoadError(
            Code.INCORRECT_CERTIFICATE,
            f"Name in certificate ({owner.to_path()}) does not match name in message "
            f"({member.member.to_path()})",
        )


def check_peer(
    peer_cert: x509.Certificate | None,
    ocsp_responses: Sequence[bytes],
    *,
    conf: GlobalConfiguration,
    trust: TrustConfig,
    client: ClientId,
    now: datetime,
) -> SecurityServerId:
    """The TLS peer's authentication certificate: registered to a security server of the
    configuration that serves ``client``, and valid with its stapled OCSP response."""
    if peer_cert is None:
        raise XRoadError(Code.SSL_AUTH_FAILED, "Peer did not present a TLS certificate")
    server = conf.server_by_auth_cert(peer_cert.public_bytes(serialization.Encoding.DER))
    if server is None:
        raise XRoadError(
            Code.SSL_AUTH_FAILED,
            "Peer's authentication certificate is not registered to any security server",
        )
    if not conf.is_client_of(client, server):
        raise XRoadError(
            Code.SSL_AUTH_FAILED,
            f"Peer's security server {server.to_path()} does not serve {client.to_path()}",
        )
    if not ocsp_responses:
        raise XRoadError(
            Code.SSL_AUTH_FAILED,
            "Cannot verify TLS certificate, corresponding OCSP response is missing",
        )
    try:
        certs.validate_certificate(peer_cert, "auth", trust, tuple(ocsp_responses), now)
    except XRoadError as error:
        # Whatever fails in the peer's certificate (revoked, stale OCSP, expired, path) is a
        # failed TLS authentication of that peer, as the reference reports it (its server
        # proxy wraps the whole auth-cert check in SslAuthenticationFailed).
        raise XRoadError(
            Code.SSL_AUTH_FAILED, f"Peer's TLS certificate is not valid: {error.message}"
        ) from None
    return server
