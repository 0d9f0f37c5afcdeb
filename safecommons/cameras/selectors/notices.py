"""An owner's notices: those addressed to them, and to the organisations whose cameras they manage."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from safecommons.cameras.models import OwnerNotice
from safecommons.core.permissions import PARTNER_ROLES, Actor


def owner_notices(*, actor: Actor) -> QuerySet[OwnerNotice]:
    """Every notice the actor may read, newest first."""
    if actor.user_id is None or actor.api_key_id is not None:
        return OwnerNotice.objects.none()
    organisations = actor.organisation_ids(PARTNER_ROLES)
    return (OwnerNotice.objects.filter(Q(user_id=actor.user_id) | Q(organisation_id__in=organisations)
                                       | Q(camera__managed_by_id__in=organisations))
            .select_related("camera", "footage_request", "canvass"))


def owner_notices_unread_count(*, actor: Actor) -> int:
    return owner_notices(actor=actor).filter(read_at__isnull=True).count()
