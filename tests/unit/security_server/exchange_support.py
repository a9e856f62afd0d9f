"""A whole federation in memory for the exchange tests (no tests here).

Instance ``EE`` with members ``BUSINESS/consumer`` and ``BUSINESS/producer``, each owning one
security server (``SS-C``, ``SS-P``) with an authentication certificate registered in the
global configuration, and a signing certificate under the EJBCA profile (C = instance,
O = member class, CN = member code). Certificates come from the test PKI of the crypto tests;
OCSP responses are made at ``NOW``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from security_server.confclient.model import GlobalConfiguration, build_configuration
from security_server.exchange import (
    ClientAnswer,
    PreparedRequest,
    SigningMaterial,
    VerifiedRequest,
    build_soap_response,
    check_soap_response,
    prepare_soap_request,
    verify_soap_request,
)
from security_server.serverconf.model import (
    BASE_ENDPOINT,
    ClientState,
    ConnectionType,
    DescriptionKind,
    Endpoint,
    ServerIdentity,
)
from security_server.serverconf.snapshot import (
    ClientEntry,
    Grant,
    ServerConfSnapshot,
    ServiceEntry,
    build_snapshot,
)
from tests import vectors
from tests.unit.crypto import pki
from vdx.crypto.xades_create import PrivateKeySigner
from vdx.errors import XRoadError
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
from vdx.message import soap_request, transport, transport_encode
from vdx.message.transport import TransportMessage

NOW = pki.NOW
INSTANCE = "EE"
EJBCA = "ee.ria.xroad.common.certificateprofile.impl.EjbcaCertificateProfileInfoProvider"
CONSUMER = ClientId(INSTANCE, "BUSINESS", "consumer")
PRODUCER = ClientId(INSTANCE, "BUSINESS", "producer")
STRANGER = ClientId(INSTANCE, "BUSINESS", "stranger")
CONSUMER_APP = ClientId(INSTANCE, "BUSINESS", "consumer", "APP")
PRODUCER_REST = ClientId(INSTANCE, "BUSINESS", "producer", "REST")
PETS = ServiceId(PRODUCER_REST, "pets")
SS_C = SecurityServerId(CONSUMER, "SS-C")
SS_P = SecurityServerId(PRODUCER, "SS-P")
GET_STATE = ServiceId(PRODUCER, "getState")
TEST = ServiceId(PRODUCER, "test")
CLOSED = ServiceId(PRODUCER, "closed")
HIDDEN = ServiceId(PRODUCER, "hidden")
PETS_READ = Endpoint("GET", "/pets/*")
DISABLED_NOTICE = "Down for maintenance until noon"
TEXT = "text/xml; charset=UTF-8"
MR = "multipart/related; charset=UTF-8; boundary=jetty771207119h3h10dty"


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


@functools.cache
def sign_cert(member_code: str) -> x509.Certificate:
    p = pki.pki()
    return pki.make_cert(
        pki.name(member_code, O="BUSINESS", C=INSTANCE),
        pki.key(f"sign-{member_code}"),
        p.intermediate,
        pki.key("inter"),
        usage={"content_commitment": True},
    )


@functools.cache
def auth_cert(server_code: str) -> x509.Certificate:
    p = pki.pki()
    return pki.make_cert(
        pki.name(server_code, C=INSTANCE),
        pki.key(f"auth-{server_code}"),
        p.intermediate,
        pki.key("inter"),
        usage={"digital_signature": True, "key_encipherment": True},
        eku=[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    )


def ocsp(cert: x509.Certificate, *, status: str = "good", age: timedelta | None = None) -> bytes:
    this_update = NOW - (age if age is not None else timedelta(minutes=5))
    return pki.ocsp_response(cert, pki.pki().intermediate, status=status, this_update=this_update)


def signing(member_code: str, **ocsp_options: object) -> SigningMaterial:
    cert = sign_cert(member_code)
    return SigningMaterial(
        key=PrivateKeySigner(pki.key(f"sign-{member_code}")),
        certificate=cert,
        ocsp_responses=(ocsp(cert, **ocsp_options),),  # type: ignore[arg-type]
    )


def shared_parameters(*, producer_address: str = "ss-p.test") -> SharedParameters:
    p = pki.pki()
    business = MemberClass("BUSINESS", "Businesses")
    return SharedParameters(
        instance=INSTANCE,
        global_settings=GlobalSettings(ocsp_freshness_seconds=3600, member_classes=(business,)),
        approved_cas=(
            ApprovedCa(
                name="VDX Test CA",
                top_ca=CaInfo(der(p.root)),
                certificate_profile_info=EJBCA,
                authentication_only=False,
                intermediate_cas=(CaInfo(der(p.intermediate), (OcspInfo(pki.OCSP_URL),)),),
            ),
        ),
        members=(
            Member(business, "consumer", "Consumer Ltd", (Subsystem("APP"),)),
            Member(business, "producer", "Producer Ltd", (Subsystem("REST"),)),
            Member(business, "stranger", "Stranger Ltd"),
        ),
        security_servers=(
            SecurityServer(
                owner=CONSUMER,
                server_code="SS-C",
                address="ss-c.test",
                auth_cert_hashes=(hashlib.sha256(der(auth_cert("SS-C"))).digest(),),
                clients=(CONSUMER_APP,),
            ),
            SecurityServer(
                owner=PRODUCER,
                server_code="SS-P",
                address=producer_address,
                auth_cert_hashes=(hashlib.sha256(der(auth_cert("SS-P"))).digest(),),
                clients=(PRODUCER_REST,),
            ),
        ),
    )


def configuration(*, expire: datetime | None = None) -> GlobalConfiguration:
    return build_configuration(
        shared_parameters(),
        None,
        expire_date=expire or NOW + timedelta(minutes=10),
        version=4,
        source_url="http://cs.test/internalconf",
        directory_digest=b"\0" * 32,
    )


def consumer_serverconf(state: ClientState = ClientState.REGISTERED) -> ServerConfSnapshot:
    return build_snapshot(
        ServerIdentity(SS_C),
        [
            ClientEntry(CONSUMER, state, ConnectionType.HTTP),
            ClientEntry(CONSUMER_APP, state, ConnectionType.HTTP),
        ],
        [],
        [],
        {},
    )


def _service(service_id: ServiceId, notice: str | None = None) -> ServiceEntry:
    return ServiceEntry(
        service_id, DescriptionKind.WSDL, "http://is.producer.test/", 60, True, notice
    )


def producer_serverconf() -> ServerConfSnapshot:
    services = [
        _service(GET_STATE),
        _service(TEST),
        _service(CLOSED),
        _service(HIDDEN, DISABLED_NOTICE),
    ]
    grants = [Grant(s, BASE_ENDPOINT, CONSUMER) for s in (GET_STATE, TEST, HIDDEN)]
    return build_snapshot(
        ServerIdentity(SS_P),
        [ClientEntry(PRODUCER, ClientState.REGISTERED, ConnectionType.HTTP)],
        services,
        grants,
        {},
    )


@dataclass(frozen=True)
class Query:
    body: bytes
    content_type: str


def query(name: str, replacements: dict[str, str] | None = None) -> Query:
    """A reference query file; ``replacements`` rewrite its text (e.g. the service code)."""
    path: Path = vectors.require_dir() / "soap-queries" / name
    body = path.read_bytes()
    for old, new in (replacements or {}).items():
        body = body.replace(old.encode(), new.encode())
    return Query(body, MR if body.lstrip().startswith(b"--") else TEXT)


def service_answer(request_xml: bytes, service_code: str) -> bytes:
    """What a well-behaved service answers: the request's header, a ``...Response`` body."""
    head, sep, tail = request_xml.partition(b"Body>")
    renamed = tail.replace(f":{service_code}".encode(), f":{service_code}Response".encode())
    return head + sep + renamed


