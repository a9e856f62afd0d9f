"""Engine creation for the security server's database: the shared recipe of
:mod:`server_kit.storage.engine` (aiosqlite or asyncpg; SQLite with foreign keys on and
``BEGIN IMMEDIATE`` transactions)."""

from server_kit.storage.engine import SUPPORTED_DRIVERS, create_engine

__all__ = ["SUPPORTED_DRIVERS", "create_engine"]
