"""Database helpers that are not models."""

from __future__ import annotations

import sqlite3

from django.db import connection

_held: sqlite3.Connection | None = None


def sqlite_hold_open() -> None:
    """Keep one connection to the SQLite database open for the life of the process (the web server's).

    Request threads keep their connections (core/httphandler.py), but they come and go with the load, and
    the embedded worker's close after each task. SQLite, when the last connection to a database in WAL mode
    closes, checkpoints the write-ahead log into the database and deletes it: without this, that could
    happen after any request or task that touched the database, a checkpoint and a sync each time.
    With a connection held, checkpoints happen as SQLite schedules them (every 1,000 pages written).
    In-memory databases (tests) are left alone."""
    global _held
    if _held is not None or connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    _held = sqlite_connection_held(connection.settings_dict["NAME"])


def sqlite_connection_held(path) -> sqlite3.Connection:
    """A connection that counts as open for SQLite: one that has read the database (a connection that never
    did has not opened the write-ahead log's index, and does not keep the log from being checkpointed and
    deleted). It holds no transaction, so it never keeps a checkpoint from finishing."""
    held = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    held.execute("SELECT count(*) FROM sqlite_master").fetchall()
    return held
