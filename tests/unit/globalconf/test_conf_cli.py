"""``vdx conf verify`` through Typer's runner: vectors and a directory we produce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.unit.globalconf.conftest import PRIVATE, SHARED, SigningKey
from vdx.cli.conf import app, resolve_location
from vdx.globalconf import AnchorSource, ConfigurationAnchor, parse_shared_params, produce_anchor

runner = CliRunner()


def _layout(tmp_path: Path, key: SigningKey) -> tuple[Path, Path]:
    folder = tmp_path / "V5"
    for item in (SHARED, PRIVATE):
        target = folder / item.content_location.removeprefix("/V5/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
    (folder / "internalconf").write_bytes(key.produce().stored())
    (tmp_path / "anchor.xml").write_bytes(produce_anchor(key.anchor()))
    return folder / "internalconf", tmp_path / "anchor.xml"


def test_produced_directory_verifies(tmp_path: Path, rsa_key: SigningKey) -> None:
    directory, anchor = _layout(tmp_path, rsa_key)
    args = ["verify", str(directory), "--anchor", str(anchor), "--at", "2026-03-01T12:00:00Z"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "instance  DEV" in result.output
    assert "version   5" in result.output
    assert "SHARED-PARAMETERS (DEV)" in result.output
    result = runner.invoke(app, [*args, "--json"])
    verdict = json.loads(result.output)
    assert verdict["valid"] is True
    assert len(verdict["parts"]) == 2


def test_expired_and_missing_file(tmp_path: Path, rsa_key: SigningKey) -> None:
    directory, anchor = _layout(tmp_path, rsa_key)
    late = ["verify", str(directory), "--anchor", str(anchor), "--at", "2026-03-02T00:00:00Z"]
    result = runner.invoke(app, [*late, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["code"] == "OutdatedGlobalConf"
    (directory.parent / SHARED.content_location.removeprefix("/V5/")).unlink()
    result = runner.invoke(app, [*late[:-2], "--at", "2026-03-01T12:00:00Z"])
    assert result.exit_code == 1
    assert "refused: IOError" in result.output


def test_bad_time_is_a_usage_error(tmp_path: Path, rsa_key: SigningKey) -> None:
    directory, anchor = _layout(tmp_path, rsa_key)
    result = runner.invoke(app, ["verify", str(directory), "--anchor", str(anchor), "--at", "x"])
    assert result.exit_code == 2


def test_location_never_leaves_the_folder(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_bytes(b"x")
    assert resolve_location(tmp_path, "/V6/a.xml") == tmp_path / "a.xml"
    assert resolve_location(tmp_path, "http://cs/V6/a.xml") == tmp_path / "a.xml"
    assert resolve_location(tmp_path / "sub", "/../a.xml") is None


@pytest.mark.vectors
def test_reference_directory_verifies(vectors_dir: Path, tmp_path: Path) -> None:
    folder = vectors_dir / "globalconf" / "V6"
    shared = parse_shared_params(next(folder.glob("*/shared-params.xml")).read_bytes())
    certs = shared.verification_certs(internal=True)
    anchor = tmp_path / "anchor.xml"
    anchor.write_bytes(
        produce_anchor(ConfigurationAnchor("DEV", (AnchorSource("http://cs/internalconf", certs),)))
    )
    result = runner.invoke(app, ["verify", str(folder / "internalconf"), "--anchor", str(anchor)])
    assert result.exit_code == 0, result.output
    assert "2035-11-11T03:08:40+00:00" in result.output
    later = vectors_dir / "globalconf" / "configuration_anchor_CS_internal.xml"
    result = runner.invoke(app, ["verify", str(folder / "internalconf"), "--anchor", str(later)])
    assert result.exit_code == 1
    assert "CertValidation" in result.output
