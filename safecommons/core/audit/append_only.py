"""Database triggers that refuse UPDATE, DELETE (and TRUNCATE) on the audit trail, per database vendor."""

INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON core_auditentry
           BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON core_auditentry
           BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS audit_entry_append_only ON core_auditentry",
        """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON core_auditentry
           FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""",
    ],
}
UNINSTALL = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_entry_append_only ON core_auditentry",
                   "DROP FUNCTION IF EXISTS audit_entry_append_only()"],
}


def _run(connection, statements: dict) -> None:
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


def install(connection) -> None:
    _run(connection, INSTALL)


def uninstall(connection) -> None:
    """Only for tearing a test database down; never called by the application."""
    _run(connection, UNINSTALL)
