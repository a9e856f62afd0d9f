"""Alembic migrations of the security server's tables (run by ``storage.migrate``)."""
