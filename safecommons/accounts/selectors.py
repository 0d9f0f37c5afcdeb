from safecommons.core.permissions import actor_for_user
from safecommons.partners.selectors import organisations_managed


def account_overview(*, user) -> dict:
    """What a person sees on their own account page: roles, organisations they manage, assignments."""
    return {
        "memberships": user.memberships.active().select_related("organisation", "unit"),
        "managed": organisations_managed(actor=actor_for_user(user)),
        "assignments": user.assignments.select_related("area"),
    }
