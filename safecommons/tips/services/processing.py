"""After a tip is sent (a background task): route it by the agency's rules, link related tips."""


from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, MembershipRef
from safecommons.core.roles import Role
from safecommons.tips import relate
from safecommons.tips.models import (
    RelatedTip,
    RoutingRule,
    Status,
    Tip,
)
from safecommons.tips.services.referral import referral_make

# --- Processing after submission (a background task)


def _routing_actor(tip: Tip, rule: RoutingRule) -> Actor:
    """Routing acts for the agency, under the rule its admin wrote; the audit trail names the rule."""
    agency = tip.agency
    return Actor(user_id=None, label=f"tip routing rule #{rule.pk}",
                 memberships=(MembershipRef(agency.pk, agency.name, agency.kind, Role.AGENCY_ADMIN),))


def tip_route(*, tip: Tip) -> RoutingRule | None:
    """Apply the first active rule for the tip's category: unit, officer, priority, referral."""
    rule = (RoutingRule.objects.filter(agency=tip.agency, category=tip.category, is_active=True)
            .select_related("refer_to").order_by("position", "pk").first())
    if rule is None:
        return None
    changed = ["routed_by", "updated_at"]
    tip.routed_by = rule
    if rule.assign_unit_id:
        tip.assigned_unit_id = rule.assign_unit_id
        changed.append("assigned_unit")
    if rule.assign_officer_id:
        tip.assigned_officer_id = rule.assign_officer_id
        changed.append("assigned_officer")
    if rule.set_priority:
        tip.priority = rule.set_priority
        changed.append("priority")
    if (rule.assign_unit_id or rule.assign_officer_id) and tip.status == Status.NEW:
        tip.status, tip.status_changed_at = Status.ASSIGNED, timezone.now()
        changed += ["status", "status_changed_at"]
    tip.save(update_fields=changed)
    audit_record(action="tip.routed", actor_label=f"tip routing rule #{rule.pk}", organisation=tip.agency,
                 target=tip, details={"rule": rule.pk, "unit": rule.assign_unit_id,
                                      "officer": rule.assign_officer_id, "refer_to": rule.refer_to_id})
    if rule.refer_to_id:
        try:
            referral_make(actor=_routing_actor(tip, rule), tip=tip, organisation=rule.refer_to,
                   purpose=f"routing rule #{rule.pk}: {tip.get_category_display()}")
        except Refused:
            pass  # no agreement in force (the refusal is in the audit trail): the tip stays with the agency
    return rule


def tip_relate(*, tip: Tip) -> list[RelatedTip]:
    """Suggest links from this tip to earlier ones of the same agency, close in place and time."""
    from safecommons.tips.selectors import related_candidates

    matches = relate.rank(terms=tip.terms, longitude=tip.longitude, latitude=tip.latitude, event_at=tip.event_at,
                          candidates=related_candidates(tip=tip))
    links = [
        RelatedTip(tip=tip, other_id=m.id, score=m.score, text_score=m.text_score, distance_m=m.distance_m,
                   hours_apart=m.hours_apart, shared_terms=m.shared_terms)
        for m in matches
    ]
    RelatedTip.objects.bulk_create(links, ignore_conflicts=True)
    return links


def tips_process_pending(*, older_than: timedelta = timedelta(minutes=5), limit: int = 500) -> int:
    """Enqueue processing again for tips it never reached (the queue was down when they came in)."""
    from safecommons.tips.tasks import tip_process as tip_process_task

    pending = list(Tip.objects.filter(processed=False, created_at__lt=timezone.now() - older_than)
                   .order_by("created_at").values_list("pk", flat=True)[:limit])
    for tip_id in pending:
        tip_process_task.enqueue(tip_id)
    return len(pending)


def tip_process(*, tip_id: int) -> None:
    """Route and relate a new tip once; running it again does nothing (a retried task is harmless)."""
    with transaction.atomic():
        tip = Tip.objects.select_for_update().select_related("agency").filter(pk=tip_id, processed=False).first()
        if tip is None:
            return
        tip_route(tip=tip)
        tip_relate(tip=tip)
        Tip.objects.filter(pk=tip.pk).update(processed=True)
