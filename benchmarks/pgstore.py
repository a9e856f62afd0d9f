"""Moving an onboarded sandbox's security servers onto PostgreSQL.

``vdx sandbox`` has no option for the security servers' database, and both of its security
servers would read the same ``VDX_SS_DATABASE_URL``. So, with the sandbox stopped, each
server's SQLite database is copied into a fresh PostgreSQL database (created and migrated by
the security server's own Alembic scripts, rows copied through its own table definitions so
that types convert; the message log and operational monitoring records of the SQLite cases
stay behind), and ``database_url`` is added to that server's settings file, as an
operator moving to PostgreSQL would do. The next sandbox start is a restart on PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from security_server.storage.migrate import open_engine
from security_server.storage.tables import metadata

ADMIN_URL = os.environ.get("VDX_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
SERVERS = ("consumer", "provider")
DB_FILE = "security-server.db"
# What the SQLite cases' traffic left: not configuration. Copied, it would hand the restarted
# servers a backlog to time-stamp and archive while the PostgreSQL cases run.
TRAFFIC = frozenset({"messagelog_records", "messagelog_timestamps", "op_records"})


async def _admin(statement: str) -> None:
    # CREATE / DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(
        _url(urlsplit(ADMIN_URL).path.lstrip("/") or "postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"timeout": 3},
    )
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def available() -> str | None:
    """None when PostgreSQL answers at :data:`ADMIN_URL`, else why not."""
    try:
        await _admin("SELECT 1")
    except (OSError, TimeoutError, sa.exc.SQLAlchemyError) as error:
        return f"PostgreSQL not reachable at {ADMIN_URL}: {error!r}"
    return None


def _url(database: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(("postgresql+asyncpg", parts.netloc, f"/{database}", "", ""))


async def _copy(sqlite_file: Path, url: str) -> None:
    source = create_async_engine(f"sqlite+aiosqlite:///{sqlite_file}")
    target = await open_engine(url)
    try:
        async with source.connect() as reading, target.begin() as writing:
            for table in metadata.sorted_tables:
                if table.name in TRAFFIC:
                    continue
                rows = (await reading.execute(sa.select(table))).mappings().all()
                if rows:
                    await writing.execute(sa.insert(table), [dict(row) for row in rows])
                # Explicit ids were inserted: move each serial sequence past them.
                for column in table.primary_key.columns:
                    if isinstance(column.type, sa.Integer):
                        highest = await writing.scalar(sa.select(sa.func.max(column)))
                        await writing.execute(
                            sa.text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, false)"),
                            {"t": table.name, "c": column.name, "v": (highest or 0) + 1},
                        )
    finally:
        await source.dispose()
        await target.dispose()


async def move_to_postgres(data_dir: Path) -> list[str]:
    """Copy both servers' databases to new PostgreSQL databases; returns their names."""
    created: list[str] = []
    tag = secrets.token_hex(4)
    try:
        for server in SERVERS:
            name = f"vdx_bench_{server}_{tag}"
            await _admin(f'CREATE DATABASE "{name}"')
            created.append(name)
            folder = data_dir / f"ss-{server}"
            await _copy(folder / "data" / DB_FILE, _url(name))
            config = folder / "ss.toml"
            config.write_text(config.read_text() + f'database_url = "{_url(name)}"\n')
    except BaseException:
        await drop(created)
        raise
    return created


async def drop(names: list[str]) -> None:
    for name in names:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
