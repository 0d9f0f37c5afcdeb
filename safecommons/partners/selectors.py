"""Reading partners: the directory, agreements and the flows made under them, scoped to the actor."""

from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from safecommons.core.compiled import CompiledRead
from safecommons.core.permissions import STAFF_ROLES, Actor, require
from safecommons.core.roles import Role
from safecommons.partners.models import Agreement, AgreementGrant, AgreementParty, ApiKey, DataFlow, Organisation


def grant_covering(*, scope: str, provider_id: int, recipient_id: int, on: date | None = None) -> AgreementGrant | None:
    """The grant of a signed agreement in force on `on` (today) letting `scope` data go provider → recipient.

    The single question every cross-organisation data flow asks. None means: no flow.
    """
    return grant_to_any(scope=scope, provider_id=provider_id, recipient_ids={recipient_id}, on=on)


_GRANT_IN_FORCE = CompiledRead(
    lambda scope, provider_id, recipient_id, on: AgreementGrant.objects.filter(
        scope=scope, provider_id=provider_id, recipient_id=recipient_id).in_force(on),
    stand_ins=({"scope": "(stand-in one)", "provider_id": -1001, "recipient_id": -1002, "on": date(1901, 2, 3)},
               {"scope": "(stand-in two)", "provider_id": 2001, "recipient_id": 2002, "on": date(2001, 4, 5)},
               {"scope": "(stand-in three)", "provider_id": 30_000_001, "recipient_id": 30_000_002,
                "on": date(2101, 6, 7)}),
)


def grant_exists(*, scope: str, provider_id: int, recipient_id: int) -> bool:
    """Whether `grant_covering` would find a grant today (a cheaper question, for permission checks; an
    operator's every live update asks it, hence compiled once)."""
    return _GRANT_IN_FORCE.exists(scope=str(scope), provider_id=provider_id, recipient_id=recipient_id,
                                  on=timezone.localdate())


def agreement_in_force_between(first_id: int, second_id: int, on: date | None = None) -> bool:
    """Whether the two organisations are parties to a signed agreement in force (any scope)."""
    return Agreement.objects.filter(parties=first_id).filter(parties=second_id).in_force(on).exists()


def partners_in_force_with(organisation_ids: set[int], on: date | None = None) -> set[int]:
    """The other parties of the signed agreements in force (any scope) that name any of the organisations:
    for a security company, the clients it may act for today."""
    if not organisation_ids:
        return set()
    agreements = Agreement.objects.filter(parties__in=organisation_ids).in_force(on)
    return set(AgreementParty.objects.filter(agreement__in=agreements).exclude(organisation_id__in=organisation_ids)
               .values_list("organisation_id", flat=True))


def recipients_granted(*, scope: str, provider_id: int, on: date | None = None) -> QuerySet[Organisation]:
    """The organisations a grant in force lets `scope` data flow to from the provider (for pick lists)."""
    grants = AgreementGrant.objects.filter(scope=scope, provider_id=provider_id).in_force(on)
    return Organisation.objects.filter(pk__in=grants.values("recipient_id"))


def grant_to_any(
    *, scope: str, provider_id: int, recipient_ids: set[int], on: date | None = None
) -> AgreementGrant | None:
    """Like `grant_covering`, for the first of several possible recipients (e.g. all of an actor's
    organisations) that a grant in force covers, in one query."""
    return (
        AgreementGrant.objects.filter(scope=scope, provider_id=provider_id, recipient_id__in=recipient_ids)
        .in_force(on)
        .select_related("agreement", "recipient")
        .order_by("-agreement__expires_on", "recipient_id")
        .first()
    )


def organisations_directory(*, actor: Actor, kind: str = "", query: str = "") -> QuerySet[Organisation]:
    """Listed organisations for everyone; unlisted ones for their members and for agency staff."""
    qs = Organisation.objects.all()
    if not actor.is_agency_staff:
        qs = qs.filter(Q(is_listed=True) | Q(pk__in=actor.organisation_ids()))
    if kind:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    return qs.order_by("name")


def organisation_get(*, actor: Actor, slug: str) -> Organisation:
    return organisations_directory(actor=actor).prefetch_related("sites", "units").get(slug=slug)


def agreements_for(*, actor: Actor) -> QuerySet[Agreement]:
    """Agreements the actor's organisations are party to; oversight sees all of them."""
    require(actor, "agreement.list")
    qs = Agreement.objects.prefetch_related("party_roles__organisation", "grants__provider", "grants__recipient")
    if actor.holds({Role.OVERSIGHT}):
        return qs
    return qs.filter(parties__in=actor.organisation_ids(STAFF_ROLES)).distinct()


def agreement_get(*, actor: Actor, agreement_id: int) -> Agreement:
    agreement = Agreement.objects.prefetch_related(
        "party_roles__organisation", "grants__provider", "grants__recipient"
    ).get(pk=agreement_id)
    require(actor, "agreement.view", agreement)
    return agreement


def flows_under(*, actor: Actor, agreement: Agreement) -> QuerySet[DataFlow]:
    require(actor, "agreement.view", agreement)
    return agreement.flows.select_related("provider", "recipient")


def api_keys_of(*, actor: Actor, organisation: Organisation) -> QuerySet[ApiKey]:
    require(actor, "apikey.manage", organisation)
    return organisation.api_keys.all()


def organisations_managed(*, actor: Actor) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=actor.organisation_ids({Role.PARTNER_ADMIN, Role.AGENCY_ADMIN}))


# --- Everyone a recipient may receive a scope from, for reads that ask about many providers at once (a
# canvass can find the cameras of hundreds of organisations). Cached in a shared cache (Redis) only, since
# agreements change rarely and these reads are hot: the key holds today's date (a grant ends with its
# agreement's last day) and a generation that every change to an agreement or its grants moves, at once
# and again when it commits (apps.py), so a terminated agreement stops the flow from the next read on.

PROVIDERS_CACHE_SECONDS = 300
_GENERATION_KEY = "partners:agreements:generation"


def agreements_generation() -> int:
    # Seeded with the time, never a constant: a generation key that was evicted must not come back as a
    # number that answers cached before the eviction were filed under.
    return cache.get_or_set(_GENERATION_KEY, time.time_ns, timeout=None)


def agreements_changed() -> None:
    """Move the generation: every cached answer of `providers_granting` is stale from now on."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not there (evicted, or never read): a new time-seeded value invalidates as well
        cache.set(_GENERATION_KEY, time.time_ns(), timeout=None)


def providers_granting(*, scope: str, recipient_id: int) -> frozenset[int]:
    """The organisations whose `scope` data may flow to the recipient today: for each of them,
    `grant_covering(scope=scope, provider_id=it, recipient_id=recipient_id)` finds a grant."""
    today = timezone.localdate()
    # Only a cache every process shares (Redis) may hold the answer: with a memory cache per process, a
    # termination seen by one would not reach the others.
    shared = bool(settings.REDIS_URL)
    key = f"partners:providers:{scope}:{recipient_id}:{today.isoformat()}:{agreements_generation()}"
    found = cache.get(key) if shared else None
    if found is None:
        found = frozenset(AgreementGrant.objects.filter(scope=scope, recipient_id=recipient_id).in_force(today)
                          .values_list("provider_id", flat=True))
        if shared:
            cache.set(key, found, timeout=PROVIDERS_CACHE_SECONDS)
    return found
