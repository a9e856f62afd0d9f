"""Bring a database to the newest schema at start-up (Alembic's command API, no ini file).

Each server owns its tables and its Alembic scripts (ARCHITECTURE rule 7); this runner is the
same for both and takes the scripts' folder as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from server_kit.storage.engine import create_engine


@dataclass(frozen=True, slots=True)
class Migrations:
    """``Migrations(script_location)``: one server's Alembic scripts and how to apply them."""

    script_location: Path

    def alembic_config(self, connection: Connection | None = None) -> Config:
        """An Alembic configuration pointing at the scripts, optionally bound to
        ``connection`` (the scripts' ``env.py`` runs on it)."""
        config = Config()
        config.set_main_option("script_location", str(self.script_location))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def _upgrade(self, connection: Connection) -> None:
        command.upgrade(self.alembic_config(connection), "head")

    async def migrate_engine(self, engine: AsyncEngine) -> None:
        """Apply every pending revision through ``engine``, in one transaction where possible."""
        async with engine.begin() as connection:
            await connection.run_sync(self._upgrade)

    async def migrate(self, url: str) -> None:
        """Apply every pending revision to the database at ``url``."""
        engine = create_engine(url)
        try:
            await self.migrate_engine(engine)
        finally:
            await engine.dispose()

    async def open_engine(self, url: str) -> AsyncEngine:
        """The composition root's start-up: migrate, then hand back the engine (dispose it
        at shutdown)."""
        engine = create_engine(url)
        try:
            await self.migrate_engine(engine)
        except BaseException:
            await engine.dispose()
            raise
        return engine


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - rarely used

    return MigrationContext.configure(connection).get_current_revision()
