"""The staff side: open a tip (audited), triage, notes, messages and questions, rewards, legal hold."""


from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.accounts.models import Membership
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import TIP_OFFICER_ROLES, TIP_REWARD_ROLES, Actor, require
from safecommons.partners.models import Unit
from safecommons.tips import credentials
from safecommons.tips.models import (
    Disposition,
    Priority,
    RelatedTip,
    Status,
    Tip,
    TipAttachment,
    TipMessage,
    TipNote,
)
from safecommons.tips.services.tipster import MAX_TEXT

# --- The staff side


def tip_open(*, actor: Actor, tip: Tip, purpose: str = "view") -> Tip:
    """Every staff look at a tip is written to the audit trail."""
    require(actor, "tip.read", tip)
    audit_record(action="tip.viewed", actor=actor, target=tip, organisation=tip.agency,
                 details={"reference": tip.reference, "purpose": purpose})
    return tip


def tip_attachment_open(*, actor: Actor, tip: Tip, attachment_id: int) -> TipAttachment:
    """A file of a tip, for someone who may read the tip; each opening is in the audit trail."""
    require(actor, "tip.read", tip)
    attachment = tip.attachments.get(pk=attachment_id)
    audit_record(action="tip.file_viewed", actor=actor, target=tip, organisation=tip.agency,
                 details={"reference": tip.reference, "attachment": attachment.pk})
    return attachment


def tip_triage(*, actor: Actor, tip: Tip, status: str, priority: int, disposition: str = "",
               unit: Unit | None = None, officer=None) -> Tip:
    require(actor, "tip.triage", tip)
    if status not in Status.values or priority not in Priority.values:
        raise Refused(_("Choose a status and a priority."))
    if status == Status.CLOSED and disposition not in Disposition.values:
        raise Refused(_("A tip is closed with a disposition: say what came of it."))
    if unit is not None and unit.agency_id != tip.agency_id:
        raise Refused(_("That unit belongs to another agency."))
    if officer is not None and not Membership.objects.active().filter(
            user=officer, organisation_id=tip.agency_id, role__in=TIP_OFFICER_ROLES).exists():
        raise Refused(_("That person is not an officer of this agency."))
    before = {"status": tip.status, "priority": tip.priority, "unit": tip.assigned_unit_id,
              "officer": tip.assigned_officer_id}
    with transaction.atomic():
        if status != tip.status:
            tip.status_changed_at = timezone.now()
        tip.status, tip.priority = status, priority
        tip.disposition = disposition if status == Status.CLOSED else ""
        tip.assigned_unit, tip.assigned_officer = unit, officer
        tip.save()
        audit_record(action="tip.triaged", actor=actor, target=tip, organisation=tip.agency,
                     details={"before": before, "status": status, "priority": priority, "disposition": disposition,
                              "unit": tip.assigned_unit_id, "officer": tip.assigned_officer_id})
    return tip


def tip_status_set(*, actor: Actor, tip: Tip, status: str, disposition: str = "") -> Tip:
    """An assigned officer moves their tip along (investigating, closed with a disposition)."""
    require(actor, "tip.work", tip)
    if status not in (Status.INVESTIGATING, Status.CLOSED):
        raise Refused(_("Choose investigating or closed."))
    if status == Status.CLOSED and disposition not in Disposition.values:
        raise Refused(_("A tip is closed with a disposition: say what came of it."))
    with transaction.atomic():
        tip.status, tip.status_changed_at = status, timezone.now()
        tip.disposition = disposition if status == Status.CLOSED else ""
        tip.save(update_fields=["status", "status_changed_at", "disposition", "updated_at"])
        audit_record(action="tip.status_changed", actor=actor, target=tip, organisation=tip.agency,
                     details={"status": status, "disposition": disposition})
    return tip


def tip_note_add(*, actor: Actor, tip: Tip, body: str) -> TipNote:
    require(actor, "tip.work", tip)
    if not body.strip():
        raise Refused(_("The note is empty."))
    with transaction.atomic():
        note = TipNote.objects.create(tip=tip, author_id=actor.user_id, body=body.strip()[:MAX_TEXT])
        audit_record(action="tip.note_added", actor=actor, target=tip, organisation=tip.agency)
    return note


