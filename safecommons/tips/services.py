"""Writing tips: the tipster's side (submit, return, reply, claim) and the staff side (triage and follow-up).

Nothing here takes a request. The only thing a view passes about the tipster's connection is
`client_key`, a keyed hash that lives in the cache for an hour (throttle.py) and is never stored.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.accounts.models import Membership
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused, Throttled
from safecommons.core.media import CleanFile, media_clean, upload_wipe
from safecommons.core.permissions import TIP_OFFICER_ROLES, TIP_REWARD_ROLES, Actor, MembershipRef, require
from safecommons.core.roles import Role
from safecommons.partners.models import Organisation, OrganisationKind, Scope, Unit
from safecommons.partners.services import NoAgreement, data_flow_authorize
from safecommons.places.selectors import address_locate, areas_at_point
from safecommons.tips import credentials, relate, throttle
from safecommons.tips.models import (
    Category,
    Disposition,
    LocationKind,
    Priority,
    RelatedTip,
    RetentionRule,
    RoutingRule,
    Status,
    Tip,
    TipAttachment,
    TipMessage,
    TipNote,
    TipReferral,
)

MAX_TEXT = 10_000
MAX_FILES = 10


@dataclass
class TipInput:
    category: str
    description: str
    people_seen: str = ""
    vehicles_seen: str = ""
    location_kind: str = LocationKind.UNKNOWN
    location_text: str = ""
    longitude: float | None = None
    latitude: float | None = None
    occurred_at: datetime | None = None
    occurred_text: str = ""
    language: str = "en"
    contact_opt_in: bool = False
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class Receipt:
    """Shown once to the tipster and then gone: only digests of it are kept."""

    tip: Tip
    code: str
    passphrase: str


# --- The tipster's side


def tip_submit(*, data: TipInput, files=(), client_key: str) -> Receipt:
    """Take a tip. Files are cleaned of metadata before anything is stored; a refused file stores nothing."""
    if throttle.hit("submit", client_key) > settings.TIP_SUBMISSIONS_PER_HOUR:
        _wipe_all(files)
        raise Throttled(_("Too many tips have been sent in a short time. Please wait a while, "
                                "or call the non-emergency line."))
    if data.occurred_at is not None and timezone.is_naive(data.occurred_at):
        data = replace(data, occurred_at=timezone.make_aware(data.occurred_at))  # read as the agency's local time
    try:
        _validate(data)
    except Refused:
        _wipe_all(files)
        raise
    cleaned = _clean_files(files)
    longitude, latitude, area = _locate(data)
    now = timezone.now()
    code, passphrase = credentials.code_new(), credentials.passphrase_new()
    stored: list[str] = []
    try:
        with transaction.atomic():
            tip = Tip.objects.create(
                reference=credentials.reference_new(),
                agency=_receiving_agency(area),
                code_digest=credentials.code_digest(code),
                passphrase_hash=credentials.passphrase_hash(passphrase),
                category=data.category,
                description=data.description.strip(),
                people_seen=data.people_seen.strip(),
                vehicles_seen=data.vehicles_seen.strip(),
                language=data.language if data.language in dict(settings.LANGUAGES) else "en",
                location_kind=data.location_kind,
                location_text=data.location_text.strip()[:300],
                longitude=longitude,
                latitude=latitude,
                area=area,
                occurred_at=data.occurred_at,
                occurred_text=data.occurred_text.strip()[:120],
                event_at=data.occurred_at or now,
                terms=relate.terms_of(data.description, data.people_seen, data.vehicles_seen),
                contact_opt_in=data.contact_opt_in,
                contact_name=data.contact_name.strip()[:120] if data.contact_opt_in else "",
                contact_phone=data.contact_phone.strip()[:40] if data.contact_opt_in else "",
                contact_email=data.contact_email.strip()[:254] if data.contact_opt_in else "",
                status_changed_at=now,
            )
            stored = _store_files(tip, cleaned)
            # robust: if the queue is down the tipster still gets the receipt; tips_process_pending catches up
            transaction.on_commit(lambda: _enqueue_processing(tip.pk), robust=True)
    except BaseException:
        _delete_files(stored)  # nothing of a failed submission stays on disk
        raise
    return Receipt(tip=tip, code=code, passphrase=passphrase)


def _enqueue_processing(tip_id: int) -> None:
    from safecommons.tips.tasks import tip_process

    tip_process.enqueue(tip_id)


def tip_unlock(*, code: str, passphrase: str, client_key: str) -> Tip:
    """The tipster's way back in. An unknown code and a wrong passphrase look and cost the same."""
    code_key = credentials.code_digest(code)
    # Count the try before checking it, so parallel guesses cannot all slip under the limit.
    by_client = throttle.hit("unlock-client", client_key)
    by_code = throttle.hit("unlock-code", code_key)
    if by_client > settings.TIP_FOLLOW_UP_FAILURES * 4 or by_code > settings.TIP_FOLLOW_UP_FAILURES:
        raise Throttled(_("Too many tries. Wait an hour and try again."))
    tip = Tip.objects.filter(code_digest=code_key).first()
    if not credentials.passphrase_matches(tip.passphrase_hash if tip else None, passphrase):
        raise Refused(_("That code and passphrase do not match a tip. Check both and try again."))
    throttle.reset("unlock-code", code_key)
    return tip


