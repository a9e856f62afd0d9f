"""Fixtures and data shared by the server-configuration tests on SQLite and PostgreSQL.

Named test_serverconf_* to stay inside the serverconf test files; it holds no tests itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from security_server.serverconf import ErrorCode, ServerConfError, ServerConfService
from security_server.storage import create_engine, migrate
from tests import databases, vectors
from tests.unit.crypto import pki
from vdx.identifiers import ClientId, SecurityServerId

INSTANCE = "VN"
ACTOR = "alice"
T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
OWNER = ClientId(INSTANCE, "GOV", "0101")
SERVER = SecurityServerId(OWNER, "SS1")
TAX = ClientId(INSTANCE, "GOV", "0101", "TAX")
APP = ClientId(INSTANCE, "COM", "9999", "APP")
OTHER = ClientId(INSTANCE, "COM", "8888", "APP")
WSDL_URL = "http://is.example.vn/testservice.wsdl"
OPENAPI_URL = "http://is.example.vn/openapi.json"
OPENAPI = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "servers": [{"url": "http://pets.example.vn/api"}],
        "paths": {"/pets": {"get": {}, "post": {}}, "/pets/{id}": {"get": {}}},
    }
).encode()


class StepClock:
    """A clock that moves one second per reading, so audit rows have distinct times."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def wsdl(name: str = "testservice.wsdl") -> bytes:
    return (vectors.require_dir() / "services" / name).read_bytes()


def cert(which: str = "auth", encoding: Encoding = Encoding.DER) -> bytes:
    return getattr(pki.pki(), which).public_bytes(encoding)  # type: ignore[no-any-return]


async def open_service(url: str) -> AsyncIterator[ServerConfService]:
    await migrate(url)
    engine = create_engine(url)
    try:
        yield ServerConfService(engine, StepClock())
    finally:
        await engine.dispose()


async def populate(service: ServerConfService) -> None:
    """Identity, a provider subsystem TAX and a client subsystem APP."""
    await service.set_identity(SERVER, actor=ACTOR)
    await service.add_client(TAX, actor=ACTOR)
    await service.add_client(APP, actor=ACTOR)


async def refused(code: ErrorCode, call: Awaitable[object]) -> ServerConfError:
    with pytest.raises(ServerConfError) as caught:
        await call
    assert caught.value.code == code, caught.value.message
    return caught.value


async def audit_count(service: ServerConfService) -> int:
    return len(await service.audit_log(limit=10_000))


def db_url_fixture() -> object:
    @pytest.fixture(params=databases.BACKENDS)
    def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
        return databases.fresh_url(request, tmp_path)  # type: ignore[arg-type]

    return db_url
