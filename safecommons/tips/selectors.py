"""Reading tips: the staff queue, one tip, the tipster's view, related-tip candidates, what has expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from safecommons.core.permissions import TIP_COORDINATORS, TIP_OFFICER_ROLES, Actor, may, require
from safecommons.core.roles import Role
from safecommons.core.sphere import bounding_box
from safecommons.partners.models import AgreementGrant, Organisation, OrganisationKind, Scope
from safecommons.tips import relate
from safecommons.tips.models import RelatedTip, RetentionRule, RoutingRule, Tip, TipMessage, TipReferral

AGES = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    category: str = ""
    priority: int | None = None
    area_id: int | None = None
    age: str = ""  # day | week | month (newer than) or older (than a month)
    agency_id: int | None = None


def tip_agencies(*, actor: Actor) -> QuerySet[Organisation]:
    """The agencies whose tip queue the actor works in."""
    ids = [m.organisation_id for m in actor.memberships if m.role in TIP_COORDINATORS | {Role.OFFICER}]
    return Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.AGENCY)


def tip_queue(*, actor: Actor, filters: QueueFilters = QueueFilters()) -> QuerySet[Tip]:
    """Coordinators see their agencies' tips; an officer sees the tips assigned to them."""
    require(actor, "tip.queue")
    coordinated = actor.organisation_ids(TIP_COORDINATORS)
    officer_of = actor.organisation_ids({Role.OFFICER})
    tips = Tip.objects.filter(
        Q(agency_id__in=coordinated) | Q(agency_id__in=officer_of, assigned_officer_id=actor.user_id)
    ).select_related("area", "assigned_unit", "assigned_officer", "agency")
    if filters.agency_id:
        tips = tips.filter(agency_id=filters.agency_id)
    if filters.status:
        tips = tips.filter(status=filters.status)
    if filters.category:
        tips = tips.filter(category=filters.category)
    if filters.priority:
        tips = tips.filter(priority=filters.priority)
    if filters.area_id:
        from safecommons.places.models import Area
        from safecommons.places.selectors import located_in

        area = Area.objects.filter(pk=filters.area_id, agency_id__in=coordinated | officer_of).first()
        tips = located_in(area=area, rows=tips) if area else tips.none()
    if filters.age in AGES:
        tips = tips.filter(created_at__gte=timezone.now() - AGES[filters.age])
    elif filters.age == "older":
        tips = tips.filter(created_at__lt=timezone.now() - AGES["month"])
    return tips.order_by("-priority", "-created_at")


def tip_get(*, actor: Actor, reference: str) -> Tip:
    """One tip by its staff reference, for someone who may read it."""
    tip = Tip.objects.select_related("agency", "area", "assigned_unit", "assigned_officer").get(reference=reference)
    require(actor, "tip.read", tip)
    return tip


@dataclass(frozen=True)
class RelatedView:
    link: RelatedTip
    other: Tip  # the tip at the other end, whichever way the link was made


def tip_related(*, actor: Actor, tip: Tip) -> list[RelatedView]:
    """Suggested and decided links both ways (to earlier tips, and from later ones), for coordinators only:
    they show other tips' references and words."""
    if not may(actor, "tip.relate", tip):
        return []
    links = (RelatedTip.objects.filter(Q(tip=tip) | Q(other=tip)).select_related("tip", "other")
             .order_by("-score"))
    return [RelatedView(link, link.other if link.tip_id == tip.pk else link.tip) for link in links]


def related_link_get(*, tip: Tip, link_id: int) -> RelatedTip:
    """A suggested link that touches this tip, either way round."""
    return RelatedTip.objects.select_related("tip", "other").get(Q(tip=tip) | Q(other=tip), pk=link_id)


@dataclass(frozen=True)
class TipsterView:
    """What the tipster sees on return: their words, the conversation, open questions, the reward."""

    tip: Tip
    messages: list[TipMessage]
    open_questions: list[TipMessage]
    attachment_count: int


def tipster_view(*, tip: Tip) -> TipsterView:
    messages = list(tip.messages.all())
    answered = {m.answers_id for m in messages if m.answers_id}
    open_questions = [m for m in messages if m.is_question and m.pk not in answered]
    return TipsterView(tip=tip, messages=messages, open_questions=open_questions,
                       attachment_count=tip.attachments.count())


