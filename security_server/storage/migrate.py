"""Bring the security server's database to the newest schema at start-up: its own Alembic
scripts (``migrations/``), run by the shared :class:`server_kit.storage.Migrations`."""

from __future__ import annotations

from pathlib import Path

from server_kit.storage.migrate import Migrations, current_revision

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATIONS = Migrations(MIGRATIONS_DIR)

alembic_config = _MIGRATIONS.alembic_config
migrate_engine = _MIGRATIONS.migrate_engine
migrate = _MIGRATIONS.migrate
open_engine = _MIGRATIONS.open_engine

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "migrate",
    "migrate_engine",
    "open_engine",
]
