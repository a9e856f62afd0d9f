"""Management requests built by the security server pass the central server's own checks.

The keys live on a real software token; certificates come from the crypto tests' PKI, so the
central server's verifier (``central_server.management.verify``: certificate path, OCSP, the
owner's signature over the SOAP part, the auth key's proof of possession) judges exactly what
the security server sends (pr-mserv §2.1, §2.3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from central_server.management.verify import verify_request
from security_server.onboarding import requests
from tests.unit.central_server import test_management_support as ms
from tests.unit.crypto import pki
from tests.unit.tokens.helpers import FAST_SCRYPT, PIN
from vdx.errors import XRoadError
from vdx.globalconf.trust import trust_config
from vdx.identifiers import ClientId, ServiceId
from vdx.message.management import ManagementBody, RequestType, decode_request
from vdx.tokens import KeyAlgorithm, KeyUsage, Token, create_soft_token

T = RequestType
PROVIDER = ClientId(ms.INSTANCE, "GOV", "0101", "MANAGEMENT")


class _PublicOnly:
    """What ``pki.make_cert`` needs of a subject key: its public half (the private half stays
    on the token)."""

    def __init__(self, public_key_der: bytes) -> None:
        self._public = serialization.load_der_public_key(public_key_der)

    def public_key(self) -> object:
        return self._public


def _certify(token: Token, usage: KeyUsage, subject: x509.Name, algorithm: KeyAlgorithm) -> str:
    key = token.generate_key(f"{usage}-{subject.rfc4514_string()}", usage, algorithm)
    options: dict[str, Any]
    if usage is KeyUsage.SIGNING:
        options = {"usage": {"content_commitment": True}}
    else:
        options = {
            "usage": {"digital_signature": True, "key_encipherment": True},
            "eku": [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
        }
    cert = pki.make_cert(
        subject,
        _PublicOnly(key.public_key_der),  # type: ignore[arg-type]
        pki.pki().intermediate,
        pki.key("inter"),
        **options,
    )
    token.import_certificate(cert)
    return key.key_id


class Keys:
    def __init__(self, folder: Path) -> None:
        self.token = create_soft_token(folder, "t", PIN, scrypt_n=FAST_SCRYPT)
        self.token.login(PIN)
        self.sign: dict[ClientId, tuple[str, x509.Certificate]] = {}
        self.auth: dict[str, tuple[str, bytes]] = {}

    def add_sign(self, member: ClientId, algorithm: KeyAlgorithm = KeyAlgorithm.RSA2048) -> None:
        subject = pki.name(member.member_code, O=member.member_class, C=member.instance)
        key_id = _certify(self.token, KeyUsage.SIGNING, subject, algorithm)
        der = self.token.certificates(key_id)[0].der
        self.sign[member] = (key_id, x509.load_der_x509_certificate(der))

    def add_auth(self, label: str, algorithm: KeyAlgorithm = KeyAlgorithm.RSA2048) -> None:
        subject = pki.name(label.upper(), C=ms.INSTANCE)
        key_id = _certify(self.token, KeyUsage.AUTHENTICATION, subject, algorithm)
        self.auth[label] = (key_id, self.token.certificates(key_id)[0].der)

    def evidence(self, member: ClientId) -> requests.SignEvidence:
        key_id, cert = self.sign[member]
        return requests.SignEvidence(
            self.token.signer(key_id), ms.der(cert), ms.ocsp(cert, now=ms.NOW)
        )

    def auth_evidence(self, label: str) -> requests.AuthEvidence:
        key_id, der = self.auth[label]
        return requests.AuthEvidence(self.token.signer(key_id), der)


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    found = Keys(tmp_path)
    found.add_sign(ms.GOV)
    found.add_sign(ms.COM, KeyAlgorithm.EC_P256)  # ECDSA: r || s becomes DER for the verifier
    found.add_auth("ss2")
    return found


def _verify(
    body: ManagementBody, sign: requests.SignEvidence, auth: requests.AuthEvidence | None = None
) -> ClientId:
    data, content_type = requests.build_request(body, provider=PROVIDER, sign=sign, auth=auth)
    decoded = decode_request(data, content_type)
    header = decoded.soap.header
    assert header.client == body.server.owner
    assert header.service == ServiceId(PROVIDER, str(body.type))
    params = ms.shared_params()
    return verify_request(decoded, params, trust_config(params), ms.NOW).signer


def test_auth_cert_reg_carries_both_signatures(keys: Keys) -> None:
    auth = keys.auth_evidence("ss2")
    body = ManagementBody(
        T.AUTH_CERT_REG, ms.SS2, address="ss2.example.vn", auth_cert=auth.cert_der
    )
    assert _verify(body, keys.evidence(ms.GOV), auth) == ms.GOV


def test_auth_cert_reg_refused_without_the_auth_keys_signature(keys: Keys) -> None:
    auth = keys.auth_evidence("ss2")
    body = ManagementBody(
        T.AUTH_CERT_REG, ms.SS2, address="ss2.example.vn", auth_cert=auth.cert_der
    )
    keys.add_auth("other")
    impostor = requests.AuthEvidence(keys.auth_evidence("other").signer, auth.cert_der)
    with pytest.raises(XRoadError) as refused:
        _verify(body, keys.evidence(ms.GOV), impostor)
    assert refused.value.code == "InvalidSignatureValue"
    with pytest.raises(ValueError, match="proof of possession"):
        requests.build_request(body, provider=PROVIDER, sign=keys.evidence(ms.GOV))


def test_client_reg_is_signed_by_the_clients_member(keys: Keys) -> None:
    body = ManagementBody(T.CLIENT_REG, ms.SS1, client=ms.COM_SUB)
    assert requests.signer_member(body) == ms.COM
    assert _verify(body, keys.evidence(ms.COM)) == ms.COM
    with pytest.raises(XRoadError) as refused:
        _verify(body, keys.evidence(ms.GOV))  # the owner may not sign another member's client
    assert refused.value.code == "AccessDenied"


def test_deletions_are_signed_by_the_owner(keys: Keys) -> None:
    deletion = ManagementBody(T.CLIENT_DELETION, ms.SS1, client=ms.GOV_SUB)
    assert requests.signer_member(deletion) == ms.GOV
    assert _verify(deletion, keys.evidence(ms.GOV)) == ms.GOV
    registered = ms.der(ms.auth_cert("ss1"))
    auth_deletion = ManagementBody(T.AUTH_CERT_DELETION, ms.SS1, auth_cert=registered)
    assert _verify(auth_deletion, keys.evidence(ms.GOV)) == ms.GOV


def test_java_algorithm_names(keys: Keys) -> None:
    assert requests.java_algorithm(keys.evidence(ms.GOV).signer) == "SHA512withRSA"
    assert requests.java_algorithm(keys.evidence(ms.COM).signer) == "SHA512withECDSA"
