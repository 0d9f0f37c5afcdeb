"""An owner's notices: those addressed to them, and to the organisations whose cameras they manage."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from safecommons.cameras.models import OwnerNotice
from safecommons.cameras.selectors.registry import camera_manage_q
from safecommons.core.permissions import Actor


def owner_notices(*, actor: Actor) -> QuerySet[OwnerNotice]:
    """Every notice the actor may read, newest first."""
    if actor.user_id is None or actor.api_key_id is not None:
        return OwnerNotice.objects.none()
    # Addressed to the actor, or to an organisation whose camera they manage (the rule's reach: a security
    # company's staff only while its agreement with the client is in force).
    addressed = Q(user_id=actor.user_id) | Q(organisation_id__isnull=False)
    return (OwnerNotice.objects.filter(addressed & (Q(user_id=actor.user_id)
                                                    | camera_manage_q(actor=actor, prefix="camera__")))
            .select_related("camera", "footage_request", "canvass"))


def owner_notices_unread_count(*, actor: Actor) -> int:
    return owner_notices(actor=actor).filter(read_at__isnull=True).count()
