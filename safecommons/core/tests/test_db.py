"""The web server's held SQLite connection keeps the write-ahead log from being checkpointed and deleted
each time a request's own connection closes."""

import sqlite3

from safecommons.core.db import sqlite_connection_held


def a_request(path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()


def test_with_a_connection_held_closing_a_requests_connection_leaves_the_log_in_place(tmp_path):
    path = tmp_path / "db.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x)")
    setup.commit()
    setup.close()
    wal = tmp_path / "db.sqlite3-wal"

    a_request(path)
    assert not wal.exists()  # without one held: checkpointed and deleted as the last connection closed

    held = sqlite_connection_held(path)
    a_request(path)
    assert wal.exists()
    assert held.execute("SELECT count(*) FROM t").fetchone() == (2,)  # it sees what requests wrote
    held.close()
