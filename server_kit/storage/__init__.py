"""Storage plumbing both servers use: engine creation and the Alembic runner (ARCHITECTURE
rule 7). Each server keeps its own tables and migration scripts."""

from server_kit.storage.engine import SUPPORTED_DRIVERS, create_engine
from server_kit.storage.migrate import Migrations, current_revision

__all__ = ["SUPPORTED_DRIVERS", "Migrations", "create_engine", "current_revision"]
