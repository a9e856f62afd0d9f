"""Alembic environment: runs on the connection :func:`security_server.storage.migrate` passes.

Only the programmatic path is supported: the server migrates its own database at start-up
through an async engine (``run_sync`` hands a synchronous connection to Alembic here).
"""

from __future__ import annotations

from alembic import context

from security_server.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Run migrations through security_server.storage.migrate(url), which passes a connection"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters tables by copying them; batch mode does that for later revisions.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
