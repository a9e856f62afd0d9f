"""Security server storage: migrations from empty equal the table metadata, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from security_server.storage import create_engine, metadata, migrate
from security_server.storage import tables as t
from security_server.storage.migrate import alembic_config, current_revision
from tests import databases
from tests.integration.security_server import test_serverconf_support as ss

pg_database = databases.postgres_module_fixture()
db_url = ss.db_url_fixture()


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_from_empty_match_the_metadata(db_url: str) -> None:
    await migrate(db_url)
    await migrate(db_url)  # a second start-up finds nothing to do
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert await conn.run_sync(current_revision) == head
            assert await conn.run_sync(_differences) == []
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        assert set(metadata.tables) <= names
    finally:
        await engine.dispose()


async def test_foreign_keys_and_checks_are_enforced(db_url: str) -> None:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    t.is_certs.insert().values(client_id=999, cert_der=b"x", cert_hash=b"y")
                )
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    t.server_identity.insert().values(
                        id=2, instance="VN", member_class="GOV", member_code="1", server_code="S"
                    )
                )
    finally:
        await engine.dispose()


def test_unsupported_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="Unsupported database URL"):
        create_engine("mysql://localhost/x")