_ACCESS_SALT = "tips.follow-up"
ACCESS_MAX_AGE = 30 * 60


def tipster_access_token(*, tip: Tip) -> str:
    """Carries the tipster from one follow-up form to the next, in the page (never a cookie); 30 minutes."""
    return signing.dumps(tip.pk, salt=_ACCESS_SALT)


def tip_from_access_token(token: str) -> Tip | None:
    try:
        tip_id = signing.loads(token, salt=_ACCESS_SALT, max_age=ACCESS_MAX_AGE)
    except signing.BadSignature:
        return None
    return Tip.objects.filter(pk=tip_id).first()


def tipster_reply(*, tip: Tip, body: str = "", answers: int | None = None, files=()) -> TipMessage | None:
    """The tipster adds information, answers a question, or sends more files."""
    body = body.strip()
    if not body and not files:
        raise Refused(_("Write something or choose a file to send."))
    if len(body) > MAX_TEXT:
        _wipe_all(files)
        raise Refused(_("Please keep a message under 10,000 characters."))
    question = None
    if answers is not None:
        question = tip.messages.filter(pk=answers, is_question=True, direction=TipMessage.Direction.TO_TIPSTER,
                                       answered_by__isnull=True).first()
        if question is None:
            _wipe_all(files)
            raise Refused(_("That question is no longer open."))
    cleaned = _clean_files(files, already=tip.attachments.count())
    stored: list[str] = []
    try:
        with transaction.atomic():
            message = None
            if body:
                message = TipMessage.objects.create(tip=tip, direction=TipMessage.Direction.FROM_TIPSTER, body=body,
                                                    answers=question)
            stored = _store_files(tip, cleaned)
            Tip.objects.filter(pk=tip.pk).update(updated_at=timezone.now())
    except BaseException:
        _delete_files(stored)
        raise
    return message


def tipster_reward_claim(*, tip: Tip) -> str:
    """Give the tipster a payout code for the reward staff set. Shown once; identity is never asked."""
    with transaction.atomic():
        tip = Tip.objects.select_for_update().get(pk=tip.pk)
        if tip.reward_amount is None:
            raise Refused(_("No reward has been offered for this tip."))
        if tip.reward_claimed_at is not None:
            raise Refused(_("The reward for this tip has already been claimed. The payout code was shown once, "
                            "when it was claimed."))
        payout_code = credentials.code_new()
        tip.payout_code_digest = credentials.code_digest(payout_code)
        tip.reward_claimed_at = timezone.now()
        tip.save(update_fields=["payout_code_digest", "reward_claimed_at", "updated_at"])
    return payout_code


# --- Checks and storage


def _validate(data: TipInput) -> None:
    if data.category not in Category.values:
        raise Refused(_("Choose what the tip is about."))
    if len(data.description.strip()) < 10:
        raise Refused(_("Tell us what happened in a few words (at least 10 characters)."))
    if max(len(data.description), len(data.people_seen), len(data.vehicles_seen)) > MAX_TEXT:
        raise Refused(_("Please keep each box under 10,000 characters."))
    if data.location_kind not in LocationKind.values:
        raise Refused(_("Say where it happened, or choose 'I don't know'."))
    if data.location_kind == LocationKind.MAP and (data.longitude is None or data.latitude is None):
        raise Refused(_("Pick the place on the map, or type an address instead."))
    if (data.longitude is None) != (data.latitude is None):
        raise Refused(_("Give both the latitude and the longitude of the place, or neither."))
    if data.longitude is not None and not (-180 <= data.longitude <= 180 and -90 <= data.latitude <= 90):
        raise Refused(_("That place is not on the map."))
    if data.location_kind == LocationKind.ADDRESS and not data.location_text.strip():
        raise Refused(_("Type the address or describe the place, or choose 'I don't know'."))
    if data.occurred_at and data.occurred_at > timezone.now() + timedelta(hours=1):
        raise Refused(_("The time it happened is in the future."))
    if data.contact_opt_in and not (data.contact_phone.strip() or data.contact_email.strip()):
        raise Refused(_("You chose to give contact details: add a phone number or an email, or untick the box."))


