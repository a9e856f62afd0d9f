"""``RegistryService.snapshot()``: complete, ordered, byte-stable, valid against the V5 XSD."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lxml import etree

from central_server.registry import OWNERS_GROUP, RegistryError, RegistryService
from central_server.registry.validation import auth_cert_hash
from tests import databases, vectors
from tests.integration.central_server import registry_support as rs
from tests.integration.central_server.registry_support import (
    ACTOR,
    COM,
    GOV,
    GOV_SUB,
    INSTANCE,
    SS1,
    der,
)
from vdx.globalconf import SharedParameters, parse_shared_params, produce_shared_params
from vdx.globalconf.model import ConfigurationSource
from vdx.identifiers import ClientId, SecurityServerId

pg_database = databases.postgres_module_fixture()
db_url = rs.db_url_fixture()


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[RegistryService]:
    async for opened in rs.open_service(db_url):
        yield opened


async def fill(service: RegistryService) -> None:
    """The populated registry plus a group, a maintenance flag and out-of-order inserts."""
    await rs.populate(service)
    await service.add_member_class("EDU", "Education", actor=ACTOR)
    await service.add_member(ClientId(INSTANCE, "EDU", "b"), "Uni B", actor=ACTOR)
    await service.add_member(ClientId(INSTANCE, "EDU", "a"), "Uni A", actor=ACTOR)
    await service.add_subsystem(ClientId(INSTANCE, "GOV", "0101", "AAA"), actor=ACTOR)
    await service.add_server_client(SS1, COM, actor=ACTOR)
    com_ss = SecurityServerId(COM, "SS0")
    await service.add_security_server(com_ss, "ss0.company.vn", actor=ACTOR)
    await service.set_maintenance(com_ss, True, "Upgrade", actor=ACTOR)
    await service.add_global_group("tax", "Tax offices", actor=ACTOR)
    await service.add_group_member("tax", GOV_SUB, actor=ACTOR)
    await service.add_group_member("tax", COM, actor=ACTOR)
    await service.add_tsa("Backup TSA", "http://tsa2.test/", der("tsa"), priority=5, actor=ACTOR)
    await service.set_system_parameter("ocspFreshnessSeconds", 1800, actor=ACTOR)


def with_source(params: SharedParameters) -> SharedParameters:
    """What the configuration generator adds: the source and its verification certificates."""
    source = ConfigurationSource("cs.example.vn", (der("root"),), (der("root"),))
    return dataclasses.replace(params, sources=(source,))


async def test_snapshot_content(service: RegistryService) -> None:
    await fill(service)
    snap = await service.snapshot()
    assert snap.instance == INSTANCE
    assert snap.sources == ()
    assert snap.global_settings.ocsp_freshness_seconds == 1800
    assert [c.code for c in snap.global_settings.member_classes] == ["COM", "EDU", "GOV"]
    assert [(m.member_class.code, m.code) for m in snap.members] == [
        ("COM", "9999"),
        ("EDU", "a"),
        ("EDU", "b"),
        ("GOV", "0101"),
    ]
    assert [(s.code, s.name) for s in snap.members[3].subsystems] == [
        ("AAA", None),
        ("TAX", "Tax office"),
    ]
    assert [s.server_id for s in snap.security_servers] == [SecurityServerId(COM, "SS0"), SS1]
    com_ss, gov_ss = snap.security_servers
    assert (com_ss.in_maintenance_mode, com_ss.maintenance_message) == (True, "Upgrade")
    assert gov_ss.address == "ss1.example.vn"
    assert gov_ss.auth_cert_hashes == (auth_cert_hash(der("auth")),)
    assert gov_ss.clients == (COM, GOV_SUB)
    assert [(g.code, g.members) for g in snap.global_groups] == [
        (OWNERS_GROUP, (COM, GOV)),
        ("tax", (COM, GOV_SUB)),
    ]
    [ca] = snap.approved_cas
    assert ca.top_ca.cert == der("root")
    assert ca.intermediate_cas[0].ocsp[0].cert == der("responder")
    assert ca.default_csr_format == "DER"
    assert [t.name for t in snap.approved_tsas] == ["VDX TSA", "Backup TSA"]


async def test_snapshot_without_instance_is_refused(service: RegistryService) -> None:
    with pytest.raises(RegistryError, match="instance identifier"):
        await service.snapshot()


async def test_snapshot_is_stable_and_round_trips(service: RegistryService) -> None:
    await fill(service)
    first = await service.snapshot()
    assert await service.snapshot() == first
    xml = produce_shared_params(with_source(first))
    assert produce_shared_params(with_source(await service.snapshot())) == xml
    # v5 has no defaultCsrFormat; v6 carries every field the registry keeps.
    assert parse_shared_params(produce_shared_params(with_source(first), 6)) == with_source(first)
    await service.rename_member(GOV, "Ministry of Finance", actor=ACTOR)
    assert produce_shared_params(with_source(await service.snapshot())) != xml


@pytest.mark.vectors
@pytest.mark.parametrize("version", [5, 6])
async def test_snapshot_validates_against_the_xsd(service: RegistryService, version: int) -> None:
    schemas = vectors.require_dir() / "schemas" / "globalconf"
    schema = etree.XMLSchema(etree.parse(str(schemas / f"v{version}" / "shared-parameters.xsd")))
    await fill(service)
    xml = produce_shared_params(with_source(await service.snapshot()), version=version)
    document = etree.fromstring(xml)
    assert schema.validate(document), schema.error_log


async def test_both_databases_give_the_same_bytes(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = str(request.getfixturevalue("pg_database"))
    await databases.reset_postgres(url)
    produced = []
    for each in (databases.sqlite_url(tmp_path), url):
        async for opened in rs.open_service(each):
            await fill(opened)
            produced.append(produce_shared_params(with_source(await opened.snapshot())))
    assert produced[0] == produced[1]
