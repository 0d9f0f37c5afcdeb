"""Who may use each subscriptions endpoint of the alerts area: rows merged into core/tests/test_access_matrix.py ACCESS.
Keys are "METHOD route" exactly as the matrix writes them; values are sets of roles (and "anonymous")."""

from safecommons.core.roles import AGENCY_ROLES, Role  # noqa: F401

EVERYONE = frozenset({*Role, "anonymous"})
SIGNED_IN = frozenset(Role)
TEST_LIST_KEEPERS = frozenset({Role.AGENCY_ADMIN})  # alert.test_list

ACCESS: dict[str, frozenset] = {
    "GET /alerts/subscribe/": EVERYONE,
    "POST /alerts/subscribe/": EVERYONE,
    # The signed token is the key (404 for an altered or revoked one), whoever follows the link.
    "GET /alerts/confirm/<str:token>/": EVERYONE,
    "POST /alerts/confirm/<str:token>/": EVERYONE,
    "GET /alerts/manage/<str:token>/": EVERYONE,
    "POST /alerts/manage/<str:token>/": EVERYONE,
    "GET /alerts/unsubscribe/<str:token>/": EVERYONE,
    "POST /alerts/unsubscribe/<str:token>/": EVERYONE,  # RFC 8058: no cookie, no CSRF token
    "GET /alerts/mine/": SIGNED_IN,
    "GET /alerts/mine/<int:subscription_id>/": SIGNED_IN,  # their own (and their organisation's); 404 otherwise
    "POST /alerts/mine/<int:subscription_id>/": SIGNED_IN,
    "GET /alerts/test-list/": TEST_LIST_KEEPERS,
    "POST /alerts/test-list/": TEST_LIST_KEEPERS,
    "POST /alerts/test-list/<int:subscription_id>/remove/": TEST_LIST_KEEPERS,
    "POST /api/alerts/subscriptions": EVERYONE,
    "GET /api/alerts/subscriptions": SIGNED_IN,
    "GET /api/alerts/subscriptions/{subscription_id}": SIGNED_IN,  # their own; 404 for anyone else's
    "PATCH /api/alerts/subscriptions/{subscription_id}": SIGNED_IN,
    "DELETE /api/alerts/subscriptions/{subscription_id}": SIGNED_IN,
    "GET /api/alerts/push-key": EVERYONE,
}