def _locate(data: TipInput):
    longitude, latitude = data.longitude, data.latitude
    if data.location_kind == LocationKind.ADDRESS and longitude is None:
        located, _suggestions = address_locate(text=data.location_text)
        if located is not None:
            longitude, latitude = located.longitude, located.latitude
    if data.location_kind == LocationKind.UNKNOWN:
        longitude = latitude = None
    area = None
    if longitude is not None and latitude is not None:
        area = next(iter(areas_at_point(longitude=longitude, latitude=latitude)), None)
    return longitude, latitude, area


def _receiving_agency(area) -> Organisation:
    if area is not None:
        return area.agency
    agency = Organisation.objects.filter(kind=OrganisationKind.AGENCY).order_by("pk").first()
    if agency is None:
        raise Refused(_("This tip line is not set up yet. Please call the police non-emergency line."))
    return agency


def _clean_files(files, *, already: int = 0) -> list[CleanFile]:
    files = list(files)
    if len(files) + already > MAX_FILES:
        _wipe_all(files)
        raise Refused(_("A tip can carry at most %(count)d files.") % {"count": MAX_FILES})
    cleaned = []
    try:
        for upload in files:
            cleaned.append(media_clean(upload, max_bytes=settings.TIP_ATTACHMENT_MAX_BYTES))
    except Refused:
        _wipe_all(files)
        for clean in cleaned:
            clean.content.close()
        raise
    return cleaned


def _wipe_all(files) -> None:
    for upload in files:
        upload_wipe(upload)


def _store_files(tip: Tip, cleaned: list[CleanFile]) -> list[str]:
    """Save the cleaned files under random names; the caller deletes them if its transaction fails."""
    names: list[str] = []
    try:
        for clean in cleaned:
            names.append(default_storage.save(f"tips/{secrets.token_hex(16)}{clean.extension}", clean.content))
            TipAttachment.objects.create(tip=tip, file=names[-1], kind=clean.kind, content_type=clean.content_type,
                                         size=clean.size, sha256=clean.sha256)
    except BaseException:
        _delete_files(names)
        raise
    finally:
        for clean in cleaned:
            clean.content.close()
    return names


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
            _refer(actor=_routing_actor(tip, rule), tip=tip, organisation=rule.refer_to,
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
    agencies = [m.organisation_id for m in actor.memberships if m.role in TIP_REWARD_ROLES]
    if not agencies:
        raise PermissionDenied("tip.payout")
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


# --- Referral to a partner (redacted, under an agreement)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# North American numbers as people write them: 555-0100, (612) 555-0100, +1 612.555.0100 (not dates).
_PHONE = re.compile(r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])?\d{3}[\s.-]\d{4}(?![\w-])")


def redact(text: str) -> str:
    """Emails and phone numbers out of free text before it leaves the agency."""
    return _PHONE.sub("[phone removed]", _EMAIL.sub("[email removed]", text))


def tip_refer(*, actor: Actor, tip: Tip, organisation: Organisation, purpose: str) -> TipReferral:
    require(actor, "tip.triage", tip)
    return _refer(actor=actor, tip=tip, organisation=organisation, purpose=purpose)


def _refer(*, actor: Actor, tip: Tip, organisation: Organisation, purpose: str) -> TipReferral:
    if TipReferral.objects.filter(tip=tip, organisation=organisation).exists():
        raise Refused(_("This tip has already been referred to %(name)s.") % {"name": organisation.name})
    try:  # outside the block below, so that a refusal stays in the audit trail
        flow = data_flow_authorize(actor=actor, scope=Scope.TIP_REFERRALS, provider=tip.agency,
                                   recipient=organisation, purpose=purpose, case_number=tip.reference, target=tip)
    except NoAgreement as exc:
        raise Refused(str(exc)) from exc
    with transaction.atomic():
        summary = redact(tip.description)
        if tip.people_seen:
            summary += "\n\n" + _("People seen:") + " " + redact(tip.people_seen)
        if tip.vehicles_seen:
            summary += "\n\n" + _("Vehicles seen:") + " " + redact(tip.vehicles_seen)
        referral = TipReferral.objects.create(
            tip=tip, organisation=organisation, data_flow=flow, category=tip.category, summary=summary,
            location_text=tip.location_text or (tip.area.name if tip.area_id else ""), event_at=tip.event_at,
        )
    return referral


def referral_acknowledge(*, actor: Actor, referral: TipReferral) -> TipReferral:
    require(actor, "tip.referral", referral)
    with transaction.atomic():
        referral.acknowledged_at = timezone.now()
        referral.save(update_fields=["acknowledged_at"])
        audit_record(action="tip.referral_acknowledged", actor=actor, target=referral,
                     organisation=referral.organisation)
    return referral


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
            transaction.on_commit(lambda names=names: _delete_files(names))
            purged += len(tips)
    return purged


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
