"""Onboarding's pure parts: the state sync from a global configuration, where requests go,
and the admin API's JSON of the returned values."""

from __future__ import annotations

import datetime as dt

import pytest

from security_server.onboarding import model, sync, transport
from security_server.serverconf import ClientState, ErrorCode, ServerConfError
from security_server.serverconf.model import ClientInfo, ConnectionType
from tests.unit.security_server import exchange_support as es
from vdx.globalconf.private_params import ManagementService
from vdx.identifiers import ClientId, SecurityServerId
from vdx.message.management import RequestType
from vdx.tokens import CertEvent, CertRecord, CertStatus, KeyAlgorithm, KeyUsage

CONF = es.configuration()
SS_C = es.SS_C  # lists auth_cert("SS-C") and the client CONSUMER_APP
LISTED = es.der(es.auth_cert("SS-C"))
UNLISTED = es.der(es.auth_cert("SS-P"))  # registered, but to another server
S = CertStatus
E = CertEvent
C = ClientState


def _cert(der: bytes, status: CertStatus) -> CertRecord:
    return CertRecord("id", "key", der, status, active=False)


def _client(client: ClientId, state: ClientState) -> ClientInfo:
    return ClientInfo(client, state, ConnectionType.HTTP)


@pytest.mark.parametrize(
    ("der", "status", "events"),
    [
        (LISTED, S.REGISTRATION_IN_PROGRESS, (E.REGISTRATION_CONFIRMED,)),
        (LISTED, S.SAVED, (E.REGISTRATION_REQUESTED, E.REGISTRATION_CONFIRMED)),
        (LISTED, S.GLOBAL_ERROR, (E.REGISTRATION_CONFIRMED,)),
        (LISTED, S.REGISTERED, None),
        (LISTED, S.DELETION_IN_PROGRESS, None),  # the operator deletes it (ug-ss)
        (UNLISTED, S.REGISTERED, (E.GLOBALCONF_MISSING,)),
        (UNLISTED, S.REGISTRATION_IN_PROGRESS, None),  # still waiting for the approval
        (UNLISTED, S.SAVED, None),
    ],
)
def test_auth_certificate_states_follow_the_configuration(
    der: bytes, status: CertStatus, events: tuple[CertEvent, ...] | None
) -> None:
    change = sync.plan_cert(SS_C, _cert(der, status), KeyUsage.AUTHENTICATION, CONF)
    assert (None if change is None else change.events) == events


def test_signing_certificates_are_not_registered() -> None:
    cert = _cert(UNLISTED, S.REGISTERED)
    assert sync.plan_cert(SS_C, cert, KeyUsage.SIGNING, CONF) is None


@pytest.mark.parametrize(
    ("client", "state", "expected"),
    [
        (es.CONSUMER_APP, C.REGISTRATION_IN_PROGRESS, (C.REGISTERED,)),
        (es.CONSUMER_APP, C.SAVED, (C.REGISTRATION_IN_PROGRESS, C.REGISTERED)),
        (es.CONSUMER, C.SAVED, (C.REGISTRATION_IN_PROGRESS, C.REGISTERED)),  # the owner
        (es.CONSUMER_APP, C.REGISTERED, None),
        (es.CONSUMER_APP, C.DELETION_IN_PROGRESS, None),  # deletion not approved yet
        (es.PRODUCER_REST, C.DELETION_IN_PROGRESS, (C.SAVED,)),  # deleted: back to saved
        (es.PRODUCER_REST, C.REGISTRATION_IN_PROGRESS, None),
        (es.PRODUCER_REST, C.REGISTERED, "warning"),
    ],
)
def test_client_states_follow_the_configuration(
    client: ClientId, state: ClientState, expected: tuple[ClientState, ...] | str | None
) -> None:
    found = sync.plan_client(SS_C, _client(client, state), CONF)
    if expected == "warning":
        assert isinstance(found, str)
        assert client.to_colon() in found
    else:
        assert (found.states if isinstance(found, sync.ClientChange) else found) == expected


