"""What makes a management request acceptable: pure checks that raise :class:`XRoadError`.

Inputs are the decoded request, the registry as shared parameters (a snapshot), the trust
configuration derived from it and an explicit ``now``. The order: identifiers and header
consistency, evidence present, the owner's signing certificate (path to an approved CA, validity,
key usage, OCSP ``good`` and fresh at ``now``), the member the certificate profile maps it to,
the owner's signature over the SOAP part, then what the registry must already hold (members,
servers, clients, certificates); for ``authCertReg`` also the authentication certificate (path
and usage) and its key's proof of possession (pr-mserv §2.3).

Deletions travel as plain SOAP in X-Road, vouched for by the management security server's
message signature; this central server takes requests directly, so it requires the owner's
signature for every type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from vdx.crypto.cert_profile import profile_for
from vdx.crypto.certs import load_certificate, validate_certificate
from vdx.crypto.trust import TrustConfig
from vdx.errors import Code, XRoadError
from vdx.globalconf.model import SecurityServer, SharedParameters
from vdx.identifiers import ClientId, SecurityServerId
from vdx.message.management import ManagementBody, ManagementRequest, RequestType, SignaturePart

T = RequestType
REPLAYED = "ReplayedRequest"
ALREADY_REGISTERED = "AlreadyRegistered"
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A request that passed every check, with what the checks found out."""

    request: ManagementRequest
    signer: ClientId
    auth_cert_hash: bytes | None = None


def auth_cert_hash(der: bytes) -> bytes:
    """``authCertHash`` as the registry stores it (SHA-256 of the DER, X-Road 7)."""
    return hashlib.sha256(der).digest()


# --- signatures -------------------------------------------------------------------------------


def verify_raw_signature(cert: x509.Certificate, signature: SignaturePart, data: bytes) -> None:
    """Verify a raw signature named by its Java algorithm id (pr-mserv §2.1 lists them)."""
    name = signature.algorithm_id
    head, with_, tail = name.partition("with")
    hash_type = _HASHES.get(head.upper())
    if not with_ or hash_type is None:
        raise XRoadError(Code.UNSUPPORTED_ALGORITHM, f"Unsupported signature algorithm {name:.60}")
    algorithm = hash_type()
    key = cert.public_key()
    try:
        if tail == "RSA" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature.value, data, padding.PKCS1v15(), algorithm)
        elif tail == "RSAandMGF1" and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(padding.MGF1(algorithm), algorithm.digest_size)
            key.verify(signature.value, data, pss, algorithm)
        elif tail == "ECDSA" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature.value, data, ec.ECDSA(algorithm))
        else:
            raise XRoadError(
                Code.UNSUPPORTED_ALGORITHM, f"Signature algorithm {name:.60} does not fit the key"
            )
    except InvalidSignature:
        raise XRoadError(Code.INVALID_SIGNATURE_VALUE, "Signature value is not valid") from None


# --- registry look-ups ------------------------------------------------------------------------


def member_exists(params: SharedParameters, member: ClientId) -> bool:
    return (
        any(
            m.member_class.code == member.member_class and m.code == member.member_code
            for m in params.members
        )
        and member.instance == params.instance
    )


def subsystem_exists(params: SharedParameters, client: ClientId) -> bool:
    return any(
        m.member_class.code == client.member_class
        and m.code == client.member_code
        and any(s.code == client.subsystem_code for s in m.subsystems)
        for m in params.members
    )


def find_server(params: SharedParameters, server: SecurityServerId) -> SecurityServer | None:
    for found in params.security_servers:
        if found.owner == server.owner and found.server_code == server.server_code:
            return found
    return None


def _require_member(params: SharedParameters, member: ClientId, what: str) -> None:
    if not member_exists(params, member):
        raise XRoadError(
            Code.UNKNOWN_MEMBER, f"{what} {member.to_path()} is not a registered member"
        )


