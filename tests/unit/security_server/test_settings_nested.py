"""The message log and operational monitoring settings nested in the security server's model:
a TOML table each, ``VDX_SS_<PART>__<NAME>`` in the environment, documented in the reference."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from security_server.messagelog.settings import BodyLogging, MessageLogSettings
from security_server.opmonitor.settings import OpMonitorSettings
from security_server.settings import load_settings, markdown


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("VDX_SS_"):
            monkeypatch.delenv(name)


def test_defaults_and_the_archive_folder_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None)
    assert settings.opmonitor == OpMonitorSettings()
    expected = MessageLogSettings(archive_dir=settings.data_dir / "messagelog")
    assert settings.messagelog == expected
    path = tmp_path / "ss.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n', encoding="utf-8")
    assert load_settings(path).messagelog.archive_dir == tmp_path / "messagelog"


def test_tables_in_the_file_then_nested_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ss.toml"
    path.write_text(
        f'data_dir = "{tmp_path}"\n'
        "[messagelog]\n"
        'archive_dir = "/srv/archives"\nkeep_records_seconds = 60\nbody_logging = "metadata"\n'
        "[opmonitor]\nenabled = false\nbuffer_size = 10\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("VDX_SS_MESSAGELOG__KEEP_RECORDS_SECONDS", "120")
    monkeypatch.setenv("VDX_SS_MESSAGELOG__BODY_LOGGING_OVERRIDES", '{"EE:GOV:1:SUB": "disabled"}')
    monkeypatch.setenv("VDX_SS_OPMONITOR__BUFFER_SIZE", "20")
    settings = load_settings(path)
    log = settings.messagelog
    assert log.archive_dir == Path("/srv/archives")  # set explicitly: not derived
    assert log.keep_records_seconds == 120  # the environment wins, the rest of the table stays
    assert log.body_logging is BodyLogging.METADATA
    assert log.body_logging_overrides == {"EE:GOV:1:SUB": BodyLogging.DISABLED}
    assert (settings.opmonitor.enabled, settings.opmonitor.buffer_size) == (False, 20)


@pytest.mark.parametrize(
    "content",
    [
        "[messagelog]\ntypo = 1\n",
        "[messagelog]\ntimestamp_records_max = 1\n",
        "[opmonitor]\nflush_interval_seconds = 0\n",
    ],
)
def test_bad_tables_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ss.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError):
        load_settings(path)


def test_every_nested_setting_is_in_the_reference() -> None:
    text = markdown()
    for prefix, model in (("messagelog", MessageLogSettings), ("opmonitor", OpMonitorSettings)):
        assert f"## `[{prefix}]`" in text
        for name in model.model_fields:
            env = f"VDX_SS_{prefix.upper()}__{name.upper()}"
            assert f"| `{prefix}.{name}` | `{env}` |" in text
    assert "`{data_dir}/messagelog`" in text
