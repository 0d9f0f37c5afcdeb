"""The owner answers a footage request: share footage (files uploaded through the evidence locker first),
decline, or say there is no footage. Unanswered requests expire.

A decline is final and says nothing about who declined: the request keeps no answering person and no
note, and the audit entry names only "the camera owner", so nothing an officer can read identifies them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.cameras.models import FootageRequest, OwnerNotice
from safecommons.cameras.services.evidence import evidence_drafts_discard
from safecommons.cameras.services.notices import owner_notify
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.partners import selectors as partner_selectors
from safecommons.partners.models import Scope

ANSWER_ACTIONS = {
    FootageRequest.Status.APPROVED: "footage.approved",
    FootageRequest.Status.DECLINED: "footage.declined",
    FootageRequest.Status.NO_FOOTAGE: "footage.no_footage",
}
NOTE_MAX_CHARS = 2000


def footage_request_answer(*, actor: Actor, footage_request: FootageRequest, answer: str,
                           note: str = "") -> FootageRequest:
    """Record the owner's answer to a pending request.

    `answer` is approved (at least one file must already be in the locker for this request), declined or
    no_footage. The note goes to the officer with an approval or a "no footage"; a decline keeps none.
    """
    require(actor, "footage.answer", footage_request)
    if answer not in ANSWER_ACTIONS:
        raise Refused(_("Choose one answer: share footage, decline, or no footage."))
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise Refused(_("Keep the note under %(count)d characters.") % {"count": NOTE_MAX_CHARS})
    now = timezone.now()
    with transaction.atomic():
        locked = FootageRequest.objects.select_for_update().get(pk=footage_request.pk)
        if locked.status != FootageRequest.Status.PENDING:
            raise Refused(_("This request has already been answered or has expired."))
        if locked.expires_at <= now:
            raise Refused(_("This request has expired; it can no longer be answered."))
        if answer == FootageRequest.Status.APPROVED and not locked.evidence.exists():
            raise Refused(_("Upload at least one file before sending the footage."))
        if answer == FootageRequest.Status.APPROVED and not footage_may_flow(locked):
            raise Refused(_("The agreement under which this request was made is no longer in force, so no "
                            "footage may be sent for it. You can still decline it or say there is none."))
        declined = answer == FootageRequest.Status.DECLINED
        locked.status = answer
        locked.answered_at = now
        locked.answered_by_id = None if declined else actor.user_id
        locked.answer_note = "" if declined else note
        locked.save(update_fields=["status", "answered_at", "answered_by", "answer_note", "updated_at"])
        details = {"case_number": locked.case_number, "agency_id": locked.agency_id}
        if answer != FootageRequest.Status.APPROVED:  # files uploaded but not sent stay the owner's: gone
            details["files_discarded"] = evidence_drafts_discard(footage_request=locked)
        if declined:
            audit_record(action=ANSWER_ACTIONS[answer], actor_label="camera owner", target=locked, details=details)
        else:
            details["files"] = locked.evidence.count()
            audit_record(action=ANSWER_ACTIONS[answer], actor=actor, target=locked, details=details)
    footage_request.refresh_from_db()
    return footage_request


def footage_may_flow(footage_request: FootageRequest) -> bool:
    """Whether footage may go to the requesting agency now: always from a resident's camera (registering is
    consent to be asked), from an organisation's only under an agreement in force with the
    footage-on-request scope (checked again when the footage is sent, not only when it was asked for)."""
    owner = footage_request.camera.owner_organisation_id
    return owner is None or partner_selectors.grant_covering(
        scope=Scope.FOOTAGE_ON_REQUEST, provider_id=owner, recipient_id=footage_request.agency_id) is not None


def footage_requests_expire() -> int:
    """Requests still pending past their date expire; the owner is told in the app. Returns how many."""
    now = timezone.now()
    expired = 0
    for pk in FootageRequest.objects.filter(status=FootageRequest.Status.PENDING,
                                            expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            footage_request = (FootageRequest.objects.select_for_update().select_related("camera")
                               .filter(pk=pk, status=FootageRequest.Status.PENDING).first())
            if footage_request is None:  # answered in the meantime
                continue
            footage_request.status = FootageRequest.Status.EXPIRED
            footage_request.save(update_fields=["status", "updated_at"])
            evidence_drafts_discard(footage_request=footage_request, by="system")
            owner_notify(kind=OwnerNotice.Kind.REQUEST_EXPIRED, camera=footage_request.camera,
                         footage_request=footage_request, email=False)
            audit_record(action="footage.expired", actor_label="system", target=footage_request,
                         details={"case_number": footage_request.case_number, "agency_id": footage_request.agency_id})
            expired += 1
    return expired
