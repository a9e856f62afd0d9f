"""Central server storage: tables, engines, migrations (ARCHITECTURE rule 7)."""

from central_server.storage.engine import create_engine
from central_server.storage.migrate import migrate, migrate_engine, open_engine
from central_server.storage.tables import metadata

__all__ = ["create_engine", "metadata", "migrate", "migrate_engine", "open_engine"]
