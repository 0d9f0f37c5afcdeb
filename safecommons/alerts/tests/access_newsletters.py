"""Who may use each newsletters endpoint of the alerts area: rows merged into core/tests/test_access_matrix.py ACCESS.
Keys are "METHOD route" exactly as the matrix writes them; values are sets of roles (and "anonymous")."""

from safecommons.core.roles import AGENCY_ROLES, Role  # noqa: F401

ANONYMOUS = "anonymous"
PUBLIC = frozenset(Role) | {ANONYMOUS}
# newsletter.prepare (and the safety tips): liaisons, analysts, supervisors, agency admins of the agency.
PREPARERS = frozenset({Role.LIAISON, Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN})
# newsletter.approve: liaisons, supervisors, agency admins (an analyst prepares but does not send).
APPROVERS = frozenset({Role.LIAISON, Role.SUPERVISOR, Role.AGENCY_ADMIN})

ACCESS: dict[str, frozenset] = {
    "GET /alerts/staff/newsletters/": PREPARERS,
    "POST /alerts/staff/newsletters/": PREPARERS,
    "GET /alerts/staff/newsletters/<int:newsletter_id>/": PREPARERS,
    "POST /alerts/staff/newsletters/<int:newsletter_id>/approve/": APPROVERS,
    "GET /alerts/staff/safety-tips/": PREPARERS,
    "POST /alerts/staff/safety-tips/": PREPARERS,
    "GET /alerts/staff/safety-tips/<int:tip_id>/": PREPARERS,
    "POST /alerts/staff/safety-tips/<int:tip_id>/": PREPARERS,
    "GET /alerts/newsletters/": PUBLIC,
    "GET /alerts/newsletters/<int:newsletter_id>/": PUBLIC,
    "GET /api/alerts/newsletters": PUBLIC,
    "GET /api/alerts/newsletters/{newsletter_id}": PUBLIC,
    "GET /api/alerts/staff/newsletters": PREPARERS,
    "POST /api/alerts/staff/newsletters": PREPARERS,
    "POST /api/alerts/staff/newsletters/{newsletter_id}/approve": APPROVERS,
}