def _require_server(params: SharedParameters, server: SecurityServerId) -> SecurityServer:
    found = find_server(params, server)
    if found is None:
        raise XRoadError(
            Code.INVALID_SECURITY_SERVER, f"Security server {server.to_path()} is not registered"
        )
    return found


# --- the decision -----------------------------------------------------------------------------


def expected_signers(body: ManagementBody) -> frozenset[ClientId]:
    """Whose signing key must have signed (pr-mserv §2.1-§2.11)."""
    owner = body.server.owner
    if body.type in (T.CLIENT_REG, T.CLIENT_DISABLE, T.CLIENT_ENABLE, T.CLIENT_RENAME):
        assert body.client is not None  # noqa: S101 - required by the schema
        return frozenset({body.client.member})
    if body.type is T.OWNER_CHANGE:
        assert body.client is not None  # noqa: S101 - required by the schema
        return frozenset({body.client.member})
    if body.type is T.CLIENT_DELETION:
        assert body.client is not None  # noqa: S101 - required by the schema
        return frozenset({owner, body.client.member})
    return frozenset({owner})


def check_not_replayed(message_id: str, seen: Container[str]) -> None:
    """A message id is accepted once (the request store is the memory)."""
    if not message_id.strip():
        raise XRoadError(Code.MISSING_HEADER_FIELD, "Message id is empty")
    if message_id in seen:
        raise XRoadError(REPLAYED, "A request with this message id was received before")


def verify_request(
    request: ManagementRequest,
    params: SharedParameters,
    trust: TrustConfig,
    now: datetime,
    *,
    withdraws_pending: bool = False,
    disabled: Container[tuple[SecurityServerId, ClientId]] = (),
) -> VerifiedRequest:
    """Raise :class:`XRoadError` unless ``request`` may be stored; see the module docstring.

    ``withdraws_pending``: the request is a deletion of what a pending registration asked for
    (the registry does not hold it yet), so only the signature checks apply. ``disabled``:
    the (server, client) registrations that are disabled, which shared parameters cannot show.
    """
    body = request.body
    header = request.soap.header
    if body.server.owner.instance != params.instance:
        raise XRoadError(Code.INVALID_REQUEST, "The security server is from another instance")
    if header.client.member != body.server.owner and body.type is not T.OWNER_CHANGE:
        raise XRoadError(
            Code.INCONSISTENT_HEADERS, "The message client must be the security server's owner"
        )
    signer = _verify_owner_signature(request, params, trust, now)
    if withdraws_pending:
        digest = auth_cert_hash(body.auth_cert) if body.auth_cert else None
        return VerifiedRequest(request, signer, digest)
    digest = _check_registry(body, params, disabled)
    if body.type is T.AUTH_CERT_REG:
        digest = _verify_auth_cert(request, params, trust, now)
    return VerifiedRequest(request, signer, digest)


def _verify_owner_signature(
    request: ManagementRequest, params: SharedParameters, trust: TrustConfig, now: datetime
) -> ClientId:
    if request.owner_signature is None or request.owner_cert is None:
        raise XRoadError(Code.MISSING_SIGNATURE, "The request carries no owner's signature")
    cert = load_certificate(request.owner_cert)
    validated = validate_certificate(cert, "sign", trust, request.owner_ocsp, now)
    signer = profile_for(validated.ca).member_of(cert, params.instance)
    expected = expected_signers(request.body)
    if signer not in expected:
        wanted = " or ".join(sorted(m.to_path() for m in expected))
        raise XRoadError(
            Code.ACCESS_DENIED,
            f"Signed by {signer.to_path()}, but {request.body.type} must be signed by {wanted}",
        )
    _require_member(params, signer, "Signer")
    verify_raw_signature(cert, request.owner_signature, request.signed_data)
    return signer


