"""What both servers' I/O shells share: admin REST API plumbing, storage engine and migrations
runner (docs/adr/0006-server-kit.md).

No business logic and no server's tables live here; each server passes its own (role enum,
tables, error type, operation table, Alembic scripts). This package may import ``vdx``,
aiohttp, SQLAlchemy, Alembic and pydantic, never a server, an adapter or a trust service (an
import-linter contract).
"""
