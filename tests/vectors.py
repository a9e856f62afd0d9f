"""Access to ``../shared/xroad-vectors`` and the ledger behind the conformance summary line.

Each conformance test records, per reference file, whether our verdict agrees with the one the
reference implementation's own test suite expects. The terminal summary prints
``xroad-vectors: N/M files agree`` over every file recorded in the run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def vectors_dir() -> Path:
    configured = os.environ.get("VDX_VECTORS")
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "xroad-vectors"


def require_dir() -> Path:
    path = vectors_dir()
    if not path.is_dir():
        reason = f"reference vectors not found at {path} (set VDX_VECTORS to their folder)"
        if UNDER_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


def files(subdir: str, pattern: str = "*") -> list[Path]:
    """Vector files for parametrisation; empty when the folder is absent (the test skips)."""
    folder = vectors_dir() / subdir
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


@dataclass
class ConformanceLedger:
    verdicts: dict[str, bool] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    def record(self, path: Path, *, agrees: bool, detail: str = "") -> None:
        key = f"{path.parent.name}/{path.name}"
        # A file checked by several tests agrees only if it agrees in all of them.
        self.verdicts[key] = self.verdicts.get(key, True) and agrees
        if not agrees:
            self.details[key] = detail

    def summary(self) -> str | None:
        if not self.verdicts:
            return None
        agreeing = sum(self.verdicts.values())
        return f"xroad-vectors: {agreeing}/{len(self.verdicts)} files agree"

    def disagreements(self) -> list[str]:
        return [
            f"{key}: {self.details.get(key, '')}" for key, ok in self.verdicts.items() if not ok
        ]


LEDGER = ConformanceLedger()
