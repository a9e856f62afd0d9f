"""Shared test inputs for configuration generation and distribution (no tests here).

A small instance built by hand: one member class, a member with a subsystem, a security server,
an approved CA with an OCSP responder and a TSA, with certificates made by ``cryptography``.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from central_server.confgen import SoftwareDirectorySigner, with_source_certificates
from vdx.globalconf import ManagementService, PrivateParameters, SharedParameters
from vdx.globalconf.model import (
    ApprovedCa,
    ApprovedTsa,
    CaInfo,
    GlobalGroup,
    GlobalSettings,
    Member,
    MemberClass,
    OcspInfo,
    SecurityServer,
    Subsystem,
)
from vdx.identifiers import ClientId

NOW = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
INSTANCE = "VDX"
SOURCE = "cs.vdx.test"
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def certificate(
    common_name: str, key: Key, *, issuer: tuple[str, Key] | None = None, ca: bool = False
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, issuer_key = issuer or (common_name, key)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


@functools.cache
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    """One key per label and test session (RSA generation is slow)."""
    del label
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_signer(label: str = "internal") -> SoftwareDirectorySigner:
    key = rsa_key(label)
    return SoftwareDirectorySigner(key, _cert_for(label, key))


@functools.cache
def _cert_for(label: str, key: Key) -> x509.Certificate:
    return certificate(f"{label}SigningKey", key)


@functools.cache
def ec_signer() -> SoftwareDirectorySigner:
    key = ec.generate_private_key(ec.SECP256R1())
    return SoftwareDirectorySigner(key, certificate("ecSigningKey", key))


@functools.cache
def _trust_certs() -> tuple[bytes, bytes, bytes]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("VDX Test CA", ca_key, ca=True)
    ocsp = certificate(
        "VDX Test OCSP", ec.generate_private_key(ec.SECP256R1()), issuer=("VDX Test CA", ca_key)
    )
    tsa = certificate("VDX Test TSA", ec.generate_private_key(ec.SECP256R1()))
    return der(ca), der(ocsp), der(tsa)


def shared_parameters(
    *signers: SoftwareDirectorySigner, member_name: str = "Ministry of Tests"
) -> SharedParameters:
    """The instance; the signers' certificates are the source's verification certificates."""
    ca_cert, ocsp_cert, tsa_cert = _trust_certs()
    gov = MemberClass("GOV", "Government agencies")
    member = Member(gov, "1234", member_name, (Subsystem("CLIENT", "Client system"),))
    owner = ClientId(INSTANCE, "GOV", "1234")
    subsystem = ClientId(INSTANCE, "GOV", "1234", "CLIENT")
    shared = SharedParameters(
        instance=INSTANCE,
        global_settings=GlobalSettings(ocsp_freshness_seconds=3600, member_classes=(gov,)),
        approved_cas=(
            ApprovedCa(
                name="VDX Test CA",
                top_ca=CaInfo(ca_cert, (OcspInfo("http://ocsp.vdx.test:8888", ocsp_cert),)),
                certificate_profile_info="ee.ria.xroad.common.certificateprofile.impl."
                "BasicCertificateProfileInfoProvider",
                authentication_only=False,
            ),
        ),
        approved_tsas=(ApprovedTsa("VDX Test TSA", "http://tsa.vdx.test:8899", tsa_cert),),
        members=(member,),
        security_servers=(
            SecurityServer(
                owner=owner,
                server_code="SS1",
                address="ss1.vdx.test",
                auth_cert_hashes=(hashlib.sha512(b"auth cert").digest(),),
                clients=(subsystem,),
            ),
        ),
        global_groups=(GlobalGroup("security-server-owners", "Security server owners", (owner,)),),
    )
    certs = [der(s.certificate) for s in signers or (rsa_signer(),)]
    return with_source_certificates(shared, SOURCE, certs, certs)


def private_parameters(management_cert: bytes | None = None) -> PrivateParameters:
    return PrivateParameters(
        instance=INSTANCE,
        management_service=ManagementService(
            auth_cert_reg_service_address="https://cs.vdx.test:4001/managementservice/",
            management_request_service_provider_id=ClientId(INSTANCE, "GOV", "1234", "MANAGEMENT"),
            auth_cert_reg_service_cert=management_cert,
        ),
        time_stamping_interval_seconds=60,
    )
