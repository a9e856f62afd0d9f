"""``vdx conf anchor`` then ``vdx conf verify``: the by-hand check of a reference directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from vdx.cli.main import app


@pytest.mark.vectors
@pytest.mark.parametrize("version", ["V3", "V4", "V5", "V6"])
def test_anchor_from_own_parameters_verifies_the_directory(
    vectors_dir: Path, tmp_path: Path, version: str
) -> None:
    folder = vectors_dir / "globalconf" / version
    params = next(folder.glob("*/shared-params.xml"))
    anchor = tmp_path / "anchor.xml"
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["conf", "anchor", str(params), "--url", "http://cs/internalconf", "--out", str(anchor)],
    )
    assert made.exit_code == 0, made.output
    verified = runner.invoke(
        app, ["conf", "verify", str(folder / "internalconf"), "--anchor", str(anchor)]
    )
    assert verified.exit_code == 0, verified.output
    assert "valid configuration directory" in verified.output
    external = runner.invoke(
        app, ["conf", "verify", str(folder / "externalconf"), "--anchor", str(anchor)]
    )
    assert external.exit_code == 1  # the external directory is signed with the external key


def test_anchor_refuses_a_file_that_is_no_shared_parameters(tmp_path: Path) -> None:
    bogus = tmp_path / "shared-params.xml"
    bogus.write_text("<notParams/>")
    result = CliRunner().invoke(app, ["conf", "anchor", str(bogus), "--url", "http://cs/x"])
    assert result.exit_code == 1
    assert "refused" in result.output
