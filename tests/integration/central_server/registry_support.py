"""Fixtures and data for the registry tests, shared by the modules that run on both databases."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.ext.asyncio import AsyncEngine

from central_server.registry import CaSpec, IntermediateCaSpec, OcspResponderSpec, RegistryService
from central_server.storage import create_engine, migrate
from tests import databases
from tests.unit.crypto import pki
from vdx.identifiers import ClientId, SecurityServerId

INSTANCE = "VN"
ACTOR = "alice"
T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
GOV = ClientId(INSTANCE, "GOV", "0101")
GOV_SUB = ClientId(INSTANCE, "GOV", "0101", "TAX")
COM = ClientId(INSTANCE, "COM", "9999")
SS1 = SecurityServerId(GOV, "SS1")


class StepClock:
    """A clock that moves one second per reading, so audit rows have distinct times."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@functools.cache
def der(which: str) -> bytes:
    return getattr(pki.pki(), which).public_bytes(Encoding.DER)  # type: ignore[no-any-return]


def pem(which: str) -> bytes:
    return getattr(pki.pki(), which).public_bytes(Encoding.PEM)  # type: ignore[no-any-return]


def sample_ca(name: str = "VDX Test CA") -> CaSpec:
    return CaSpec(
        name=name,
        top_ca_der=der("root"),
        certificate_profile_info="vdx.profiles.basic",
        authentication_only=False,
        ocsp=(OcspResponderSpec("http://ocsp.test.invalid/root"),),
        intermediates=(
            IntermediateCaSpec(
                der("intermediate"),
                (OcspResponderSpec("http://ocsp.test.invalid/", der("responder")),),
            ),
        ),
        csr_format="DER",
    )


async def open_service(url: str) -> AsyncIterator[RegistryService]:
    await migrate(url)
    engine: AsyncEngine = create_engine(url)
    try:
        yield RegistryService(engine, StepClock())
    finally:
        await engine.dispose()


async def populate(service: RegistryService) -> None:
    """An instance with two classes, members, a subsystem, a server, a CA and a TSA."""
    await service.set_instance(INSTANCE, actor=ACTOR)
    await service.add_member_class("GOV", "Government", actor=ACTOR)
    await service.add_member_class("COM", "Commercial", actor=ACTOR)
    await service.add_member(GOV, "Ministry", actor=ACTOR)
    await service.add_member(COM, "Company", actor=ACTOR)
    await service.add_subsystem(GOV_SUB, "Tax office", actor=ACTOR)
    await service.add_security_server(SS1, "ss1.example.vn", actor=ACTOR)
    await service.add_auth_cert(SS1, der("auth"), actor=ACTOR)
    await service.add_server_client(SS1, GOV_SUB, actor=ACTOR)
    await service.add_ca(sample_ca(), actor=ACTOR)
    await service.add_tsa("VDX TSA", "http://tsa.test.invalid/", der("tsa"), actor=ACTOR)


def db_url_fixture() -> object:
    @pytest.fixture(params=databases.BACKENDS)
    def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
        return databases.fresh_url(request, tmp_path)  # type: ignore[arg-type]

    return db_url
