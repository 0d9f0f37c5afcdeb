"""The owner's side of footage requests: every request ever made to the cameras a person manages."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from safecommons.accounts.models import Membership
from safecommons.cameras.models import FootageRequest
from safecommons.cameras.selectors.registry import camera_manage_q
from safecommons.core.permissions import Actor, require


def footage_requests_for_owner(*, actor: Actor) -> QuerySet[FootageRequest]:
    """Every request made to the cameras the actor manages: pending first, then newest first."""
    if actor.is_anonymous:
        return FootageRequest.objects.none()
    pending_first = Case(When(status=FootageRequest.Status.PENDING, then=Value(0)), default=Value(1),
                         output_field=IntegerField())
    return (FootageRequest.objects.filter(camera_manage_q(actor=actor, prefix="camera__"))
            .select_related("camera", "agency", "officer").annotate(files_sent=Count("evidence"))
            .order_by(pending_first, "-created_at", "-pk"))


def footage_request_get(*, actor: Actor, request_id: int) -> FootageRequest:
    """One request, for the owner who may answer it (FootageRequest.DoesNotExist if there is none;
    PermissionDenied if it was made to someone else's camera)."""
    footage_request = FootageRequest.objects.select_related("camera", "agency", "officer").get(pk=request_id)
    require(actor, "footage.answer", footage_request)
    return footage_request


def footage_request_badge(footage_request: FootageRequest) -> str:
    """The requesting officer's badge number at the requesting agency, if they have one on record."""
    membership = (Membership.objects.filter(user_id=footage_request.officer_id,
                                            organisation_id=footage_request.agency_id)
                  .exclude(badge_number="").order_by("-pk").first())
    return membership.badge_number if membership else ""
