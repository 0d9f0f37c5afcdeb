"""What an agency admin sets (routing and retention rules) and the retention purge they drive."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.accounts.models import Membership
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import TIP_OFFICER_ROLES, Actor, require
from safecommons.partners.models import Organisation, Scope, Unit
from safecommons.tips.models import (
    Category,
    RetentionRule,
    RoutingRule,
    Tip,
    TipAttachment,
)
from safecommons.tips.services.tipster import delete_files

# --- Rules an agency admin edits


def routing_rule_save(*, actor: Actor, agency: Organisation, category: str, position: int = 1,
                      assign_unit: Unit | None = None, assign_officer=None, refer_to: Organisation | None = None,
                      set_priority: int | None = None) -> RoutingRule:
    require(actor, "tip.rules", agency)
    if category not in Category.values:
        raise Refused(_("Choose the category the rule applies to."))
    if assign_officer is not None and not Membership.objects.active().filter(
            user=assign_officer, organisation=agency, role__in=TIP_OFFICER_ROLES).exists():
        raise Refused(_("That person is not an officer of this agency."))
    if not (assign_unit or assign_officer or refer_to or set_priority):
        raise Refused(_("A rule must do something: assign a unit or officer, refer to a partner or set a priority."))
    if assign_unit is not None and assign_unit.agency_id != agency.pk:
        raise Refused(_("That unit belongs to another agency."))
    if refer_to is not None:
        from safecommons.partners.selectors import grant_covering

        if grant_covering(scope=Scope.TIP_REFERRALS, provider_id=agency.pk, recipient_id=refer_to.pk) is None:
            raise Refused(_("No agreement in force lets tips be referred to %(name)s.") % {"name": refer_to.name})
    with transaction.atomic():
        rule = RoutingRule.objects.create(agency=agency, category=category, position=position,
                                          assign_unit=assign_unit, assign_officer=assign_officer,
                                          refer_to=refer_to, set_priority=set_priority)
        audit_record(action="tip.routing_rule_added", actor=actor, target=rule, organisation=agency,
                     details={"category": category, "unit": getattr(assign_unit, "pk", None),
                              "refer_to": getattr(refer_to, "pk", None)})
    return rule


def routing_rule_delete(*, actor: Actor, rule: RoutingRule) -> None:
    require(actor, "tip.rules", rule.agency)
    with transaction.atomic():
        audit_record(action="tip.routing_rule_removed", actor=actor, target=rule, organisation=rule.agency,
                     details={"category": rule.category})
        rule.delete()


def retention_rule_save(*, actor: Actor, agency: Organisation, status: str, category: str,
                        keep_days: int) -> RetentionRule:
    require(actor, "tip.rules", agency)
    if keep_days < 1:
        raise Refused(_("Keep tips for at least one day."))
    with transaction.atomic():
        rule, _created = RetentionRule.objects.update_or_create(
            agency=agency, status=status, category=category, defaults={"keep_days": keep_days})
        audit_record(action="tip.retention_rule_set", actor=actor, target=rule, organisation=agency,
                     details={"status": status, "category": category, "keep_days": keep_days})
    return rule


def retention_rule_delete(*, actor: Actor, rule: RetentionRule) -> None:
    require(actor, "tip.rules", rule.agency)
    with transaction.atomic():
        audit_record(action="tip.retention_rule_removed", actor=actor, target=rule, organisation=rule.agency,
                     details={"status": rule.status, "category": rule.category})
        rule.delete()


# --- Retention


def tips_purge_expired(*, now: datetime | None = None, batch: int = 500) -> int:
    """Delete tips past their retention, files included; each purge is in the audit trail; holds win."""
    from safecommons.tips.selectors import retention_rules_all, tip_expired, tips_expired

    now = now or timezone.now()
    rules = retention_rules_all()
    purged = 0
    expired = list(tips_expired(now=now))
    for start in range(0, len(expired), batch):
        chunk = expired[start:start + batch]
        with transaction.atomic():
            # Read again under the lock: a hold or a status change since the list was made wins.
            locked = Tip.objects.select_for_update().filter(pk__in=[e.tip_id for e in chunk], legal_hold=False)
            tips = [tip for tip in locked if tip_expired(tip, now=now, rules=rules)]
            names = list(TipAttachment.objects.filter(tip__in=tips).values_list("file", flat=True))
            keep_days = {e.tip_id: e.keep_days for e in chunk}
            for tip in tips:
                audit_record(action="tip.purged", actor_label="retention schedule", organisation=tip.agency,
                             target=tip, details={"reference": tip.reference, "category": tip.category,
                                                  "status": tip.status, "keep_days": keep_days[tip.pk],
                                                  "files": tip.attachments.count()})
            Tip.objects.filter(pk__in=[t.pk for t in tips]).delete()
            transaction.on_commit(lambda names=names: delete_files(names))
            purged += len(tips)
    return purged
