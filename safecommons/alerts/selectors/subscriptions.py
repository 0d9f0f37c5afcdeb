"""Reading subscriptions: one's own (and one's organisations'), one by id for whoever may manage it, the
agency's test list, and what the subscribe form offers."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from safecommons.alerts.models import Subscription
from safecommons.core.permissions import MANAGER_ROLES, Actor, require
from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.models import Area, AreaKind

SUBSCRIBABLE_AREA_KINDS = (AreaKind.NEIGHBORHOOD, AreaKind.BEAT)


def subscriptions_of(*, actor: Actor, include_ended: bool = False) -> QuerySet[Subscription]:
    """The actor's own subscriptions and those of the organisations they manage (people only, not API keys)."""
    if actor.user_id is None or actor.api_key_id is not None:
        return Subscription.objects.none()
    held = Q(user_id=actor.user_id) | Q(organisation_id__in=actor.organisation_ids(MANAGER_ROLES))
    qs = (Subscription.objects.filter(held, test_list=False).select_related("agency", "organisation")
          .prefetch_related("channels", "areas"))
    return qs if include_ended else qs.exclude(status=Subscription.Status.ENDED)


def subscription_get(*, actor: Actor, subscription_id: int) -> Subscription:
    """One subscription the actor may manage; Subscription.DoesNotExist (a 404) for anyone else's, so that
    nobody learns which ids exist."""
    subscription = subscriptions_of(actor=actor, include_ended=True).get(pk=subscription_id)
    require(actor, "subscription.manage", subscription)
    return subscription


def test_list(*, actor: Actor, agency: Organisation) -> QuerySet[Subscription]:
    """The agency's test list: the only subscriptions a drill or a test alert reaches."""
    require(actor, "alert.test_list", agency)
    return (Subscription.objects.filter(agency=agency, test_list=True).exclude(status=Subscription.Status.ENDED)
            .prefetch_related("channels").order_by("created_at"))


def test_list_agencies(*, actor: Actor) -> QuerySet[Organisation]:
    """The agencies whose test list the actor keeps (agency admins)."""
    from safecommons.core.roles import Role

    return Organisation.objects.filter(pk__in=actor.organisation_ids({Role.AGENCY_ADMIN}),
                                       kind=OrganisationKind.AGENCY).order_by("name")


def subscribable_areas() -> QuerySet[Area]:
    """Neighborhoods and beats, which anyone may subscribe to by name."""
    return Area.objects.filter(kind__in=SUBSCRIBABLE_AREA_KINDS).select_related("agency").order_by("kind", "name")


def organisations_subscribing_for(*, actor: Actor) -> QuerySet[Organisation]:
    """Partner organisations the actor may subscribe on behalf of (rule subscription.organisation)."""
    if actor.api_key_id is not None:
        return Organisation.objects.none()
    return (Organisation.objects.filter(pk__in=actor.organisation_ids(MANAGER_ROLES))
            .exclude(kind=OrganisationKind.AGENCY).order_by("name"))