def _check_registry(
    body: ManagementBody,
    params: SharedParameters,
    disabled: Container[tuple[SecurityServerId, ClientId]] = (),
) -> bytes | None:
    """What the registry must (not) hold for the request to make sense."""
    _require_member(params, body.server.owner, "Server owner")
    if body.type is T.AUTH_CERT_REG:
        if find_server(params, body.server) is None and not body.address:
            raise XRoadError(Code.INVALID_REQUEST, "A new security server needs an address")
        return None
    server = _require_server(params, body.server)
    client = body.client
    if body.type in _CLIENT_TYPES:
        assert client is not None  # noqa: S101 - required by the schema
        _check_client(body.type, server, client, (body.server, client) in disabled, params)
    elif body.type is T.AUTH_CERT_DELETION:
        assert body.auth_cert is not None  # noqa: S101 - required by the schema
        digest = auth_cert_hash(body.auth_cert)
        if digest not in server.auth_cert_hashes:
            raise XRoadError(
                Code.INVALID_REQUEST, "The server has no such authentication certificate"
            )
        return digest
    return None


_CLIENT_TYPES = frozenset(
    {
        T.CLIENT_REG,
        T.CLIENT_DELETION,
        T.CLIENT_DISABLE,
        T.CLIENT_ENABLE,
        T.CLIENT_RENAME,
        T.OWNER_CHANGE,
    }
)


def _check_new_owner(server: SecurityServer, client: ClientId, params: SharedParameters) -> None:
    # pr-mserv ownerChange: the new owner is a member already registered as a client.
    if client.subsystem_code is not None:
        raise XRoadError(Code.INVALID_REQUEST, "The new owner must be a member")
    _require_member(params, client, "New owner")
    if client == server.owner:
        raise XRoadError(Code.INVALID_REQUEST, f"{client.to_path()} already owns the server")
    if client not in server.clients:
        raise XRoadError(Code.INVALID_REQUEST, f"{client.to_path()} is not a client of the server")


def _check_client(
    kind: RequestType,
    server: SecurityServer,
    client: ClientId,
    is_disabled: bool,
    params: SharedParameters,
) -> None:
    """The client named by a client request, against the server's (enabled) clients."""
    enabled = client in server.clients
    path = client.to_path()
    if kind is T.CLIENT_REG:
        _require_member(params, client.member, "Client's member")
        if enabled or is_disabled:
            raise XRoadError(ALREADY_REGISTERED, f"{path} is already a client")
    elif kind is T.OWNER_CHANGE:
        _check_new_owner(server, client, params)
    elif kind is T.CLIENT_ENABLE:
        if not is_disabled:
            raise XRoadError(Code.INVALID_REQUEST, f"{path} is not a disabled client")
    elif kind is T.CLIENT_DISABLE:
        if not enabled:
            raise XRoadError(Code.INVALID_REQUEST, f"{path} is not an enabled client")
    else:  # deletion, rename: enabled or disabled
        if not (enabled or is_disabled):
            raise XRoadError(Code.INVALID_REQUEST, f"{path} is not a client")
        if kind is T.CLIENT_RENAME and client.subsystem_code is None:
            raise XRoadError(Code.INVALID_REQUEST, "Only a subsystem can be renamed")


def _verify_auth_cert(
    request: ManagementRequest, params: SharedParameters, trust: TrustConfig, now: datetime
) -> bytes:
    body_cert = request.body.auth_cert
    if request.auth_signature is None or request.auth_cert_part is None or body_cert is None:
        raise XRoadError(Code.MISSING_SIGNATURE, "authCertReg needs the proof of possession")
    if request.auth_cert_part != body_cert:
        raise XRoadError(
            Code.INVALID_REQUEST, "The authentication certificate part differs from authCert"
        )
    cert = load_certificate(body_cert)
    # No OCSP response travels with the auth certificate (pr-mserv §2.3): path, time, usage.
    validate_certificate(cert, "auth", trust, None, now, require_ocsp=False)
    verify_raw_signature(cert, request.auth_signature, request.signed_data)
    digest = auth_cert_hash(body_cert)
    if any(digest in s.auth_cert_hashes for s in params.security_servers):
        raise XRoadError(
            ALREADY_REGISTERED, "This authentication certificate is already registered"
        )
    return digest
