"""Shared and private parameters: what we produce validates with independent XSD validators
(xmlschema, and libxml2 through lxml) against the reference's schemas, and parses back."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from tests import vectors
from tests.unit.globalconf.conftest import SigningKey
from vdx.errors import Code, XRoadError
from vdx.globalconf import (
    AnchorSource,
    ConfigurationAnchor,
    ManagementService,
    PrivateParameters,
    SharedParameters,
    parse_private_params,
    parse_shared_params,
    produce_private_params,
    produce_shared_params,
)
from vdx.globalconf.model import (
    AcmeServer,
    ApprovedCa,
    ApprovedTsa,
    CaInfo,
    CentralService,
    ConfigurationSource,
    GlobalGroup,
    GlobalSettings,
    Member,
    MemberClass,
    OcspInfo,
    SecurityServer,
    Subsystem,
)
from vdx.identifiers import ClientId, ServiceId

SCHEMAS = vectors.vectors_dir() / "schemas" / "globalconf"
COM = MemberClass("COM", "Commercial")
OWNER = ClientId("DEV", "COM", "1234")
CLIENT = ClientId("DEV", "COM", "1234", "TestService")
MANAGEMENT = ClientId("DEV", "COM", "1234", "MANAGEMENT")


def _shared(cert: bytes) -> SharedParameters:
    ca = ApprovedCa(
        name="Test CA",
        top_ca=CaInfo(cert, (OcspInfo("http://ca:8888", cert, "FREE"),)),
        certificate_profile_info="ee.ria.xroad.common.certificateprofile.impl.Basic",
        authentication_only=False,
        intermediate_cas=(CaInfo(cert),),
        default_csr_format="PEM",
        acme_server=AcmeServer("http://ca:8887", "10.0.0.1", "5", "6"),
    )
    return SharedParameters(
        instance="DEV",
        global_settings=GlobalSettings(3600, (COM, MemberClass("GOV", "Government"))),
        sources=(ConfigurationSource("cs", (cert,), (cert,)),),
        approved_cas=(ca,),
        approved_tsas=(ApprovedTsa("Test TSA", "http://ca:8899", cert, "PAID"),),
        members=(
            Member(
                COM,
                "1234",
                "Test member",
                (Subsystem("MANAGEMENT"), Subsystem("TestService", "Svc")),
            ),
        ),
        security_servers=(
            SecurityServer(
                OWNER, "SS0", "ss0", (b"\x01" * 32,), (CLIENT, MANAGEMENT), True, "upgrade"
            ),
        ),
        global_groups=(GlobalGroup("owners", "Security server owners", (OWNER, CLIENT)),),
        central_services=(
            CentralService("register", ServiceId(MANAGEMENT, "clientReg", "v1")),
            CentralService("unbound"),
        ),
    )


def _private(cert: bytes) -> PrivateParameters:
    return PrivateParameters(
        instance="DEV",
        management_service=ManagementService(
            "https://cs:4001/managementservice/", MANAGEMENT, cert
        ),
        time_stamping_interval_seconds=60,
        configuration_anchors=(
            ConfigurationAnchor("FED", (AnchorSource("http://fed/externalconf", (cert,)),)),
        ),
    )


@pytest.fixture(scope="module")
def schema_dir() -> Path:
    if not SCHEMAS.is_dir():
        pytest.skip("reference schemas not available")
    return SCHEMAS


@pytest.mark.parametrize("version", [5, 6])
def test_produced_shared_params_validate(
    schema_dir: Path, rsa_key: SigningKey, version: int
) -> None:
    params = _shared(rsa_key.der)
    data = produce_shared_params(params, version)
    xsd = schema_dir / f"v{version}" / "shared-parameters.xsd"
    xmlschema.XMLSchema(str(xsd)).validate(data.decode("utf-8"))
    assert etree.XMLSchema(etree.parse(str(xsd))).validate(etree.fromstring(data))
    parsed = parse_shared_params(data)
    if version == 6:
        assert parsed == params
    else:  # v5 has no costType / defaultCsrFormat
        assert parsed.members == params.members
        assert parsed.security_servers == params.security_servers
        assert parsed.approved_cas[0].default_csr_format is None


def test_produced_private_params_validate(schema_dir: Path, rsa_key: SigningKey) -> None:
    params = _private(rsa_key.der)
    data = produce_private_params(params)
    xsd = schema_dir / "v3" / "private-parameters.xsd"
    xmlschema.XMLSchema(str(xsd)).validate(data.decode("utf-8"))
    assert etree.XMLSchema(etree.parse(str(xsd))).validate(etree.fromstring(data))
    assert parse_private_params(data) == params


def test_model_lookups(rsa_key: SigningKey) -> None:
    params = _shared(rsa_key.der)
    server = params.security_servers[0]
    assert params.security_server(server.server_id) is server
    assert params.verification_certs(internal=True) == (rsa_key.der,)
    assert params.global_groups[0].group_id("DEV").group_code == "owners"


def test_server_client_must_be_listed(rsa_key: SigningKey) -> None:
    params = _shared(rsa_key.der)
    stranger = ClientId("DEV", "GOV", "999")
    broken = SharedParameters(
        instance="DEV",
        global_settings=params.global_settings,
        sources=params.sources,
        members=params.members,
        security_servers=(SecurityServer(stranger, "SS9"),),
    )
    with pytest.raises(XRoadError) as excinfo:
        produce_shared_params(broken)
    assert excinfo.value.code == Code.MALFORMED_GLOBALCONF
    with pytest.raises(ValueError, match="versions 5 and 6"):
        produce_shared_params(params, version=2)


_HEAD = b'<a:conf xmlns:a="http://x-road.eu/xsd/xroad.xsd">'


@pytest.mark.parametrize(
    "body",
    [
        b"<conf/>",
        _HEAD + b"</a:conf>",
        _HEAD + b"<instanceIdentifier>X</instanceIdentifier></a:conf>",
        _HEAD + b"<instanceIdentifier>X</instanceIdentifier><securityServer><owner>id9</owner>"
        b"<serverCode>S</serverCode></securityServer><globalSettings>"
        b"<ocspFreshnessSeconds>1</ocspFreshnessSeconds></globalSettings></a:conf>",
        _HEAD + b"<instanceIdentifier>X</instanceIdentifier><globalSettings>"
        b"<ocspFreshnessSeconds>soon</ocspFreshnessSeconds></globalSettings></a:conf>",
    ],
)
def test_broken_shared_params_are_malformed(body: bytes) -> None:
    with pytest.raises(XRoadError) as excinfo:
        parse_shared_params(body)
    assert excinfo.value.code == Code.MALFORMED_GLOBALCONF


def test_broken_private_params_are_malformed() -> None:
    with pytest.raises(XRoadError) as excinfo:
        parse_private_params(_HEAD + b"<instanceIdentifier>X</instanceIdentifier></a:conf>")
    assert excinfo.value.code == Code.MALFORMED_GLOBALCONF
