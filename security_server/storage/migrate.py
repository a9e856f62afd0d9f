"""Bring the security server's database to the newest schema (Alembic's command API)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from security_server.storage.engine import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at our scripts, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def migrate_engine(engine: AsyncEngine) -> None:
    """Apply every pending revision through ``engine`` in one transaction where possible."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def migrate(url: str) -> None:
    """Apply every pending revision to the database at ``url``."""
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
    finally:
        await engine.dispose()


async def open_engine(url: str) -> AsyncEngine:
    """Start-up of the composition root: migrate, then hand back the engine."""
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - rarely used

    return MigrationContext.configure(connection).get_current_revision()