def related_candidates(*, tip: Tip) -> list[relate.Candidate]:
    """Earlier tips of the same agency within the time window, and within reach where the place is known."""
    earlier = Tip.objects.filter(
        agency_id=tip.agency_id,
        event_at__gte=tip.event_at - relate.WINDOW,
        event_at__lte=tip.event_at + relate.WINDOW,
        created_at__lte=tip.created_at,
    ).exclude(pk=tip.pk)
    if tip.longitude is not None and tip.latitude is not None:
        min_lon, min_lat, max_lon, max_lat = bounding_box(tip.longitude, tip.latitude, relate.RADIUS_M)
        earlier = earlier.filter(
            Q(latitude__isnull=True)
            | Q(latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon))
        )
    rows = earlier.order_by("-event_at").values_list("id", "terms", "longitude", "latitude", "event_at")
    return [relate.Candidate(*row) for row in rows[: relate.MAX_CANDIDATES]]


def referrals_for(*, actor: Actor) -> QuerySet[TipReferral]:
    """Referrals to the actor's organisations, while an agreement in force still covers them."""
    require(actor, "tip.referrals")
    organisations = actor.organisation_ids({Role.PARTNER_MEMBER, Role.PARTNER_ADMIN})
    in_force = AgreementGrant.objects.filter(
        scope=Scope.TIP_REFERRALS, provider_id=OuterRef("tip__agency_id"), recipient_id=OuterRef("organisation_id"),
    ).in_force()
    return (TipReferral.objects.filter(organisation_id__in=organisations).filter(Exists(in_force))
            .select_related("organisation"))


def referral_get(*, actor: Actor, referral_id: int) -> TipReferral:
    return referrals_for(actor=actor).get(pk=referral_id)


def routing_rule_get(*, actor: Actor, rule_id: int) -> RoutingRule:
    rule = RoutingRule.objects.select_related("agency").get(pk=rule_id)
    require(actor, "tip.rules", rule.agency)
    return rule


def retention_rule_get(*, actor: Actor, rule_id: int) -> RetentionRule:
    rule = RetentionRule.objects.select_related("agency").get(pk=rule_id)
    require(actor, "tip.rules", rule.agency)
    return rule


def rule_agencies(*, actor: Actor) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=actor.organisation_ids({Role.AGENCY_ADMIN}),
                                       kind=OrganisationKind.AGENCY)


def routing_rules(*, actor: Actor, agency: Organisation) -> QuerySet[RoutingRule]:
    require(actor, "tip.rules", agency)
    return RoutingRule.objects.filter(agency=agency).select_related("assign_unit", "assign_officer", "refer_to")


def retention_rules(*, actor: Actor, agency: Organisation) -> QuerySet[RetentionRule]:
    require(actor, "tip.rules", agency)
    return RetentionRule.objects.filter(agency=agency)


@dataclass(frozen=True)
class Expired:
    tip_id: int
    keep_days: int


def retention_days(rules: dict, *, agency_id: int, status: str, category: str) -> int:
    """The most specific rule: status and category, then status, then category, then the agency's default."""
    for key in ((status, category), (status, ""), ("", category), ("", "")):
        if (agency_id, *key) in rules:
            return rules[(agency_id, *key)]
    return settings.TIP_RETENTION_DAYS


def retention_rules_all() -> dict:
    return {(r.agency_id, r.status, r.category): r.keep_days for r in RetentionRule.objects.all()}


def tip_expired(tip: Tip, *, now: datetime, rules: dict) -> bool:
    keep = retention_days(rules, agency_id=tip.agency_id, status=tip.status, category=tip.category)
    return tip.status_changed_at < now - timedelta(days=keep)


def tips_expired(*, now: datetime) -> list[Expired]:
    """Tips past their keep-by date (from their last status change), not under legal hold."""
    rules = retention_rules_all()
    shortest = min([*rules.values(), settings.TIP_RETENTION_DAYS])
    rows = (Tip.objects.filter(legal_hold=False, status_changed_at__lt=now - timedelta(days=shortest))
            .values_list("id", "agency_id", "status", "category", "status_changed_at").iterator())
    expired = []
    for tip_id, agency_id, status, category, changed_at in rows:
        keep = retention_days(rules, agency_id=agency_id, status=status, category=category)
        if changed_at < now - timedelta(days=keep):
            expired.append(Expired(tip_id, keep))
    return expired


def assignable_officers(*, agency: Organisation):
    from safecommons.accounts.models import User

    return User.objects.filter(memberships__organisation=agency, memberships__role__in=TIP_OFFICER_ROLES,
                               memberships__ended_at__isnull=True).distinct().order_by("email")


def referral_partners(*, agency: Organisation) -> QuerySet[Organisation]:
    from safecommons.partners.selectors import recipients_granted

    return recipients_granted(scope=Scope.TIP_REFERRALS, provider_id=agency.pk)


def agency_areas(*, agencies):
    from safecommons.places.models import Area

    return Area.objects.filter(agency__in=agencies).order_by("kind", "name")
