"""Build signed management requests with the test PKI (shared by unit and integration tests).

Certificates follow the EJBCA profile (sign: C = instance, O = member class, CN = member code),
issued by the test PKI's intermediate; OCSP responses come from its delegated responder.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.unit.crypto import pki
from vdx.crypto.cert_profile import DEFAULT_PROVIDER
from vdx.crypto.xades_create import PrivateKeySigner
from vdx.globalconf.model import (
    ApprovedCa,
    CaInfo,
    GlobalSettings,
    Member,
    MemberClass,
    OcspInfo,
    SecurityServer,
    SharedParameters,
    Subsystem,
)
from vdx.identifiers import ClientId, SecurityServerId, ServiceId
from vdx.message.management import (
    ManagementBody,
    RequestType,
    SignaturePart,
    encode_envelope,
    encode_request,
)
from vdx.message.soap_model import SoapHeader

INSTANCE = "VN"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
GOV = ClientId(INSTANCE, "GOV", "0101")
GOV_SUB = ClientId(INSTANCE, "GOV", "0101", "TAX")
COM = ClientId(INSTANCE, "COM", "9999")
COM_SUB = ClientId(INSTANCE, "COM", "9999", "SHOP")
SS1 = SecurityServerId(GOV, "SS1")
SS2 = SecurityServerId(GOV, "SS2")
CA_NAME = "VDX Management Test CA"


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


@functools.cache
def sign_cert(member: ClientId) -> x509.Certificate:
    return pki.make_cert(
        pki.name(member.member_code, O=member.member_class, C=member.instance),
        pki.key(f"mgmt-sign-{member.to_path()}"),
        pki.pki().intermediate,
        pki.key("inter"),
        usage={"content_commitment": True},
    )


@functools.cache
def auth_cert(label: str = "ss2") -> x509.Certificate:
    return pki.make_cert(
        pki.name(label.upper(), C=INSTANCE),
        pki.key(f"mgmt-auth-{label}"),
        pki.pki().intermediate,
        pki.key("inter"),
        usage={"digital_signature": True, "key_encipherment": True},
        eku=[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    )


def ocsp(cert: x509.Certificate, status: str = "good", now: dt.datetime = NOW) -> bytes:
    return pki.ocsp_response(
        cert, pki.pki().intermediate, status=status, this_update=now - dt.timedelta(minutes=5)
    )


def shared_params(
    *, servers: tuple[SecurityServer, ...] | None = None, profile: str = DEFAULT_PROVIDER
) -> SharedParameters:
    """A registry: GOV (with TAX) and COM; SS1 of GOV with the test PKI's auth cert."""
    p = pki.pki()
    gov, com = MemberClass("GOV", "Government"), MemberClass("COM", "Commercial")
    if servers is None:
        servers = (
            SecurityServer(
                GOV,
                "SS1",
                "ss1.example.vn",
                auth_cert_hashes=(hashlib.sha256(der(auth_cert("ss1"))).digest(),),
                clients=(GOV_SUB,),
            ),
        )
    return SharedParameters(
        instance=INSTANCE,
        global_settings=GlobalSettings(3600, (gov, com)),
        approved_cas=(
            ApprovedCa(
                name=CA_NAME,
                top_ca=CaInfo(der(p.root), (OcspInfo("http://ocsp.test.invalid/root"),)),
                certificate_profile_info=profile,
                intermediate_cas=(
                    CaInfo(der(p.intermediate), (OcspInfo(pki.OCSP_URL, der(p.responder)),)),
                ),
            ),
        ),
        members=(
            Member(gov, "0101", "Ministry", (Subsystem("TAX", "Tax office"),)),
            Member(com, "9999", "Company"),
        ),
        security_servers=servers,
    )


def body_for(kind: RequestType, **fields: object) -> ManagementBody:
    return ManagementBody(type=kind, **fields)  # type: ignore[arg-type]


def soap_for(
    body: ManagementBody, *, message_id: str | None = None, client: ClientId | None = None
) -> bytes:
    header = SoapHeader(
        client=client or body.server.owner,
        service=ServiceId(body.server.owner, str(body.type)),
        id=message_id or str(uuid.uuid4()),
        protocol_version="4.0",
    )
    return encode_envelope(header, body)


def signed(
    body: ManagementBody,
    *,
    signer: ClientId | None = None,
    ocsp_status: str = "good",
    message_id: str | None = None,
    auth_label: str = "ss2",
    tamper: str = "",
    now: dt.datetime = NOW,
) -> tuple[bytes, str]:
    """The multipart request for ``body``, signed by ``signer``'s sign key (default: owner).

    ``tamper``: "owner" / "auth" corrupt that signature; "auth-key" signs the proof with
    another key than the certificate's.
    """
    signer = signer or body.server.owner
    soap = soap_for(body, message_id=message_id)
    owner_value = PrivateKeySigner(pki.key(f"mgmt-sign-{signer.to_path()}")).sign(soap)
    if tamper == "owner":
        owner_value = bytes([owner_value[0] ^ 1]) + owner_value[1:]
    cert = sign_cert(signer)
    auth_sig = None
    auth_der = None
    if body.type is RequestType.AUTH_CERT_REG:
        label = "other" if tamper == "auth-key" else auth_label
        auth_value = PrivateKeySigner(pki.key(f"mgmt-auth-{label}")).sign(soap)
        if tamper == "auth":
            auth_value = bytes([auth_value[0] ^ 1]) + auth_value[1:]
        auth_sig = SignaturePart("SHA512withRSA", auth_value)
        auth_der = body.auth_cert
    return encode_request(
        soap,
        owner_signature=SignaturePart("SHA512withRSA", owner_value),
        owner_cert=der(cert),
        owner_ocsp=ocsp(cert, ocsp_status, now),
        auth_signature=auth_sig,
        auth_cert=auth_der,
    )


def auth_cert_reg(server: SecurityServerId = SS2, label: str = "ss2") -> ManagementBody:
    return body_for(
        RequestType.AUTH_CERT_REG,
        server=server,
        address=f"{server.server_code.lower()}.example.vn",
        auth_cert=der(auth_cert(label)),
    )


def verify_hash(cert_der: bytes) -> bytes:
    """``authCertHash`` as the registry publishes it."""
    return hashlib.sha256(cert_der).digest()
