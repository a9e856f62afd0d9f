"""The federation the end-to-end tests share: built once per session (~100 s), so every
module that asks for ``fed`` talks to the same running processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.federation import Federation, federation


@pytest.fixture(scope="session")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation(tmp_path_factory.mktemp("federation")) as running:
        yield running
