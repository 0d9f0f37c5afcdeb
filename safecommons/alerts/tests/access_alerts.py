"""Who may use each alerts endpoint of the alerts area: rows merged into core/tests/test_access_matrix.py ACCESS.
Keys are "METHOD route" exactly as the matrix writes them; values are sets of roles (and "anonymous").
Refusals are tested in alerts/tests/test_alerts_pages.py and test_alerts_api.py."""

from safecommons.core.roles import AGENCY_ROLES, Role

PUBLIC = frozenset({*Role, "anonymous"})
AGENCY_STAFF = frozenset(AGENCY_ROLES)
COMPOSERS = frozenset({Role.OFFICER, Role.LIAISON, Role.SUPERVISOR, Role.AGENCY_ADMIN})  # alert.compose
# alert.approve: a supervisor or admin of the agency who did not compose the alert (the matrix's alert is
# composed by the officer).
APPROVERS = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})

ACCESS: dict[str, frozenset] = {
    # Public pages and feeds (drills, tests, drafts: 404 for everyone there)
    "GET /alerts/": PUBLIC,
    "GET /alerts/feed.atom": PUBLIC,
    "GET /alerts/<slug:identifier>.xml": PUBLIC,
    "GET /alerts/<slug:identifier>/": PUBLIC,
    # Staff pages
    "GET /alerts/staff/": AGENCY_STAFF,
    "GET /alerts/staff/new/": COMPOSERS,
    "POST /alerts/staff/new/": COMPOSERS,
    "GET /alerts/staff/<slug:identifier>/": AGENCY_STAFF,
    "GET /alerts/staff/<slug:identifier>/edit/": COMPOSERS,
    "POST /alerts/staff/<slug:identifier>/edit/": COMPOSERS,
    "POST /alerts/staff/<slug:identifier>/submit/": COMPOSERS,
    "POST /alerts/staff/<slug:identifier>/approve/": APPROVERS,
    "POST /alerts/staff/<slug:identifier>/reject/": APPROVERS,
    "POST /alerts/staff/<slug:identifier>/update/": COMPOSERS,
    "POST /alerts/staff/<slug:identifier>/cancel/": COMPOSERS,
    # API
    "GET /api/alerts/alerts": PUBLIC,
    "GET /api/alerts/alerts/{identifier}": PUBLIC,
    "GET /api/alerts/alerts/{identifier}/cap": PUBLIC,
    "POST /api/alerts/alerts": COMPOSERS,
    "GET /api/alerts/staff/alerts/{identifier}": AGENCY_STAFF,
    "PUT /api/alerts/alerts/{identifier}": COMPOSERS,
    "POST /api/alerts/alerts/{identifier}/submit": COMPOSERS,
    "POST /api/alerts/alerts/{identifier}/approve": APPROVERS,
    "POST /api/alerts/alerts/{identifier}/reject": APPROVERS,
    "POST /api/alerts/alerts/{identifier}/update": COMPOSERS,
    "POST /api/alerts/alerts/{identifier}/cancel": COMPOSERS,
}
