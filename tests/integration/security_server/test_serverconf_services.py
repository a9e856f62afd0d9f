"""ServerConfService on SQLite and PostgreSQL: service descriptions (WSDL, OpenAPI 3, REST),
refresh, enable/disable, service settings, endpoints, access rights, and the proxies' snapshot
answered by the pure decisions. Each test runs once per backend."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from security_server.serverconf import (
    BASE_ENDPOINT,
    DEFAULT_TIMEOUT,
    DescriptionKind,
    Endpoint,
    ErrorCode,
    ServerConfService,
    allowed_endpoints,
    is_access_allowed,
)
from security_server.storage import tables as t
from tests import databases
from tests.integration.security_server import test_serverconf_support as ss
from tests.integration.security_server.test_serverconf_support import (
    ACTOR,
    APP,
    OPENAPI,
    OPENAPI_URL,
    OTHER,
    TAX,
    WSDL_URL,
    audit_count,
    refused,
    wsdl,
)
from vdx.identifiers import ClientId, GlobalGroupId, LocalGroupId, ServiceId

pytestmark = pytest.mark.vectors
pg_database = databases.postgres_module_fixture()
db_url = ss.db_url_fixture()

RANDOM = ServiceId(TAX, "xroadGetRandom", "v1")
BMI = ServiceId(TAX, "bodyMassIndex", "v1")
PETS = ServiceId(TAX, "pets")
GROUP = GlobalGroupId("VN", "partners")


def _nobody(client: ClientId, group: GlobalGroupId) -> bool:
    del client, group
    return False


@pytest.fixture
async def service(db_url: str) -> AsyncIterator[ServerConfService]:
    async for opened in ss.open_service(db_url):
        await ss.populate(opened)
        yield opened


async def test_wsdl_description(service: ServerConfService) -> None:
    await refused(ErrorCode.INVALID, service.add_wsdl(TAX, WSDL_URL, b"<x/>", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_wsdl(TAX, "ftp://x/y", wsdl(), actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, service.add_wsdl(OTHER, WSDL_URL, wsdl(), actor=ACTOR))
    description = await service.add_wsdl(TAX, WSDL_URL, wsdl(), actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.add_wsdl(TAX, WSDL_URL, wsdl(), actor=ACTOR))
    (info,) = await service.list_descriptions(TAX)
    assert (info.id, info.kind, info.url, info.disabled) == (
        description,
        DescriptionKind.WSDL,
        WSDL_URL,
        True,
    )
    assert [s.service_id for s in info.services] == [RANDOM, BMI]
    random = await service.get_service(RANDOM)
    assert random.url == "http://xroad-lxd-web.lxd:8088/xroadGetRandom"
    assert (random.timeout, random.tls_verify, random.endpoints) == (
        DEFAULT_TIMEOUT,
        True,
        (BASE_ENDPOINT,),
    )
    assert await service.description_content(description) == wsdl()
    await refused(ErrorCode.NOT_FOUND, service.get_service(ServiceId(TAX, "xroadGetRandom")))


async def test_conflicting_wsdl_writes_nothing(service: ServerConfService) -> None:
    await service.add_wsdl(TAX, WSDL_URL, wsdl(), actor=ACTOR)
    before = await audit_count(service)
    # valid-getrandom.wsdl defines xroadGetRandom v1 again: the whole WSDL is refused.
    other_url = "http://is.example.vn/other.wsdl"
    error = await refused(
        ErrorCode.CONFLICT,
        service.add_wsdl(TAX, other_url, wsdl("valid-getrandom.wsdl"), actor=ACTOR),
    )
    assert "xroadGetRandom.v1" in error.message
    assert len(await service.list_descriptions(TAX)) == 1
    assert await audit_count(service) == before
    # Another client may have the same services.
    await service.add_wsdl(APP, other_url, wsdl("valid-getrandom.wsdl"), actor=ACTOR)


async def test_refresh_wsdl_keeps_settings_and_drops_what_is_gone(
    service: ServerConfService,
) -> None:
    description = await service.add_wsdl(TAX, WSDL_URL, wsdl(), actor=ACTOR)
    await service.set_service_timeout(RANDOM, 5, actor=ACTOR)
    await service.grant_access(BMI, APP, actor=ACTOR)
    renamed = wsdl().replace(b"bodyMassIndex", b"bodyMassIndex2")
    diff = await service.refresh_description(description, renamed, actor=ACTOR)
    assert diff.added == ("bodyMassIndex2.v1",)
    assert diff.removed == ("bodyMassIndex.v1",)
    assert (await service.get_service(RANDOM)).timeout == 5
    await refused(ErrorCode.NOT_FOUND, service.list_access_rights(BMI))
    assert await service.description_content(description) == renamed
    await refused(
        ErrorCode.INVALID, service.refresh_description(description, b"<broken", actor=ACTOR)
    )
    await refused(ErrorCode.NOT_FOUND, service.refresh_description(999, renamed, actor=ACTOR))
    unchanged = await service.refresh_description(description, renamed, actor=ACTOR)
    assert (unchanged.added, unchanged.removed) == ((), ())


async def test_openapi_and_rest_descriptions(service: ServerConfService) -> None:
    description = await service.add_openapi(TAX, OPENAPI_URL, OPENAPI, "pets", actor=ACTOR)
    pets = await service.get_service(PETS)
    assert pets.url == "http://pets.example.vn/api"
    assert [(e.method, e.path) for e in pets.endpoints] == [
        ("*", "**"),
        ("GET", "/pets"),
        ("POST", "/pets"),
        ("GET", "/pets/*"),
    ]
    await refused(
        ErrorCode.CONFLICT,
        service.add_openapi(TAX, OPENAPI_URL + "?2", OPENAPI, "pets", actor=ACTOR),
    )
    await refused(
        ErrorCode.CONFLICT, service.add_rest(TAX, "http://rest.example.vn/", "pets", actor=ACTOR)
    )
    await refused(
        ErrorCode.INVALID, service.add_rest(TAX, "http://rest.example.vn/", "pe ts", actor=ACTOR)
    )
    no_server = json.dumps({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}).encode()
    await refused(
        ErrorCode.INVALID, service.add_openapi(TAX, "http://x.vn/o", no_server, "a", actor=ACTOR)
    )
    await service.add_openapi(
        TAX, "http://x.vn/o", no_server, "a", actor=ACTOR, service_url="https://a.example.vn"
    )
    rest = await service.add_rest(TAX, "http://rest.example.vn/", "plain", actor=ACTOR)
    await refused(ErrorCode.INVALID, service.refresh_description(rest, b"", actor=ACTOR))

    changed = json.loads(OPENAPI)
    del changed["paths"]["/pets"]["post"]
    changed["paths"]["/owners"] = {"get": {}}
    await service.add_endpoint(PETS, "delete", "/pets/*", actor=ACTOR)
    diff = await service.refresh_description(description, json.dumps(changed).encode(), actor=ACTOR)
    assert (diff.added, diff.removed) == (("GET /owners",), ("POST /pets",))
    paths = [(e.method, e.path, e.generated) for e in (await service.get_service(PETS)).endpoints]
    assert ("DELETE", "/pets/*", False) in paths  # a hand-made endpoint survives a refresh
    assert ("POST", "/pets", True) not in paths


async def test_service_settings_and_endpoints(service: ServerConfService) -> None:
    await service.add_wsdl(TAX, WSDL_URL, wsdl(), actor=ACTOR)
    await service.add_rest(TAX, "http://rest.example.vn/", "pets", actor=ACTOR)
    await service.set_service_url(RANDOM, "https://random.example.vn/x", actor=ACTOR)
    await service.set_service_timeout(RANDOM, 120, actor=ACTOR)
    await service.set_service_tls_verify(RANDOM, False, actor=ACTOR)
    found = await service.get_service(RANDOM)
    assert (found.url, found.timeout, found.tls_verify) == (
        "https://random.example.vn/x",
        120,
        False,
    )
    await refused(ErrorCode.INVALID, service.set_service_url(RANDOM, "random", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.set_service_timeout(RANDOM, 0, actor=ACTOR))
    missing = ServiceId(TAX, "missing", "v1")
    await refused(ErrorCode.NOT_FOUND, service.set_service_timeout(missing, 10, actor=ACTOR))

    await service.add_endpoint(PETS, "get", "/pets/**", actor=ACTOR)
    await refused(ErrorCode.CONFLICT, service.add_endpoint(PETS, "GET", "/pets/**", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_endpoint(PETS, "FETCH", "/x", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_endpoint(PETS, "GET", "x", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_endpoint(PETS, "GET", "/a/../b", actor=ACTOR))
    await refused(ErrorCode.INVALID, service.add_endpoint(RANDOM, "GET", "/x", actor=ACTOR))
    await refused(ErrorCode.CONFLICT, service.delete_endpoint(PETS, "*", "**", actor=ACTOR))
    await service.delete_endpoint(PETS, "GET", "/pets/**", actor=ACTOR)
    await refused(
        ErrorCode.NOT_FOUND, service.delete_endpoint(PETS, "GET", "/pets/**", actor=ACTOR)
    )


async def test_access_rights_and_the_snapshot(service: ServerConfService) -> None:
    description = await service.add_wsdl(TAX, WSDL_URL, wsdl(), actor=ACTOR)
    await service.add_openapi(TAX, OPENAPI_URL, OPENAPI, "pets", actor=ACTOR)
    await service.add_local_group(TAX, "friends", "Friends", actor=ACTOR)
    await service.add_local_group_member(TAX, "friends", OTHER, actor=ACTOR)

    await service.grant_access(RANDOM, APP, actor=ACTOR)
    await service.grant_access(BMI, GROUP, actor=ACTOR)
    await service.grant_access(BMI, LocalGroupId("friends"), actor=ACTOR)
    pet = Endpoint("GET", "/pets/*")
    await service.grant_access(PETS, APP, actor=ACTOR, endpoint=pet)
    await refused(ErrorCode.CONFLICT, service.grant_access(RANDOM, APP, actor=ACTOR))
    await refused(
        ErrorCode.NOT_FOUND, service.grant_access(RANDOM, LocalGroupId("nobody"), actor=ACTOR)
    )
    await refused(
        ErrorCode.NOT_FOUND,
        service.grant_access(PETS, APP, actor=ACTOR, endpoint=Endpoint("PUT", "/x")),
    )
    await refused(
        ErrorCode.NOT_FOUND, service.grant_access(ServiceId(TAX, "x", "v1"), APP, actor=ACTOR)
    )
    rights = await service.list_access_rights(BMI)
    assert [r.subject for r in rights] == [GROUP, LocalGroupId("friends")]
    assert all(r.endpoint.is_base for r in rights)

    snapshot = await service.snapshot()
    assert snapshot.service(RANDOM) is not None
    assert snapshot.rights_of(RANDOM, APP) == (BASE_ENDPOINT,)

    def in_group(client: ClientId, group: GlobalGroupId) -> bool:
        return client == APP and group == GROUP

    assert is_access_allowed(snapshot, APP, RANDOM, _nobody)
    assert not is_access_allowed(snapshot, OTHER, RANDOM, _nobody)
    assert is_access_allowed(snapshot, APP, BMI, in_group)
    assert not is_access_allowed(snapshot, APP, BMI, _nobody)
    assert is_access_allowed(snapshot, OTHER, BMI, _nobody)  # the local group
    assert is_access_allowed(snapshot, APP, PETS, _nobody, method="GET", path="/pets/1")
    assert not is_access_allowed(snapshot, APP, PETS, _nobody, method="POST", path="/pets")
    assert allowed_endpoints(snapshot, APP, PETS, _nobody) == (Endpoint("GET", "/pets/*", True),)

    entry = snapshot.service(RANDOM)
    assert entry is not None
    assert not entry.enabled
    assert entry.disabled_notice == f"Service '{RANDOM}' is disabled"
    await service.enable_description(description, actor=ACTOR)
    await service.disable_description(description, "Maintenance until noon", actor=ACTOR)
    await refused(ErrorCode.INVALID, service.disable_description(description, "", actor=ACTOR))
    await refused(ErrorCode.NOT_FOUND, service.enable_description(999, actor=ACTOR))
    entry = (await service.snapshot()).service(BMI)
    assert entry is not None
    assert entry.disabled_notice == "Maintenance until noon"
    await service.enable_description(description, actor=ACTOR)
    entry = (await service.snapshot()).service(BMI)
    assert entry is not None
    assert entry.enabled

    await service.revoke_access(RANDOM, APP, actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.revoke_access(RANDOM, APP, actor=ACTOR))
    await service.revoke_access(PETS, APP, actor=ACTOR, endpoint=pet)
    # Deleting the local group takes its rights along; deleting the description its services.
    await service.delete_local_group(TAX, "friends", actor=ACTOR)
    assert [r.subject for r in await service.list_access_rights(BMI)] == [GROUP]
    await service.delete_description(description, actor=ACTOR)
    await refused(ErrorCode.NOT_FOUND, service.delete_description(description, actor=ACTOR))
    snapshot = await service.snapshot()
    assert snapshot.service(RANDOM) is None
    assert not is_access_allowed(snapshot, APP, BMI, in_group)
    assert snapshot.services_of(TAX) == (PETS,)


async def test_deleting_a_client_takes_its_configuration_along(service: ServerConfService) -> None:
    await service.add_wsdl(TAX, WSDL_URL, wsdl(), actor=ACTOR)
    await service.grant_access(RANDOM, APP, actor=ACTOR)
    await service.add_local_group(TAX, "g", "d", actor=ACTOR)
    await service.delete_client(TAX, actor=ACTOR)
    # The cascade itself is what is checked here, so look at the tables directly.
    async with service._engine.connect() as conn:
        for table in (t.services, t.endpoints, t.access_rights, t.local_groups):
            assert await conn.scalar(sa.select(sa.func.count()).select_from(table)) == 0