def test_plan_needs_an_identity_of_the_configurations_instance() -> None:
    certs = [(_cert(LISTED, S.REGISTRATION_IN_PROGRESS), KeyUsage.AUTHENTICATION)]
    clients = [_client(es.CONSUMER_APP, C.REGISTRATION_IN_PROGRESS)]
    plan = sync.plan(SS_C, certs, clients, CONF)
    assert plan.describe() == [
        "certificate id: registration confirmed",
        "client EE:BUSINESS:consumer:APP: registered",
    ]
    assert sync.plan(None, certs, clients, CONF) == sync.SyncPlan()
    elsewhere = SecurityServerId(ClientId("FI", "BUSINESS", "consumer"), "SS-C")
    assert sync.plan(elsewhere, certs, clients, CONF) == sync.SyncPlan()


PARAMS = ManagementService(
    "https://cs.example.vn:4001/managementservice/",
    ClientId("VN", "GOV", "0101", "MANAGEMENT"),
    es.der(es.auth_cert("SS-C")),  # any certificate: the pinned one
)


def test_where_requests_go() -> None:
    url, tls = transport.destination(RequestType.AUTH_CERT_REG, PARAMS)
    assert url == PARAMS.auth_cert_reg_service_address
    assert tls is not None
    assert tls.verify_mode.name == "CERT_REQUIRED"
    assert tls.check_hostname
    for kind in (
        RequestType.CLIENT_REG,
        RequestType.CLIENT_DELETION,
        RequestType.AUTH_CERT_DELETION,
    ):
        assert transport.destination(kind, PARAMS) == (
            "http://cs.example.vn:4002/managementservice/",
            None,
        )
    assert transport.destination(RequestType.CLIENT_REG, PARAMS, "http://mgmt:9/x/")[0] == (
        "http://mgmt:9/x/"
    )
    v6 = ManagementService(
        "https://[2001:db8::1]:4001/managementservice/",
        PARAMS.management_request_service_provider_id,
    )
    assert transport.management_service_url(v6) == "http://[2001:db8::1]:4002/managementservice/"


@pytest.mark.parametrize("pinned", [None, b"\x30\x00"])
def test_registration_needs_the_pinned_certificate(pinned: bytes | None) -> None:
    unpinned = ManagementService(
        PARAMS.auth_cert_reg_service_address, PARAMS.management_request_service_provider_id, pinned
    )
    with pytest.raises(ServerConfError) as refused:
        transport.destination(RequestType.AUTH_CERT_REG, unpinned)
    assert refused.value.code is ErrorCode.UNAVAILABLE


def test_json_of_the_returned_values() -> None:
    cert = model.CertInfo(
        id="ab" * 32,
        key_id="k1",
        usage=KeyUsage.SIGNING,
        status="registered",
        ocsp_status="good",
        active=True,
        subject="CN=1001,O=GOV,C=VN",
        issuer="CN=CA",
        serial=2**100,
        not_after=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        member=ClientId("VN", "GOV", "1001"),
    )
    key = model.KeyInfo("k1", "sign", KeyUsage.SIGNING, KeyAlgorithm.RSA2048, (cert,))
    assert key.to_json() == {
        "id": "k1",
        "label": "sign",
        "usage": "sign",
        "algorithm": "RSA2048",
        "certificates": [
            {
                "id": "ab" * 32,
                "key_id": "k1",
                "usage": "sign",
                "status": "registered",
                "ocsp_status": "good",
                "active": True,
                "subject": "CN=1001,O=GOV,C=VN",
                "issuer": "CN=CA",
                "serial": str(2**100),
                "not_after": "2030-01-01T00:00:00+00:00",
                "member": "VN:GOV:1001",
                "sha256": "ab" * 32,
            }
        ],
    }
    assert model.parse_usage("auth") is KeyUsage.AUTHENTICATION
    assert model.parse_algorithm("RSA2048") is KeyAlgorithm.RSA2048
    with pytest.raises(ValueError, match="usage"):
        model.parse_usage("tls")
