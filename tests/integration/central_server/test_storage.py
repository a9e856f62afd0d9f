"""Migrations from empty on both databases; the migrated schema equals the table metadata."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from central_server.storage import create_engine, metadata, migrate
from central_server.storage import tables as t
from central_server.storage.migrate import alembic_config, current_revision
from tests import databases
from tests.integration.central_server import registry_support as rs

pg_database = databases.postgres_module_fixture()
db_url = rs.db_url_fixture()


def _head() -> str | None:
    """The newest revision: migrations add up over time, the test checks they reach it."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_from_empty_match_the_metadata(db_url: str) -> None:
    await migrate(db_url)
    await migrate(db_url)  # a second start-up finds nothing to do
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(current_revision) == _head()
            assert await conn.run_sync(_differences) == []
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        assert set(metadata.tables) <= names
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(db_url: str) -> None:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    t.members.insert().values(member_class_id=999, member_code="1", name="x")
                )
    finally:
        await engine.dispose()


def test_unsupported_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="Unsupported database URL"):
        create_engine("mysql://localhost/x")
