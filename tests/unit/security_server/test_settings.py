"""The security server settings: defaults, file then environment, the generated reference."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from security_server.settings import SecurityServerSettings, load_settings, main, markdown
from tests.vectors import REPO_ROOT

REFERENCE = REPO_ROOT / "docs" / "reference" / "security-server-settings.md"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("VDX_SS_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings(None)
    assert settings.listen_host == "127.0.0.1"
    ports = (
        settings.client_proxy_port,
        settings.server_proxy_port,
        settings.ocsp_port,
        settings.admin_api_port,
    )
    assert ports == (8080, 5500, 5577, 4000)
    assert settings.conf_download_interval_seconds == 60
    assert settings.token_pin is None
    assert settings.anchor_file is None
    assert settings.db_url == f"sqlite+aiosqlite:///{settings.data_dir}/security-server.db"


def test_toml_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ss.toml"
    path.write_text(
        f'data_dir = "{tmp_path}"\nanchor_file = "{tmp_path}/anchor.xml"\n'
        'admin_api_port = 14000\nclient_proxy_port = 0\ntoken_pin = "from-file"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("VDX_SS_ADMIN_API_PORT", "24000")
    monkeypatch.setenv("VDX_SS_TOKEN_PIN", "from-env")
    settings = load_settings(path)
    assert settings.admin_api_port == 24000
    assert settings.client_proxy_port == 0
    assert settings.anchor_file == tmp_path / "anchor.xml"
    assert settings.token_pin is not None
    assert settings.token_pin.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)
    assert settings.db_url == f"sqlite+aiosqlite:///{tmp_path}/security-server.db"


def test_json_file_and_postgres_url(tmp_path: Path) -> None:
    path = tmp_path / "ss.json"
    url = "postgresql+asyncpg://ss@db.example/ss"
    path.write_text(json.dumps({"database_url": url}), encoding="utf-8")
    assert load_settings(path).db_url == url


@pytest.mark.parametrize(
    "content",
    [
        "typo_port = 1\n",
        "ocsp_port = 70000\n",
        "conf_download_interval_seconds = 0\n",
        "listen_host = 1\n",
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ss.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError):
        load_settings(path)


@pytest.mark.parametrize("content", ["x: 1\n", "[1, 2]"])
def test_unknown_file_type_or_shape(tmp_path: Path, content: str) -> None:
    path = tmp_path / ("ss.yaml" if content.startswith("x") else "ss.json")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"toml or \.json|table"):
        load_settings(path)


def test_committed_reference_is_generated_from_the_model() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == markdown(), (
        "regenerate: python -m security_server.settings --markdown > "
        "docs/reference/security-server-settings.md"
    )
    for name in SecurityServerSettings.model_fields:
        assert f"`{name}`" in markdown()


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown()
    assert main([]) == 2
