"""Who may use each delivery endpoint of the alerts area: rows merged into core/tests/test_access_matrix.py ACCESS.
Keys are "METHOD route" exactly as the matrix writes them; values are sets of roles (and "anonymous").
Refusals are tested in alerts/tests/test_delivery_pages.py."""

from safecommons.core.roles import AGENCY_ROLES

AGENCY_STAFF = frozenset(AGENCY_ROLES)  # alert.view_staff

ACCESS: dict[str, frozenset] = {
    "GET /alerts/staff/fatigue/": AGENCY_STAFF,
    "GET /alerts/staff/<int:alert_id>/delivery/": AGENCY_STAFF,
    "GET /api/alerts/staff/alerts/{alert_id}/delivery": AGENCY_STAFF,
    "GET /api/alerts/staff/fatigue": AGENCY_STAFF,
}
