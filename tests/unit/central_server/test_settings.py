"""The central server settings: defaults, file then environment, the generated reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from central_server.settings import CentralServerSettings, load_settings, main, markdown
from tests.vectors import REPO_ROOT

REFERENCE = REPO_ROOT / "docs" / "reference" / "central-server-settings.md"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os  # noqa: PLC0415

    for name in list(os.environ):
        if name.startswith("VDX_CS_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings(None)
    assert settings.conf_generation_interval_seconds == 60
    assert settings.conf_expire_seconds == 600
    assert settings.listen_host == "127.0.0.1"
    ports = (
        settings.conf_http_port,
        settings.conf_https_port,
        settings.registration_port,
        settings.management_port,
        settings.admin_api_port,
    )
    assert ports == (80, 443, 4001, 4002, 4000)
    assert settings.db_url == f"sqlite+aiosqlite:///{settings.data_dir}/central-server.db"


def test_toml_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cs.toml"
    path.write_text(
        'instance_identifier = "VN"\n'
        f'data_dir = "{tmp_path}"\n'
        "admin_api_port = 14000\n"
        "registration_port = 0\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("VDX_CS_ADMIN_API_PORT", "24000")
    settings = load_settings(path)
    assert settings.instance_identifier == "VN"
    assert settings.admin_api_port == 24000
    assert settings.registration_port == 0
    assert settings.db_url == f"sqlite+aiosqlite:///{tmp_path}/central-server.db"


def test_json_file_and_postgres_url(tmp_path: Path) -> None:
    path = tmp_path / "cs.json"
    url = "postgresql+asyncpg://cs@db.example/central"
    path.write_text(json.dumps({"database_url": url}), encoding="utf-8")
    assert load_settings(path).db_url == url


@pytest.mark.parametrize(
    "content",
    [
        "typo_port = 1\n",
        "admin_api_port = 70000\n",
        "conf_expire_seconds = 30\n",
        'instance_identifier = "V N"\n',
        "listen_host = 1\n",
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cs.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError):
        load_settings(path)


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "cs.yaml"
    path.write_text("x: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"toml or \.json"):
        load_settings(path)


def test_committed_reference_is_generated_from_the_model() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == markdown(), (
        "regenerate: python -m central_server.settings --markdown > "
        "docs/reference/central-server-settings.md"
    )
    for name in CentralServerSettings.model_fields:
        assert f"`{name}`" in markdown()


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown()
    assert main([]) == 2
