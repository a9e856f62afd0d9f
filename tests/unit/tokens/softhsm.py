"""SoftHSM2 for the PKCS#11 tests (Debian package ``softhsm2``); the fixture is in conftest.

The token directory and configuration live in a temporary folder named by ``SOFTHSM2_CONF``,
which SoftHSM2 reads when the library is initialised - so the token is created before the
first test loads the library, and the variable stays set for the whole session. Without the
library the tests skip, except under CI, where they fail: CI must install ``softhsm2``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LIBRARY = Path("/usr/lib/softhsm/libsofthsm2.so")
LABEL = "vdx-test"
USER_PIN = "1234-user"
SO_PIN = "5678-so"


@dataclass(frozen=True)
class SoftHsm:
    library: str
    label: str
    pin: str


def unavailable() -> str | None:
    if not LIBRARY.is_file():
        return f"SoftHSM2 library {LIBRARY} is absent (apt-get install softhsm2)"
    if shutil.which("softhsm2-util") is None:
        return "softhsm2-util is not on PATH (apt-get install softhsm2)"
    if importlib.util.find_spec("pkcs11") is None:
        return "python-pkcs11 is not installed (pip install python-pkcs11)"
    return None


def init_token(folder: Path) -> Path:
    """Write a SoftHSM2 configuration under ``folder`` and create the test token; returns
    the configuration path, which ``SOFTHSM2_CONF`` must name before the library loads."""
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n"
    )
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise FileNotFoundError("softhsm2-util")
    subprocess.run(  # noqa: S603 - fixed arguments, a test tool
        [
            tool,
            "--init-token",
            "--free",
            "--label",
            LABEL,
            "--pin",
            USER_PIN,
            "--so-pin",
            SO_PIN,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(config)},
    )
    return config