def producer_rest_serverconf(*, disabled: str | None = None) -> ServerConfSnapshot:
    """SS-P's configuration for its REST subsystem.

    Kept apart from :func:`producer_serverconf`: ``build_snapshot`` sorts service ids, and
    ``ClientId`` ordering fails between a member (subsystem None) and a subsystem.
    """
    pets = ServiceEntry(
        PETS,
        DescriptionKind.OPENAPI3,
        "http://pets.producer.test/api/",
        60,
        True,
        disabled,
        endpoints=(BASE_ENDPOINT, PETS_READ, Endpoint("POST", "/pets")),
    )
    return build_snapshot(
        ServerIdentity(SS_P),
        [ClientEntry(PRODUCER_REST, ClientState.REGISTERED, ConnectionType.HTTP)],
        [pets],
        [
            Grant(PETS, PETS_READ, CONSUMER_APP),
            Grant(PETS, Endpoint("POST", "/pets"), CONSUMER_APP),
        ],
        {},
    )


# ---------------------------------------------------------------- SOAP exchange steps


def wire(message: TransportMessage) -> TransportMessage:
    """Encode and decode, as the bytes travel between the security servers."""
    encoded = transport_encode.encode(message)
    return transport.decode(encoded.body, encoded.content_type)


def prepare(name: str = "getstate.query", **overrides: object) -> PreparedRequest:
    q = query(name)
    request = soap_request.decode(q.body, q.content_type)
    options: dict[str, object] = {
        "conf": configuration(),
        "serverconf": consumer_serverconf(),
        "signing_material": signing("consumer"),
        "auth_ocsp_responses": (ocsp(auth_cert("SS-C")),),
        "now": NOW,
    }
    options.update(overrides)
    return prepare_soap_request(request, **options)  # type: ignore[arg-type]


def verify(message: TransportMessage, **overrides: object) -> VerifiedRequest:
    options: dict[str, object] = {
        "peer_cert": auth_cert("SS-C"),
        "conf": configuration(),
        "serverconf": producer_serverconf(),
        "trust": configuration().trust,
        "now": NOW,
    }
    options.update(overrides)
    return verify_soap_request(wire(message), **options)  # type: ignore[arg-type]


def answer(verified: VerifiedRequest, body: bytes | None = None) -> bytes:
    code = verified.request.header.service.service_code
    return body if body is not None else service_answer(verified.request.xml, code)


def respond(verified: VerifiedRequest, body: bytes, content_type: str) -> TransportMessage:
    return wire(
        build_soap_response(
            verified, body, content_type, signing_material=signing("producer"), now=NOW
        )
    )


def check(
    prepared: PreparedRequest, response: TransportMessage, **overrides: object
) -> ClientAnswer:
    conf = configuration()
    options: dict[str, object] = {"trust": conf.trust, "conf": conf, "now": NOW}
    options.update(overrides)
    return check_soap_response(prepared, response, **options)  # type: ignore[arg-type]


def refused(call: object, *args: object, **kwargs: object) -> XRoadError:
    assert callable(call)
    with pytest.raises(XRoadError) as caught:
        call(*args, **kwargs)
    return caught.value