def tip_message_send(*, actor: Actor, tip: Tip, body: str, is_question: bool = False) -> TipMessage:
    """A message or a question to the tipster, shown to them when they come back with their code."""
    require(actor, "tip.work", tip)
    if not body.strip():
        raise Refused(_("The message is empty."))
    if len(body) > MAX_TEXT:
        raise Refused(_("Please keep a message under 10,000 characters."))
    with transaction.atomic():
        message = TipMessage.objects.create(tip=tip, direction=TipMessage.Direction.TO_TIPSTER, body=body.strip(),
                                            is_question=is_question, author_id=actor.user_id)
        audit_record(action="tip.question_sent" if is_question else "tip.message_sent", actor=actor, target=tip,
                     organisation=tip.agency)
    return message


def tip_reward_set(*, actor: Actor, tip: Tip, amount: Decimal | None) -> Tip:
    """Mark a tip reward-eligible with an amount (or withdraw an unclaimed offer with None)."""
    require(actor, "tip.reward", tip)
    if amount is not None and amount <= 0:
        raise Refused(_("A reward is a positive amount."))
    with transaction.atomic():
        tip = Tip.objects.select_for_update().get(pk=tip.pk)  # a claim may be racing this change
        if tip.reward_claimed_at is not None:
            raise Refused(_("The reward has been claimed; it can no longer be changed."))
        tip.reward_amount = amount
        tip.save(update_fields=["reward_amount", "updated_at"])
        audit_record(action="tip.reward_set", actor=actor, target=tip, organisation=tip.agency,
                     details={"amount": str(amount) if amount is not None else None})
    return tip


def reward_payout(*, actor: Actor, payout_code: str) -> Tip:
    """At the payout point: the code the tipster shows is checked and the reward marked paid, once."""
    require(actor, "tip.payout_desk")
    agencies = [m.organisation_id for m in actor.memberships if m.role in TIP_REWARD_ROLES]
    with transaction.atomic():
        tip = (Tip.objects.select_for_update().select_related("agency")
               .filter(agency_id__in=agencies, payout_code_digest=credentials.code_digest(payout_code),
                       reward_claimed_at__isnull=False, reward_amount__isnull=False).first())
        if tip is None or not credentials.code_normalize(payout_code):
            audit_record(action="tip.payout_refused", actor=actor, outcome="denied")
            raise Refused(_("No claimed reward has that payout code."))
        require(actor, "tip.payout", tip.agency)
        if tip.reward_paid_at is not None:
            raise Refused(_("This reward was already paid on %(date)s.") % {"date": tip.reward_paid_at.date()})
        tip.reward_paid_at = timezone.now()
        tip.save(update_fields=["reward_paid_at", "updated_at"])
        audit_record(action="tip.reward_paid", actor=actor, target=tip, organisation=tip.agency,
                     details={"amount": str(tip.reward_amount)})
    return tip


def tip_legal_hold_set(*, actor: Actor, tip: Tip, on: bool, reason: str = "") -> Tip:
    require(actor, "tip.legal_hold", tip)
    if on and not reason.strip():
        raise Refused(_("Give the reason for the hold (case number, court order…)."))
    with transaction.atomic():
        tip.legal_hold, tip.legal_hold_reason = on, reason.strip()[:300] if on else ""
        tip.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
        audit_record(action="tip.legal_hold_on" if on else "tip.legal_hold_off", actor=actor, target=tip,
                     organisation=tip.agency, reason=reason[:500])
    return tip


def tip_related_decide(*, actor: Actor, link: RelatedTip, confirm: bool) -> RelatedTip:
    require(actor, "tip.relate", link.tip)
    with transaction.atomic():
        link.decision = RelatedTip.Decision.CONFIRMED if confirm else RelatedTip.Decision.DISMISSED
        link.decided_by_id, link.decided_at = actor.user_id, timezone.now()
        link.save(update_fields=["decision", "decided_by", "decided_at"])
        audit_record(action="tip.related_" + link.decision, actor=actor, target=link.tip, organisation=link.tip.agency,
                     details={"other": link.other.reference})
    return link
