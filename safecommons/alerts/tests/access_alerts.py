"""Who may use each alerts endpoint of the alerts area: rows merged into core/tests/test_access_matrix.py ACCESS.
Keys are "METHOD route" exactly as the matrix writes them; values are sets of roles (and "anonymous")."""

from safecommons.core.roles import AGENCY_ROLES, Role  # noqa: F401

ACCESS: dict[str, frozenset] = {}
