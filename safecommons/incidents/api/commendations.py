"""Commendations over HTTP: supervisors issue them, recipients read theirs and decide whether they are shown
publicly, and anyone reads the public list. Sessions only for everything but the public list."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Router, Schema, Status

from safecommons.core.api import PUBLIC_DOC, SESSION_ONLY, request_actor
from safecommons.incidents.models import Commendation
from safecommons.incidents.selectors import commendations as selectors
from safecommons.incidents.services import commendations as services

router = Router(tags=["incidents"])


class CommendationIn(Schema):
    recipient_email: str
    title: str
    citation: str
    incident_id: int | None = None
    agency_id: int | None = None  # only for someone serving more than one agency


class CommendationOut(Schema):
    id: int
    number: str
    title: str
    citation: str
    agency_id: int
    agency: str
    recipient: str
    incident_id: int | None
    issued_at: datetime
    issued_by: str
    public_consent: bool | None
    consent_answered_at: datetime | None
    url: str
    certificate_url: str

    @staticmethod
    def resolve_agency(obj: Commendation) -> str:
        return obj.agency.name

    @staticmethod
    def resolve_recipient(obj: Commendation) -> str:
        return selectors.recipient_name(obj.recipient)

    @staticmethod
    def resolve_issued_by(obj: Commendation) -> str:
        return selectors.recipient_name(obj.issued_by) if obj.issued_by_id else ""

    @staticmethod
    def resolve_url(obj: Commendation) -> str:
        return reverse("incidents:commendation_detail", args=[obj.pk])

    @staticmethod
    def resolve_certificate_url(obj: Commendation) -> str:
        return reverse("incidents:commendation_certificate", args=[obj.pk])


class IssuedOut(CommendationOut):
    """As agency staff see it: with the recipient's email."""

    recipient_email: str

    @staticmethod
    def resolve_recipient_email(obj: Commendation) -> str:
        return obj.recipient.email


class CommendationsOut(Schema):
    received: list[CommendationOut]
    issued: list[IssuedOut]


class ConsentIn(Schema):
    public: bool


class PublicCommendationOut(Schema):
    number: str
    title: str
    citation: str
    recipient: str
    agency: str
    issued_at: datetime
    certificate_url: str

    @staticmethod
    def resolve_recipient(obj: Commendation) -> str:
        return selectors.recipient_name(obj.recipient)

    @staticmethod
    def resolve_agency(obj: Commendation) -> str:
        return obj.agency.name

    @staticmethod
    def resolve_certificate_url(obj: Commendation) -> str:
        return reverse("incidents:commendation_certificate", args=[obj.pk])


LIST_LIMIT = 500


@router.post("/commendations", response={201: IssuedOut}, auth=SESSION_ONLY)
def commendation_create(request, payload: CommendationIn):
    """Issue a commendation (supervisors and agency admins) to a signed-up person named by email, optionally
    for one of the agency's closed incidents. The recipient is emailed a link to it."""
    actor = request_actor(request)
    incident = selectors.commendation_incident(incident_id=payload.incident_id) if payload.incident_id else None
    agency_id = payload.agency_id if payload.agency_id is not None else (incident.agency_id if incident else None)
    agency = selectors.commendation_agency(actor=actor, agency_id=agency_id)
    recipient = selectors.commendation_recipient(email=payload.recipient_email)
    commendation = services.commendation_issue(actor=actor, agency=agency, recipient=recipient, title=payload.title,
                                               citation=payload.citation, incident=incident,
                                               site_url=request.build_absolute_uri("/"))
    return Status(201, commendation)


@router.get("/commendations", response=CommendationsOut, auth=SESSION_ONLY)
def commendation_list(request):
    """The commendations you received and, for agency staff, those your agency issued."""
    actor = request_actor(request)
    return {"received": list(selectors.commendations_for_recipient(actor=actor)[:LIST_LIMIT]),
            "issued": list(selectors.commendations_issued(actor=actor)[:LIST_LIMIT])}


@router.get("/commendations/public", response=list[PublicCommendationOut], auth=None, openapi_extra=PUBLIC_DOC)
def commendation_public_list(request):
    """The commendations their recipients agreed to show publicly: name, title, citation, agency and date."""
    return list(selectors.commendations_public()[:LIST_LIMIT])


@router.post("/commendations/{commendation_id}/consent", response=CommendationOut, auth=SESSION_ONLY)
def commendation_consent(request, commendation_id: int, payload: ConsentIn):
    """The recipient's answer: may the commendation be shown publicly? It can be changed at any time."""
    actor = request_actor(request)
    commendation = selectors.commendation_get(actor=actor, commendation_id=commendation_id)
    return services.commendation_consent_set(actor=actor, commendation=commendation, public=payload.public)
