"""Security server storage: its own tables, engines and Alembic migrations (ARCHITECTURE rule 7).

The security server never imports the central server (an import-linter contract); the engine
recipe and the migration runner both servers use live in :mod:`server_kit.storage`.
"""

from security_server.storage.engine import create_engine
from security_server.storage.migrate import migrate, migrate_engine, open_engine
from security_server.storage.tables import metadata

__all__ = ["create_engine", "metadata", "migrate", "migrate_engine", "open_engine"]
