"""Fixtures for the token tests: a fresh software token per test, one SoftHSM2 per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.tokens import softhsm as hsm
from tests.unit.tokens.helpers import FAST_SCRYPT, PIN
from tests.vectors import UNDER_CI
from vdx.tokens import Token, create_soft_token


@pytest.fixture
def soft_token(tmp_path: Path) -> Token:
    token = create_soft_token(tmp_path, "softToken-0", PIN, scrypt_n=FAST_SCRYPT)
    token.login(PIN)
    return token


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[hsm.SoftHsm]:
    """A SoftHSM2 token; skipped when SoftHSM2 is absent, a failure under CI."""
    reason = hsm.unavailable()
    if reason is not None:
        if UNDER_CI:
            pytest.fail(f"CI must run the PKCS#11 tests: {reason}", pytrace=False)
        pytest.skip(reason)
    config = hsm.init_token(tmp_path_factory.mktemp("softhsm"))
    with pytest.MonkeyPatch.context() as patch:
        # Read by SoftHSM2 when the library is initialised, i.e. at the first token opened.
        patch.setenv("SOFTHSM2_CONF", str(config))
        yield hsm.SoftHsm(str(hsm.LIBRARY), hsm.LABEL, hsm.USER_PIN)
