"""The alerts API: alerts. Anyone reads the current public alerts, one public alert and its CAP 1.2 message;
agency staff compose, submit, approve, send back, update and cancel with a signed-in session (no API key
publishes an alert: a person answers for every one). Drills and tests are never returned to the public."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from safecommons.alerts.models import Alert, CapCategory, Certainty, Severity, Topic, Urgency
from safecommons.alerts.selectors import alerts as alert_selectors
from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import HEADLINE_MAX, AlertDraft, InfoText
from safecommons.alerts.services.cap import CAP_CONTENT_TYPE, alert_cap_xml, alert_public_url
from safecommons.core.api import PUBLIC_DOC, SESSION_ONLY, request_actor
from safecommons.core.permissions import ANONYMOUS
from safecommons.partners.models import Organisation

router = Router(tags=["alerts"])
LIST_LIMIT = 200


class InfoSchema(Schema):
    language: str = Field(description="en or es")
    headline: str = Field(max_length=HEADLINE_MAX)
    description: str
    instruction: str = ""


class CircleSchema(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(description="Metres")


class AlertOut(Schema):
    identifier: str
    agency: str = Field(description="The agency's slug")
    state: str
    cap_status: str = Field(description="Actual, Exercise or Test")
    msg_type: str = Field(description="Alert, Update or Cancel")
    scope: str
    references: str | None = Field(description="Identifier of the alert this updates or cancels")
    topic: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    onset: datetime | None
    expires: datetime | None
    sent_at: datetime | None
    area_description: str
    polygons: list[list[list[float]]] = Field(description="Rings of [lon, lat], closed")
    circles: list[CircleSchema]
    area_ids: list[int]
    infos: list[InfoSchema]
    url: str = Field(description="The public page")
    cap_url: str = Field(description="The CAP 1.2 message")


class AlertIn(Schema):
    agency: str | None = Field(None, description="The agency's slug; your agency when you work for one only")
    cap_status: Alert.CapStatus = Alert.CapStatus.ACTUAL
    scope: Alert.Scope = Alert.Scope.PUBLIC
    topic: Topic = Topic.CRIME
    category: CapCategory = CapCategory.SECURITY
    event: str = Field(max_length=120)
    urgency: Urgency = Urgency.EXPECTED
    severity: Severity = Severity.MODERATE
    certainty: Certainty = Certainty.LIKELY
    onset: AwareDatetime | None = None
    expires: AwareDatetime
    area_description: str = Field(max_length=300)
    polygons: list[list[list[float]]] = Field(default_factory=list, description="Rings of [lon, lat], closed")
    circles: list[CircleSchema] = Field(default_factory=list)
    area_ids: list[int] = Field(default_factory=list, description="Named areas (neighborhoods, beats) of the agency")
    infos: list[InfoSchema] = Field(min_length=1, description="One per language; English required")

    def draft(self) -> AlertDraft:
        return AlertDraft(
            event=self.event, area_description=self.area_description, topic=self.topic, category=self.category,
            urgency=self.urgency, severity=self.severity, certainty=self.certainty, cap_status=self.cap_status,
            scope=self.scope, onset=self.onset, expires=self.expires, polygons=self.polygons,
            circles=[circle.dict() for circle in self.circles], area_ids=self.area_ids,
            infos={info.language: InfoText(info.headline, info.description, info.instruction) for info in self.infos})


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000)


def _out(alert: Alert) -> dict:
    return {
        "identifier": alert.identifier, "agency": alert.agency.slug, "state": alert.state,
        "cap_status": alert.cap_status, "msg_type": alert.msg_type, "scope": alert.scope,
        "references": alert.references.identifier if alert.references_id else None, "topic": alert.topic,
        "category": alert.category, "event": alert.event, "urgency": alert.urgency, "severity": alert.severity,
        "certainty": alert.certainty, "onset": alert.onset, "expires": alert.expires, "sent_at": alert.sent_at,
        "area_description": alert.area_description, "polygons": alert.area_polygons, "circles": alert.area_circles,
        "area_ids": [area.pk for area in alert.areas.all()],
        "infos": [{"language": i.language, "headline": i.headline, "description": i.description,
                   "instruction": i.instruction} for i in alert.infos.all()],
        "url": alert_public_url(alert), "cap_url": _cap_url(alert),
    }


def _cap_url(alert: Alert) -> str:
    return f"{settings.SITE_URL}{reverse('alerts:public_cap', args=[alert.identifier])}"


# --- Public


@router.get("/alerts", response=list[AlertOut], auth=None, openapi_extra=PUBLIC_DOC, url_name="alerts_current")
def alerts_current(request, agency: str | None = None):
    """The public alerts in force now, newest first: neither expired, updated nor cancelled. Drills, tests and
    partner-only alerts are never listed."""
    organisation = Organisation.objects.filter(slug=agency).first() if agency else None
    if agency and organisation is None:
        return []
    return [_out(alert) for alert in alert_selectors.public_alerts_current(agency=organisation)[:LIST_LIMIT]]


@router.get("/alerts/{identifier}", response=AlertOut, auth=None, openapi_extra=PUBLIC_DOC, url_name="alert_public")
def alert_public(request, identifier: str):
    """One published public alert (also one expired, updated or cancelled); 404 for anything else."""
    return _out(alert_selectors.alert_public_get(actor=ANONYMOUS, identifier=identifier))


@router.get("/alerts/{identifier}/cap", auth=None, openapi_extra={**PUBLIC_DOC, "responses": {
    200: {"description": "The CAP 1.2 message", "content": {CAP_CONTENT_TYPE: {"schema": {"type": "string"}}}}}},
    url_name="alert_cap")
def alert_cap(request, identifier: str):
    """The alert as a CAP 1.2 message (application/cap+xml)."""
    alert = alert_selectors.alert_public_get(actor=ANONYMOUS, identifier=identifier)
    return HttpResponse(alert_cap_xml(alert), content_type=f"{CAP_CONTENT_TYPE}; charset=utf-8")


# --- Staff


@router.post("/alerts", response={201: AlertOut}, auth=SESSION_ONLY, url_name="alert_compose")
def alert_compose(request, payload: AlertIn):
    """Save a draft alert of your agency (officers, liaisons, supervisors, admins). 400 with the reasons when
    the draft cannot be saved (expiry before onset, no area, an open or crossed polygon, a circle too small
    or too large, a headline over 160 characters, no English version)."""
    actor = request_actor(request)
    agency = alert_selectors.alert_staff_agency(actor=actor, slug=payload.agency or "")
    return Status(201, _out(alert_services.alert_compose(actor=actor, agency=agency, draft=payload.draft())))


@router.get("/staff/alerts/{identifier}", response=AlertOut, auth=SESSION_ONLY, url_name="alert_staff")
def alert_staff(request, identifier: str):
    """Any alert of your agency, drafts and drills included (agency staff)."""
    return _out(alert_selectors.alert_staff_get(actor=request_actor(request), identifier=identifier))


@router.put("/alerts/{identifier}", response=AlertOut, auth=SESSION_ONLY, url_name="alert_edit")
def alert_edit(request, identifier: str, payload: AlertIn):
    """Change a draft (or one sent back). Whoever changes it becomes its composer."""
    actor = request_actor(request)
    alert = alert_selectors.alert_staff_get(actor=actor, identifier=identifier)
    return _out(alert_services.alert_edit(actor=actor, alert=alert, draft=payload.draft()))


def _step(service):
    def run(request, identifier: str, **kwargs):
        actor = request_actor(request)
        alert = alert_selectors.alert_staff_get(actor=actor, identifier=identifier)
        return service(actor=actor, alert=alert, **kwargs)

    return run


@router.post("/alerts/{identifier}/submit", response=AlertOut, auth=SESSION_ONLY, url_name="alert_submit")
def alert_submit(request, identifier: str):
    """Submit a draft: an Actual alert waits for a second person; a drill or test is published at once to the
    test list."""
    return _out(_step(alert_services.alert_submit)(request, identifier))


@router.post("/alerts/{identifier}/approve", response=AlertOut, auth=SESSION_ONLY, url_name="alert_approve")
def alert_approve(request, identifier: str):
    """Approve and publish (a supervisor or admin of the agency who did not compose it)."""
    return _out(_step(alert_services.alert_approve)(request, identifier))


@router.post("/alerts/{identifier}/reject", response=AlertOut, auth=SESSION_ONLY, url_name="alert_reject")
def alert_reject(request, identifier: str, payload: ReasonIn):
    """Send a submitted alert back to its composer, with a reason (required)."""
    return _out(_step(alert_services.alert_reject)(request, identifier, reason=payload.reason))


@router.post("/alerts/{identifier}/update", response={201: AlertOut}, auth=SESSION_ONLY, url_name="alert_update")
def alert_update(request, identifier: str):
    """Open an update of a published alert: a new draft referencing it, with its fields copied."""
    return Status(201, _out(_step(alert_services.alert_update_start)(request, identifier)))


@router.post("/alerts/{identifier}/cancel", response={201: AlertOut}, auth=SESSION_ONLY, url_name="alert_cancel")
def alert_cancel(request, identifier: str, payload: ReasonIn):
    """Cancel a published alert now: the cancellation is published at once, without a second person. It says
    only fixed text ("Cancelled: <headline>", "… is cancelled; no further action is needed.") in each language
    of the alert; `reason` is kept in the alert's audit history for staff and never published."""
    return Status(201, _out(_step(alert_services.alert_cancel)(request, identifier, reason=payload.reason)))
