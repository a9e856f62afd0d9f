"""The few steps that come before any server listens, done as the CLI does them.

- ``vdx testca init --dir ca --intermediate``: the development PKI (root, issuing CA, OCSP
  responder and TSA certificates);
- ``vdx cs init``: the registry database, the instance identifier and the first admin API key;
- ``vdx ss api-key create``: each security server's first admin API key, on its database.

Everything after these goes over the servers' admin REST APIs (:mod:`._sandbox_onboard`).
"""

from __future__ import annotations

import getpass

from central_server.admin_api import ApiKeyStore as CsKeys
from central_server.registry import RegistryService
from central_server.settings import load_settings as load_cs_settings
from central_server.storage import open_engine as open_cs_engine
from security_server.admin_api.keys import ApiKeyStore as SsKeys
from security_server.admin_api.keys import Role as SsRole
from security_server.settings import load_settings as load_ss_settings
from security_server.storage import open_engine as open_ss_engine
from trust_services.store import CaDirectory
from vdx.cli._sandbox_topology import INSTANCE, PARTIES, Layout, State
from vdx.clock import utc_now

CS_ROLES = ("registration-officer", "security-officer", "system-administrator")
# The sandbox's operator holds every role but the observer's; a real deployment gives each
# person the roles of their job (security server user guide §2.1).
SS_ROLES = tuple(r.value for r in SsRole if r is not SsRole.OBSERVER)
KEY_NAME = "sandbox-admin"


def actor() -> str:
    try:
        return f"sandbox:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "sandbox"


def init_test_ca(layout: Layout) -> None:
    CaDirectory(layout.ca_dir).init(utc_now(), intermediate=True, key_kind="rsa2048")


async def init_central_server(layout: Layout, state: State) -> None:
    """Migrate the database, set the instance, create the first key (as ``vdx cs init``)."""
    settings = load_cs_settings(layout.cs_config)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = await open_cs_engine(settings.db_url)
    try:
        registry = RegistryService(engine)
        if await registry.get_instance() is None:
            await registry.set_instance(INSTANCE, actor=actor())
        _, key = await CsKeys(engine).create(KEY_NAME, CS_ROLES, actor=actor())
    finally:
        await engine.dispose()
    state.api_keys["central_server"] = key


async def init_security_servers(layout: Layout, state: State) -> None:
    """Each security server's first API key on its own database (``vdx ss api-key create``)."""
    for party in PARTIES:
        settings = load_ss_settings(layout.ss_config(party))
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = await open_ss_engine(settings.db_url)
        try:
            _, key = await SsKeys(engine).create(KEY_NAME, SS_ROLES, actor=actor())
        finally:
            await engine.dispose()
        state.api_keys[party.name] = key
