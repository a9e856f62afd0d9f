"""The registry service on SQLite and PostgreSQL: every operation, every refusal, the audit log.

Each test runs once per backend (``db_url`` is parametrised); PostgreSQL tests get a database
of their own per module (tests/databases.py) and skip when no server is reachable, except on CI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from central_server.registry import (
    OWNERS_GROUP,
    CaSpec,
    ErrorCode,
    OcspResponderSpec,
    RegistryError,
    RegistryService,
)
from central_server.registry.validation import auth_cert_hash
from central_server.storage import open_engine
from central_server.storage import tables as t
from tests import databases
from tests.integration.central_server import registry_support as rs
from tests.integration.central_server.registry_support import (
    ACTOR,
    COM,
    GOV,
    GOV_SUB,
    INSTANCE,
    SS1,
    der,
    pem,
)
from vdx.identifiers import ClientId, SecurityServerId

pg_database = databases.postgres_module_fixture()
db_url = rs.db_url_fixture()


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[RegistryService]:
    async for opened in rs.open_service(db_url):
        yield opened


@pytest.fixture
async def populated(service: RegistryService) -> RegistryService:
    await rs.populate(service)
    return service


async def refused(code: ErrorCode, call: object) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code == code, caught.value.message
    return caught.value


async def audit_count(service: RegistryService) -> int:
    return len(await service.audit_log(limit=10_000))


# ------------------------------------------------------------------ instance and member classes


async def test_instance_is_set_once(service: RegistryService) -> None:
    assert await service.get_instance() is None
    await refused(ErrorCode.CONFLICT, service.add_member(GOV, "Ministry", actor=ACTOR))
    await service.set_instance(INSTANCE, actor=ACTOR)
    assert await service.get_instance() == INSTANCE
    await refused(ErrorCode.CONFLICT, service.set_instance("EE", actor=ACTOR))
    await refused(ErrorCode.CONFLICT, service.set_instance(INSTANCE, actor=ACTOR))
    groups = await service.list_global_groups()
    assert [g.code for g in groups] == [OWNERS_GROUP]


async def test_instance_identifier_characters(service: RegistryService) -> None:
    await refused(ErrorCode.INVALID, service.set_instance("V N", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.set_instance("VN/1", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.set_instance("VN", actor=" "))
    assert await service.get_instance() is None
    assert await audit_count(service) == 0


async def test_member_classes(service: RegistryService) -> None:
    await service.set_instance(INSTANCE, actor=ACTOR)
    await service.add_member_class("GOV", "Government", actor=ACTOR)
    await service.add_member_class("COM", "Commercial", actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.add_member_class("GOV", "Again", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_member_class("G V", "Bad", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_member_class("GOV2", "\x00", actor=ACTOR))
    await service.update_member_class("GOV", "Government agencies", actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.update_member_class("X", "x", actor=ACTOR))
    classes = await service.list_member_classes()
    assert [(c.code, c.description) for c in classes] == [
        ("COM", "Commercial"),
        ("GOV", "Government agencies"),
    ]
    await service.add_member(GOV, "Ministry", actor=ACTOR)
    error = await refused(ErrorCode.CONFLICT, service.delete_member_class("GOV", actor=ACTOR))
    assert "1 members" in error.message
    await service.delete_member_class("COM", actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.delete_member_class("COM", actor=ACTOR))
    assert [c.code for c in await service.list_member_classes()] == ["GOV"]


# ------------------------------------------------------------------ members and subsystems


async def test_members(populated: RegistryService) -> None:
    service = populated
    await refused(ErrorCode.CONFLICT, service.add_member(GOV, "Twice", actor=ACTOR))
    unknown_class = ClientId(INSTANCE, "EDU", "1")
    await refused(ErrorCode.NOT_FOUND, service.add_member(unknown_class, "School", actor=ACTOR))
    other_instance = ClientId("EE", "GOV", "1")
    await refused(ErrorCode.INVALID, service.add_member(other_instance, "Foreign", actor=ACTOR))
    await refused(
        ErrorCode.INVALID, service.add_member(ClientId(INSTANCE, "GOV", "a b"), "x", actor=ACTOR)
    )
    await refused(ErrorCode.INVALID, service.add_member(GOV_SUB, "A subsystem", actor=ACTOR))
    await service.rename_member(COM, "Company Ltd", actor=ACTOR)
    await refused(
        ErrorCode.NOT_FOUND,
        service.rename_member(ClientId(INSTANCE, "COM", "0"), "x", actor=ACTOR),
    )
    member = await service.get_member(GOV)
    assert member.name == "Ministry"
    assert [(s.code, s.name) for s in member.subsystems] == [("TAX", "Tax office")]
    listed = await service.list_members()
    assert [(m.client_id, m.name) for m in listed] == [(COM, "Company Ltd"), (GOV, "Ministry")]


async def test_member_delete_refused_while_in_use(populated: RegistryService) -> None:
    service = populated
    error = await refused(ErrorCode.CONFLICT, service.delete_member(GOV, actor=ACTOR))
    assert "security servers" in error.message
    await service.delete_member(COM, actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.get_member(COM))


async def test_member_delete_removes_subsystems(service: RegistryService) -> None:
    await service.set_instance(INSTANCE, actor=ACTOR)
    await service.add_member_class("GOV", "Government", actor=ACTOR)
    await service.add_member(GOV, "Ministry", actor=ACTOR)
    await service.add_subsystem(GOV_SUB, actor=ACTOR)
    await service.delete_member(GOV, actor=ACTOR)
    assert await service.list_members() == []
    await service.add_member(GOV, "Ministry again", actor=ACTOR)
    assert (await service.get_member(GOV)).subsystems == ()


async def test_subsystems(populated: RegistryService) -> None:
    service = populated
    await refused(ErrorCode.CONFLICT, service.add_subsystem(GOV_SUB, actor=ACTOR))
    await refused(
        ErrorCode.NOT_FOUND,
        service.add_subsystem(ClientId(INSTANCE, "GOV", "0000", "X"), actor=ACTOR),
    )
    await refused(ErrorCode.INVALID, service.add_subsystem(GOV, actor=ACTOR))
    await refused(
        ErrorCode.INVALID,
        service.add_subsystem(ClientId(INSTANCE, "GOV", "0101", "T X"), actor=ACTOR),
    )
    error = await refused(ErrorCode.CONFLICT, service.delete_subsystem(GOV_SUB, actor=ACTOR))
    assert "server client" in error.message
    com_sub = ClientId(INSTANCE, "COM", "9999", "APP")
    await service.add_subsystem(com_sub, actor=ACTOR)
    await service.delete_subsystem(com_sub, actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.delete_subsystem(com_sub, actor=ACTOR))


# ------------------------------------------------------------------ security servers


async def test_security_servers_and_owners_group(populated: RegistryService) -> None:
    service = populated
    owners = await service.get_global_group(OWNERS_GROUP)
    assert owners.members == (GOV,)
    await refused(ErrorCode.CONFLICT, service.add_security_server(SS1, "x.vn", actor=ACTOR))
    ss2 = SecurityServerId(GOV, "SS2")
    await refused(ErrorCode.INVALID, service.add_security_server(ss2, "http://x", actor=ACTOR))
    unknown = SecurityServerId(ClientId(INSTANCE, "GOV", "0000"), "SS1")
    await refused(ErrorCode.NOT_FOUND, service.add_security_server(unknown, "x.vn", actor=ACTOR))
    await service.add_security_server(ss2, "10.0.0.2", actor=ACTOR)
    com_ss = SecurityServerId(COM, "SS1")
    await service.add_security_server(com_ss, "ss.company.vn", actor=ACTOR)
    assert (await service.get_global_group(OWNERS_GROUP)).members == (COM, GOV)

    await service.set_server_address(ss2, "ss2.example.vn", actor=ACTOR)
    await service.set_maintenance(ss2, True, "upgrade", actor=ACTOR)
    info = await service.get_security_server(ss2)
    assert (info.address, info.in_maintenance, info.maintenance_message) == (
        "ss2.example.vn",
        True,
        "upgrade",
    )
    await service.delete_security_server(ss2, actor=ACTOR)
    assert (await service.get_global_group(OWNERS_GROUP)).members == (COM, GOV)
    await service.delete_security_server(SS1, actor=ACTOR)
    assert (await service.get_global_group(OWNERS_GROUP)).members == (COM,)
    await refused(ErrorCode.NOT_FOUND, service.delete_security_server(SS1, actor=ACTOR))
    assert [s.server_id for s in await service.list_security_servers()] == [com_ss]


async def test_auth_certs(populated: RegistryService) -> None:
    service = populated
    info = await service.get_security_server(SS1)
    digest = auth_cert_hash(der("auth"))
    assert len(digest) == 32  # SHA-256, as in the reference's V5 configuration
    assert info.auth_cert_hashes == (digest,)
    other = SecurityServerId(COM, "SS9")
    await service.add_security_server(other, "ss9.vn", actor=ACTOR)
    # The same certificate (also given as PEM) cannot authenticate a second server.
    await refused(ErrorCode.CONFLICT, service.add_auth_cert(other, pem("auth"), actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_auth_cert(other, b"not a cert", actor=ACTOR))
    assert await service.add_auth_cert(other, pem("sign"), actor=ACTOR) == auth_cert_hash(
        der("sign")
    )
    await refused(ErrorCode.NOT_FOUND, service.delete_auth_cert(other, digest, actor=ACTOR))
    await service.delete_auth_cert(SS1, digest, actor=ACTOR)
    assert (await service.get_security_server(SS1)).auth_cert_hashes == ()


async def test_server_clients(populated: RegistryService) -> None:
    service = populated
    assert (await service.get_security_server(SS1)).clients == (GOV_SUB,)
    await refused(ErrorCode.CONFLICT, service.add_server_client(SS1, GOV_SUB, actor=ACTOR))
    ghost = ClientId(INSTANCE, "GOV", "0101", "GHOST")
    await refused(ErrorCode.NOT_FOUND, service.add_server_client(SS1, ghost, actor=ACTOR))
    await service.add_server_client(SS1, COM, actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.add_server_client(SS1, COM, actor=ACTOR))
    assert (await service.get_security_server(SS1)).clients == (COM, GOV_SUB)
    error = await refused(ErrorCode.CONFLICT, service.delete_member(COM, actor=ACTOR))
    assert "server client" in error.message
    await service.remove_server_client(SS1, COM, actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.remove_server_client(SS1, COM, actor=ACTOR))
    assert (await service.get_security_server(SS1)).clients == (GOV_SUB,)


# ------------------------------------------------------------------ global groups


async def test_global_groups(populated: RegistryService) -> None:
    service = populated
    await service.add_global_group("tax-offices", "Tax offices", actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.add_global_group("tax-offices", "x", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_global_group("tax offices", "x", actor=ACTOR))
    await service.add_group_member("tax-offices", GOV_SUB, actor=ACTOR)
    await service.add_group_member("tax-offices", COM, actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.add_group_member("tax-offices", COM, actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, service.add_group_member("nope", COM, actor=ACTOR))
    ghost = ClientId(INSTANCE, "COM", "0")
    await refused(ErrorCode.NOT_FOUND, service.add_group_member("tax-offices", ghost, actor=ACTOR))
    assert (await service.get_global_group("tax-offices")).members == (COM, GOV_SUB)
    error = await refused(ErrorCode.CONFLICT, service.delete_member(COM, actor=ACTOR))
    assert "global group" in error.message
    await service.remove_group_member("tax-offices", COM, actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.remove_group_member("tax-offices", COM, actor=ACTOR))
    for call in (
        service.add_group_member(OWNERS_GROUP, COM, actor=ACTOR),
        service.remove_group_member(OWNERS_GROUP, GOV, actor=ACTOR),
        service.delete_global_group(OWNERS_GROUP, actor=ACTOR),
    ):
        await refused(ErrorCode.CONFLICT, call)
    await service.delete_global_group("tax-offices", actor=ACTOR)
    assert [g.code for g in await service.list_global_groups()] == [OWNERS_GROUP]


# ------------------------------------------------------------------ trust services and parameters


async def test_approved_cas(populated: RegistryService) -> None:
    service = populated
    [ca] = await service.list_cas()
    assert ca == rs.sample_ca()
    await refused(ErrorCode.CONFLICT, service.add_ca(rs.sample_ca(), actor=ACTOR))
    from_pem = CaSpec("PEM CA", pem("other_root"), "vdx.profiles.basic", authentication_only=True)
    await service.add_ca(from_pem, actor=ACTOR)
    by_name = {c.name: c for c in await service.list_cas()}
    assert by_name["PEM CA"].top_ca_der == der("other_root")
    assert by_name["PEM CA"].authentication_only is True
    bad = (
        CaSpec("Bad", b"junk", "p"),
        CaSpec("Bad", der("root"), "p", csr_format="JSON"),
        CaSpec("Bad", der("root"), "p", ocsp=(OcspResponderSpec("ftp://x"),)),
        CaSpec("", der("root"), "p"),
    )
    for spec in bad:
        await refused(ErrorCode.INVALID, service.add_ca(spec, actor=ACTOR))
    await service.delete_ca("VDX Test CA", actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.delete_ca("VDX Test CA", actor=ACTOR))
    assert [c.name for c in await service.list_cas()] == ["PEM CA"]
    async with service._engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.ocsp_responders)) == 0
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.ca_intermediates)) == 0


async def test_approved_tsas(populated: RegistryService) -> None:
    service = populated
    await refused(
        ErrorCode.CONFLICT, service.add_tsa("VDX TSA", "http://t/", der("tsa"), actor=ACTOR)
    )
    await refused(ErrorCode.INVALID, service.add_tsa("Other", "not a url", der("tsa"), actor=ACTOR))
    await service.add_tsa("A first", "https://tsa2.test/", pem("tsa"), priority=-1, actor=ACTOR)
    assert [x.name for x in await service.list_tsas()] == ["A first", "VDX TSA"]
    await service.delete_tsa("VDX TSA", actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.delete_tsa("VDX TSA", actor=ACTOR))


async def test_system_parameters(service: RegistryService) -> None:
    assert await service.get_system_parameters() == {
        "confExpireIntervalSeconds": 600,
        "ocspFreshnessSeconds": 3600,
        "timeStampingIntervalSeconds": 60,
    }
    await service.set_system_parameter("ocspFreshnessSeconds", 1800, actor=ACTOR)
    await service.set_system_parameter("ocspFreshnessSeconds", 1200, actor=ACTOR)
    assert (await service.get_system_parameters())["ocspFreshnessSeconds"] == 1200
    await refused(ErrorCode.INVALID, service.set_system_parameter("nope", 1, actor=ACTOR))
    await refused(
        ErrorCode.INVALID, service.set_system_parameter("ocspFreshnessSeconds", 0, actor=ACTOR)
    )


# ------------------------------------------------------------------ audit log and atomicity


async def test_audit_log_records_each_change(service: RegistryService) -> None:
    await service.set_instance(INSTANCE, actor="root")
    await service.add_member_class("GOV", "Government", actor="bob")
    await refused(ErrorCode.CONFLICT, service.add_member_class("GOV", "x", actor="bob"))
    await service.add_member(GOV, "Ministry", actor="carol")
    entries = await service.audit_log()
    assert [(e.actor, e.action, e.target, e.details) for e in entries] == [
        ("carol", "add_member", "VN:GOV:0101", {"name": "Ministry"}),
        ("bob", "add_member_class", "GOV", {"description": "Government"}),
        ("root", "set_instance", "VN", {}),
    ]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert all(e.at.tzinfo is not None and e.at.year == 2026 for e in entries)
    page = await service.audit_log(limit=1, offset=1)
    assert [e.action for e in page] == ["add_member_class"]
    await refused(ErrorCode.INVALID, service.audit_log(limit=0))


async def test_failing_multi_row_operation_leaves_nothing(
    populated: RegistryService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from central_server.registry import _trust  # noqa: PLC0415

    real = _trust._insert_ocsp
    calls = 0

    async def fail_on_second(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:  # after the CA row, its top OCSP row and its intermediate row
            raise RuntimeError("disk full")
        await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_trust, "_insert_ocsp", fail_on_second)
    before = await populated.audit_log(limit=10_000)
    with pytest.raises(RuntimeError, match="disk full"):
        await populated.add_ca(rs.sample_ca("Second CA"), actor=ACTOR)
    assert [c.name for c in await populated.list_cas()] == ["VDX Test CA"]
    assert await populated.audit_log(limit=10_000) == before
    async with populated._engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.ca_intermediates)) == 1


async def test_refusals_write_no_audit_rows(populated: RegistryService) -> None:
    before = await audit_count(populated)
    await refused(ErrorCode.CONFLICT, populated.delete_member(GOV, actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, populated.delete_tsa("nope", actor=ACTOR))
    await refused(ErrorCode.INVALID, populated.add_tsa("x", "y", b"z", actor=ACTOR))
    assert await audit_count(populated) == before


async def test_concurrent_writers_conflict_cleanly(populated: RegistryService) -> None:
    """Racing adds of one member: exactly one wins, the rest are refused as conflicts."""
    new = ClientId(INSTANCE, "COM", "race")
    results = await asyncio.gather(
        *(populated.add_member(new, f"Racer {n}", actor=ACTOR) for n in range(5)),
        return_exceptions=True,
    )
    assert results.count(None) == 1
    errors = [r for r in results if r is not None]
    assert all(isinstance(e, RegistryError) and e.code == ErrorCode.CONFLICT for e in errors)
    racers = await asyncio.gather(
        *(populated.add_server_client(SS1, COM, actor=ACTOR) for _ in range(4)),
        return_exceptions=True,
    )
    assert racers.count(None) == 1
    assert (await populated.get_security_server(SS1)).clients == (COM, GOV_SUB)


async def test_on_change_runs_after_each_commit_only(db_url: str) -> None:
    changes: list[int] = []
    engine = await open_engine(db_url)
    try:
        service = RegistryService(engine, rs.StepClock(), on_change=lambda: changes.append(1))
        await service.set_instance(INSTANCE, actor=ACTOR)
        await refused(ErrorCode.CONFLICT, service.set_instance(INSTANCE, actor=ACTOR))
        await service.add_member_class("GOV", "Government", actor=ACTOR)
        await service.list_member_classes()
        assert len(changes) == 2
    finally:
        await engine.dispose()
