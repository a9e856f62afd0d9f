"""Test conventions: hypothesis profiles, the reference vectors, the conformance summary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests import vectors

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("quick", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if vectors.UNDER_CI else "dev"))


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The reference implementation's files; skipped when absent, a failure under CI."""
    return vectors.require_dir()


@pytest.fixture
def conformance() -> vectors.ConformanceLedger:
    return vectors.LEDGER


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    line = vectors.LEDGER.summary()
    if line is None:
        return
    terminalreporter.write_sep("-", "conformance")
    terminalreporter.write_line(line)
    for failure in vectors.LEDGER.disagreements():
        terminalreporter.write_line(f"  disagrees: {failure}")
