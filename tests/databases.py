"""Databases for tests that must pass on both SQLite and PostgreSQL.

SQLite lives in the test's ``tmp_path``. PostgreSQL is the server at ``VDX_TEST_POSTGRES``
(default ``postgresql://postgres@127.0.0.1:5432/postgres``, trust authentication): a fresh
database ``vdx_test_<random>`` is created per test module and dropped after it. When the
server cannot be reached the PostgreSQL tests skip with the reason, except under ``CI=true``
where they fail: CI must prove both databases.

Usage in a test module::

    from tests import databases

    pg_database = databases.postgres_module_fixture()

    @pytest.fixture(params=databases.BACKENDS)
    def db_url(request, tmp_path) -> str:
        return databases.fresh_url(request, tmp_path)
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from tests.vectors import UNDER_CI

BACKENDS = ("sqlite", "postgresql")
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT = 3.0


def admin_url() -> str:
    return os.environ.get("VDX_TEST_POSTGRES", DEFAULT_ADMIN_URL)


def unavailable(reason: str) -> None:
    """Skip, or fail under CI, because a database the test needs is missing."""
    if UNDER_CI:
        pytest.fail(f"{reason} (CI=true: PostgreSQL is required)", pytrace=False)
    pytest.skip(reason)


def sqlite_url(folder: Path, name: str = "central-server.db") -> str:
    return f"sqlite+aiosqlite:///{folder / name}"


def _with_database(url: str, database: str, driver: str = "postgresql+asyncpg") -> str:
    parts = urlsplit(url)
    return urlunsplit((driver, parts.netloc, f"/{database}", parts.query, parts.fragment))


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` on its own loop in a worker thread: fixtures call this both outside
    and inside a test's running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(admin_url(), timeout=CONNECT_TIMEOUT)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_database(prefix: str = "vdx_test") -> str:
    """Create ``<prefix>_<random>``; returns its SQLAlchemy asyncpg URL (or skips / fails)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError) as error:
        unavailable(f"PostgreSQL is not reachable at {admin_url()}: {error!r}")
    except asyncpg.PostgresError as error:
        unavailable(f"PostgreSQL at {admin_url()} refused to create a database: {error}")
    return _with_database(admin_url(), name)


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_module_fixture() -> Callable[..., Any]:
    """A module-scoped fixture: one fresh PostgreSQL database for the module, dropped after."""

    @pytest.fixture(scope="module")
    def pg_database() -> Iterator[str]:
        url = create_database()
        try:
            yield url
        finally:
            drop_database(url)

    return pg_database


async def reset_postgres(url: str) -> None:
    """Empty the module's database between tests (a new ``public`` schema)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            await conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        await engine.dispose()


def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the backend ``request.param`` names (from a sync fixture)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url = str(request.getfixturevalue("pg_database"))
    run(reset_postgres(url))
    return url
