"""Configuration signing keys on a soft token with their states in the database (SQLite and
PostgreSQL): first keys made active, rotation announced through the shared parameters before
the new key signs, activation taking effect at the next generation, and the admin API routes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from central_server.admin_api import ApiKeyStore, Role, setup_admin_api
from central_server.conf_keys import ConfSigningKeys, KeyState, SigningKeyError
from central_server.confgen import GeneratedConfiguration
from central_server.distribution import ConfigurationPublisher, ConfigurationStore
from central_server.registry import RegistryService
from central_server.storage import create_engine, migrate
from tests import databases
from tests.integration.central_server import registry_support as rs
from tests.unit.central_server.test_confgen_support import private_parameters
from vdx.globalconf import parse_directory
from vdx.globalconf.shared_params import parse_shared_params
from vdx.tokens import KeyAlgorithm, Token, create_soft_token

pg_database = databases.postgres_module_fixture()
db_url = rs.db_url_fixture()
ACTOR = "officer"
SOURCE = "cs.vdx.test"
PIN = "1234"
TOKEN = "conf-signing"  # noqa: S105 - a token name


@dataclasses.dataclass
class Env:
    keys: ConfSigningKeys
    publisher: ConfigurationPublisher
    registry: RegistryService
    token: Token


def _token(folder: Path) -> Token:
    folder.mkdir()
    token = create_soft_token(folder, "conf-signing", PIN, scrypt_n=2**14)
    token.login(PIN)
    return token


@pytest.fixture
async def env(db_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        registry = RegistryService(engine, rs.StepClock())
        await registry.set_instance("VDX", actor=ACTOR)
        token = _token(tmp_path / "tokens")
        keys = ConfSigningKeys(engine, token, "VDX", algorithm=KeyAlgorithm.RSA2048, pin=PIN)
        publisher = ConfigurationPublisher(
            store=ConfigurationStore(),
            snapshot_provider=registry.snapshot,
            private=dataclasses.replace(private_parameters(), instance="VDX"),
            key_provider=keys.signing_keys,
            source_address=SOURCE,
        )
        yield Env(keys, publisher, registry, token)
    finally:
        await engine.dispose()


def _verification(generation: GeneratedConfiguration) -> tuple[tuple[bytes, ...], ...]:
    shared_file = next(f for f in generation.files if f.location.endswith("shared-params.xml"))
    source = next(s for s in parse_shared_params(shared_file.data).sources if s.address == SOURCE)
    return source.internal_verification_certs, source.external_verification_certs


def _signed_by(generation: GeneratedConfiguration, cert_der: bytes, *, internal: bool) -> bool:
    produced = generation.directory(internal=internal)
    assert produced is not None
    directory = parse_directory(produced.body, produced.content_type)
    key = x509.load_der_x509_certificate(cert_der).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(directory.signature, directory.signed_data, padding.PKCS1v15(), hashes.SHA512())
    except Exception:  # noqa: BLE001 - any failure means "not signed by this key"
        return False
    return True


async def _generate(env: Env) -> GeneratedConfiguration:
    generation = await env.publisher.regenerate()
    assert generation is not None
    return generation


async def test_first_keys_then_announced_rotation(env: Env) -> None:
    made = await env.keys.ensure_active(actor=ACTOR)
    assert sorted(k.source for k in made) == ["external", "internal"]
    assert all(k.state is KeyState.ACTIVE and k.token_id == TOKEN for k in made)
    assert await env.keys.ensure_active(actor=ACTOR) == []  # second start: nothing new
    first = {k.source: k for k in made}

    generation = await _generate(env)
    assert _verification(generation) == (
        (first["internal"].cert_der,),
        (first["external"].cert_der,),
    )
    assert _signed_by(generation, first["internal"].cert_der, internal=True)
    assert _signed_by(generation, first["external"].cert_der, internal=False)

    # Announced: listed for verification after the active key, not signing yet.
    new = await env.keys.generate("internal", actor=ACTOR)
    assert new.state is KeyState.ANNOUNCED
    generation = await _generate(env)
    internal, _ = _verification(generation)
    assert internal == (first["internal"].cert_der, new.cert_der)
    assert _signed_by(generation, first["internal"].cert_der, internal=True)

    # Activated: signs from the next generation; the old key is retired and no longer listed.
    assert (await env.keys.activate(new.key_id, actor=ACTOR)).state is KeyState.ACTIVE
    assert (await env.keys.get(first["internal"].key_id)).state is KeyState.RETIRED
    generation = await _generate(env)
    assert _verification(generation)[0] == (new.cert_der,)
    assert _signed_by(generation, new.cert_der, internal=True)
    assert _signed_by(generation, first["external"].cert_der, internal=False)
    log = [e.action for e in await env.registry.audit_log()]
    assert "generate_conf_signing_key" in log
    assert "activate_conf_signing_key" in log


async def test_state_rules(env: Env) -> None:
    made = {k.source: k for k in await env.keys.ensure_active(actor=ACTOR)}
    active = made["internal"].key_id
    with pytest.raises(SigningKeyError) as error:
        await env.keys.retire(active, actor=ACTOR)
    assert error.value.code == "conflict"
    with pytest.raises(SigningKeyError) as error:
        await env.keys.activate(active, actor=ACTOR)
    assert error.value.code == "conflict"
    with pytest.raises(SigningKeyError) as error:
        await env.keys.activate("nope", actor=ACTOR)
    assert error.value.code == "not_found"
    with pytest.raises(SigningKeyError) as error:
        await env.keys.generate("sideways", actor=ACTOR)
    assert error.value.code == "invalid"

    announced = await env.keys.generate("external", actor=ACTOR)
    retired = await env.keys.retire(announced.key_id, actor=ACTOR)
    assert retired.state is KeyState.RETIRED
    with pytest.raises(SigningKeyError):
        await env.keys.activate(announced.key_id, actor=ACTOR)
    _, external = _verification(await _generate(env))
    assert external == (made["external"].cert_der,)


async def test_key_made_by_another_process_is_loaded(env: Env, tmp_path: Path) -> None:
    """``vdx cs key generate`` writes the keystore while the server holds it in memory."""
    await env.keys.ensure_active(actor=ACTOR)
    other = ConfSigningKeys(
        env.keys._engine,
        _reopen(tmp_path / "tokens"),
        "VDX",
        algorithm=KeyAlgorithm.RSA2048,
        pin=PIN,
    )
    new = await other.generate("internal", actor=ACTOR)
    await other.activate(new.key_id, actor=ACTOR)
    assert _signed_by(await _generate(env), new.cert_der, internal=True)


def _reopen(folder: Path) -> Token:
    from vdx.tokens import open_soft_token  # noqa: PLC0415 - only this test reopens

    token = open_soft_token(folder, "conf-signing")
    token.login(PIN)
    return token


Client = TestClient[web.Request, web.Application]


async def test_admin_api_routes(env: Env, aiohttp_client: object) -> None:
    await env.keys.ensure_active(actor=ACTOR)
    api_keys = ApiKeyStore(env.keys._engine)
    _, officer = await api_keys.create("sec", [Role.SECURITY_OFFICER], actor=ACTOR)
    _, registrar = await api_keys.create("reg", [Role.REGISTRATION_OFFICER], actor=ACTOR)
    app = web.Application()
    setup_admin_api(app, registry=env.registry, api_keys=api_keys, signing_keys=env.keys)
    client: Client = await aiohttp_client(app)  # type: ignore[operator]

    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"X-Road-ApiKey token={key}"}

    base = "/api/v1/configuration/signing-keys"
    listed = await (await client.get(base, headers=auth(registrar))).json()
    assert sorted((k["source"], k["state"]) for k in listed) == [
        ("external", "active"),
        ("internal", "active"),
    ]
    refused = await client.post(base, json={"source": "internal"}, headers=auth(registrar))
    assert refused.status == 403
    made = await client.post(base, json={"source": "internal"}, headers=auth(officer))
    assert made.status == 201
    key = await made.json()
    assert key["state"] == "announced"
    bad = await client.post(base, json={"source": "x"}, headers=auth(officer))
    assert bad.status == 400
    activated = await client.post(f"{base}/{key['key_id']}/activate", headers=auth(officer))
    assert (await activated.json())["state"] == "active"
    again = await client.post(f"{base}/{key['key_id']}/retire", headers=auth(officer))
    assert again.status == 409
    missing = await client.post(f"{base}/nope/activate", headers=auth(officer))
    assert missing.status == 404
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/configuration/signing-keys/{key_id}/activate" in spec["paths"]


async def test_two_nodes_starting_at_once_make_one_active_key_per_source(
    env: Env, tmp_path: Path
) -> None:
    other = ConfSigningKeys(
        env.keys._engine,
        _token(tmp_path / "other-tokens"),
        "VDX",
        algorithm=KeyAlgorithm.RSA2048,
        pin=PIN,
    )
    await asyncio.gather(env.keys.ensure_active(actor=ACTOR), other.ensure_active(actor=ACTOR))
    keys = await env.keys.list_keys()
    for source in ("internal", "external"):
        states = sorted(k.state for k in keys if k.source == source)
        assert states.count(KeyState.ACTIVE) == 1
