"""Reading the evidence locker: the items of the actor's agencies, one item, and its chain of custody."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from safecommons.cameras.models import EvidenceItem, EvidenceUpload, FootageRequest
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import EVIDENCE_ROLES, Actor, require
from safecommons.partners.models import Organisation


def evidence_locker(*, actor: Actor, case_number: str | None = None) -> QuerySet[EvidenceItem]:
    """The items of the agencies the actor handles evidence for, by case then newest first; one case if
    `case_number` is given (compared without regard to case)."""
    require(actor, "evidence.locker")
    # An owner's files for a request are theirs until they send them (core/permissions.py).
    items = EvidenceItem.objects.filter(agency_id__in=actor.organisation_ids(EVIDENCE_ROLES)).filter(
        Q(footage_request__isnull=True) | Q(footage_request__status=FootageRequest.Status.APPROVED))
    if case_number and case_number.strip():
        items = items.filter(case_number__iexact=case_number.strip())
    return items.select_related("agency", "uploaded_by").order_by("case_number", "-received_at", "-pk")


def evidence_get(*, actor: Actor, uid, rule: str = "evidence.view") -> EvidenceItem:
    """One item by its uid, if the actor passes `rule` for it (evidence.view; evidence.custody for those
    who may read the custody log but not the file). EvidenceItem.DoesNotExist if there is none."""
    item = EvidenceItem.objects.select_related("agency", "uploaded_by", "footage_request").get(uid=uid)
    require(actor, rule, item)
    return item


@dataclass(frozen=True)
class CustodyLog:
    item: EvidenceItem
    uploaded_by: str
    received_at: object
    size: int
    sha256: str
    original_name: str
    entries: list[AuditEntry]


def custody_log(*, actor: Actor, item: EvidenceItem) -> CustodyLog:
    """The facts of the upload and every audit entry about the item, oldest first."""
    require(actor, "evidence.custody", item)
    entries = list(AuditEntry.objects.filter(object_type=EvidenceItem._meta.label_lower, object_id=str(item.pk))
                   .order_by("seq"))
    return CustodyLog(item=item, uploaded_by=str(item.uploaded_by) if item.uploaded_by_id else "",
                      received_at=item.received_at, size=item.size, sha256=item.sha256,
                      original_name=item.original_name, entries=entries)


def evidence_upload_get(*, actor: Actor, uid) -> EvidenceUpload:
    """An upload in progress, for the person who started it only (EvidenceUpload.DoesNotExist otherwise)."""
    if actor.user_id is None or actor.api_key_id is not None:
        raise EvidenceUpload.DoesNotExist
    return EvidenceUpload.objects.get(uid=uid, created_by_id=actor.user_id)


def evidence_for_request(*, actor: Actor, footage_request: FootageRequest) -> QuerySet[EvidenceItem]:
    """What the owner has sent for their request: names and sizes, for the owner's page."""
    require(actor, "footage.answer", footage_request)
    return footage_request.evidence.order_by("received_at", "pk")


def upload_target(*, footage_request_id: int | None, agency_id: int | None,
                  ) -> tuple[FootageRequest | None, Organisation | None]:
    """What an upload names by id: the request it answers, or the agency whose locker it goes to (either
    may be None; DoesNotExist for an unknown id). Whether the actor may upload there is the service's check."""
    footage_request = (FootageRequest.objects.select_related("camera").get(pk=footage_request_id)
                       if footage_request_id is not None else None)
    agency = Organisation.objects.get(pk=agency_id) if agency_id is not None else None
    return footage_request, agency
