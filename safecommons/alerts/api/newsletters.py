"""The alerts API: newsletters. The archive of sent issues is open to anyone; the staff's list, prepare and
approve need a browser session of someone holding `newsletter.prepare` / `newsletter.approve`."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from safecommons.alerts.models import Newsletter
from safecommons.alerts.selectors import newsletters as selectors
from safecommons.alerts.services import newsletters as services
from safecommons.core.api import PUBLIC_DOC, SESSION_ONLY, request_actor
from safecommons.core.errors import Refused
from safecommons.places.models import Area

router = Router(tags=["alerts"])


class Refusal(Schema):
    detail: str


class IssueOut(Schema):
    id: int
    area_id: int
    area_name: str
    period: str = Field(description="weekly or monthly")
    period_start: date
    period_end: date
    state: str = Field(description="draft, approved or sent")
    sent_at: datetime | None
    url: str = Field(description="The issue's public page (sent issues only; empty otherwise)")


class IssueDetailOut(IssueOut):
    subject: str
    text: str = Field(description="The plain-text body, in the language asked for")
    content: dict = Field(description="The frozen figures, tip, officers and events (docs/newsletters.md)")


def _issue(newsletter: Newsletter) -> dict:
    return {"id": newsletter.pk, "area_id": newsletter.area_id, "area_name": newsletter.area.name,
            "period": newsletter.period, "period_start": newsletter.period_start,
            "period_end": newsletter.period_end, "state": newsletter.state, "sent_at": newsletter.sent_at,
            "url": services.newsletter_url(newsletter) if newsletter.state == Newsletter.State.SENT else ""}


def _detail(newsletter: Newsletter, language: str) -> dict:
    message = services.newsletter_message(newsletter, language if language in dict(settings.LANGUAGES)
                                          else settings.LANGUAGE_CODE)
    return {**_issue(newsletter), "subject": message.subject, "text": message.text, "content": newsletter.content}


@router.get("/newsletters", response=list[IssueOut], auth=None, openapi_extra=PUBLIC_DOC,
            summary="The archive of sent newsletter issues")
def archive(request, area: int | None = None):
    """Sent issues, newest first (at most 200); `area` for one neighborhood."""
    return [_issue(n) for n in selectors.newsletters_archive(area_id=area)[:200]]


@router.get("/newsletters/{newsletter_id}", response={200: IssueDetailOut, 404: Refusal}, auth=None,
            openapi_extra=PUBLIC_DOC, summary="One sent newsletter issue")
def issue(request, newsletter_id: int, language: str = "en"):
    """A sent issue with its frozen content and its text in `language` (en or es). Drafts are not found."""
    return _detail(selectors.newsletter_public_get(newsletter_id=newsletter_id), language)


@router.get("/staff/newsletters", response={200: list[IssueOut], 403: Refusal}, auth=SESSION_ONLY,
            summary="Your agency's newsletter issues, drafts included")
def staff_list(request, state: str = ""):
    """Every issue of the agencies whose newsletters you prepare (at most 200); `state` draft, approved or sent."""
    issues = selectors.newsletters_staff(actor=request_actor(request),
                                         state=state if state in Newsletter.State.values else "")
    return [_issue(n) for n in issues[:200]]


class PrepareIn(Schema):
    area_id: int = Field(description="A neighborhood of your agency")
    period: str = Field(description="weekly or monthly")
    period_start: date = Field(description="A Monday (weekly) or the 1st (monthly); the period must have ended")


@router.post("/staff/newsletters", response={201: IssueDetailOut, 400: Refusal, 403: Refusal},
             auth=SESSION_ONLY, summary="Prepare (or refresh) a newsletter draft")
def prepare(request, body: PrepareIn):
    """Works out the figures for the neighborhood and period and freezes them in a draft; a draft that exists
    is refreshed; an approved or sent issue is refused (400)."""
    actor = request_actor(request)
    area = Area.objects.filter(pk=body.area_id).select_related("agency").first()
    if area is None:
        raise Refused(_("There is no area with this id."))
    newsletter = services.newsletter_prepare(actor=actor, area=area, period=body.period,
                                             period_start=body.period_start)
    return Status(201, _detail(newsletter, "en"))


@router.post("/staff/newsletters/{newsletter_id}/approve", response={200: IssueOut, 400: Refusal, 403: Refusal,
                                                                     404: Refusal},
             auth=SESSION_ONLY, summary="Approve a newsletter draft and send it")
def approve(request, newsletter_id: int):
    """Approves the draft and queues its delivery to the neighborhood's newsletter subscribers."""
    actor = request_actor(request)
    newsletter = selectors.newsletter_staff_get(actor=actor, newsletter_id=newsletter_id)
    return _issue(services.newsletter_approve(actor=actor, newsletter=newsletter))
