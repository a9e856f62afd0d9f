"""Alembic migrations of the central server's tables (run by ``storage.migrate``)."""
