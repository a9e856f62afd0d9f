"""``vdx cs key list|generate|activate|retire`` on the token the central server created."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from central_server.app import signing_keys_for
from central_server.settings import CentralServerSettings
from central_server.storage import create_engine
from tests.databases import sqlite_url
from tests.unit.central_server.test_cs_cli import cs, cs_json, home, runner
from vdx.cli.cs import app

__all__ = ["home"]  # the fixture, imported for pytest
PIN = "cli-token-pin"


async def _first_start(data: Path) -> None:
    """What ``vdx central-server run`` does on first start with a PIN: token and first keys."""
    engine = create_engine(sqlite_url(data))
    try:
        settings = CentralServerSettings(data_dir=data, token_pin=PIN)  # type: ignore[arg-type]
        assert await signing_keys_for(settings, engine, "EE") is not None
    finally:
        await engine.dispose()


def test_key_lifecycle(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cs(home, "init", "--instance", "EE")
    result = runner.invoke(app, ["key", "list", "--config", str(home / "cs.toml")])
    assert result.exit_code == 1
    assert "start the central server once" in result.stderr

    asyncio.run(_first_start(home / "data"))
    listed = cs_json(home, "key", "list")
    assert sorted((k["source"], k["state"]) for k in listed) == [
        ("external", "active"),
        ("internal", "active"),
    ]
    assert "internal" in cs(home, "key", "list")

    monkeypatch.delenv("VDX_CS_TOKEN_PIN", raising=False)
    result = runner.invoke(
        app, ["key", "generate", "--source", "internal", "--config", str(home / "cs.toml")]
    )
    assert result.exit_code == 1
    assert "PIN" in result.stderr

    monkeypatch.setenv("VDX_CS_TOKEN_PIN", PIN)
    made = cs_json(home, "key", "generate", "--source", "internal")
    assert made["state"] == "announced"
    assert cs(home, "key", "generate", "--source", "sideways", code=2) == ""
    activated = cs_json(home, "key", "activate", made["key_id"])
    assert activated["state"] == "active"
    old = next(k for k in listed if k["source"] == "internal")
    states = {k["key_id"]: k["state"] for k in cs_json(home, "key", "list")}
    assert states[old["key_id"]] == "retired"
    assert "is retired" not in cs(home, "key", "retire", made["key_id"], code=1)
    other = cs_json(home, "key", "generate", "--source", "external")
    assert cs_json(home, "key", "retire", other["key_id"])["state"] == "retired"
