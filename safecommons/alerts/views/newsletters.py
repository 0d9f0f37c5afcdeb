"""Newsletter pages: the staff's list, prepare form, preview and approval (rules `newsletter.prepare`,
`newsletter.approve`), the safety tips they rotate through, and the public archive of sent issues."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.alerts.models import Newsletter, SafetyTip
from safecommons.alerts.selectors import newsletters as selectors
from safecommons.alerts.services import newsletters as services
from safecommons.core.errors import Refused
from safecommons.core.forms import is_whole_number
from safecommons.core.permissions import actor_for_user


def _language(text: str | None) -> str:
    languages = dict(settings.LANGUAGES)
    return text if text in languages else (get_language() or settings.LANGUAGE_CODE)[:2]


def _prepare_form(actor, post) -> dict:
    """The prepare form's values as given, and what the service needs; Refused when something is missing."""
    area_text, period, start_text = post.get("area", ""), post.get("period", ""), post.get("period_start", "")
    if not is_whole_number(area_text):
        raise Refused(_("Choose a neighborhood."))
    area = selectors.newsletter_neighborhoods(actor=actor).filter(pk=int(area_text)).first()
    if area is None:
        raise Refused(_("Choose a neighborhood from the list."))
    try:
        period_start = date.fromisoformat(start_text)
    except ValueError:
        raise Refused(_("Give the first day as YYYY-MM-DD.")) from None
    return {"area": area, "period": period, "period_start": period_start}


@login_required
def staff_newsletters(request):
    actor = actor_for_user(request.user)
    state = request.GET.get("state", "")
    issues = selectors.newsletters_staff(actor=actor, state=state if state in Newsletter.State.values else "")
    status, error = 200, ""
    if request.method == "POST":
        try:
            newsletter = services.newsletter_prepare(actor=actor, **_prepare_form(actor, request.POST))
        except Refused as exc:
            status, error = 400, str(exc)
        else:
            messages.success(request, _("The issue is prepared: check it, then approve it."))
            return redirect("alerts:staff_newsletter", newsletter_id=newsletter.pk)
    return render(request, "alerts/newsletter_staff_list.html", {
        "issues": issues[:200], "state": state, "states": Newsletter.State.choices,
        "periods": Newsletter.Period.choices, "neighborhoods": selectors.newsletter_neighborhoods(actor=actor),
        "error": error, "posted": request.POST if request.method == "POST" else {},
    }, status=status)


@login_required
def staff_newsletter(request, newsletter_id: int):
    actor = actor_for_user(request.user)
    try:
        newsletter = selectors.newsletter_staff_get(actor=actor, newsletter_id=newsletter_id)
    except Newsletter.DoesNotExist:
        raise Http404 from None
    language = _language(request.GET.get("language"))
    message = services.newsletter_message(newsletter, language)
    context = services.newsletter_context(newsletter, language)
    context["subject"] = message.subject
    return render(request, "alerts/newsletter_staff_preview.html", {
        **context, "message": message, "language": language, "languages": settings.LANGUAGES, "embedded": True,
        "may_approve": selectors.may_approve(actor=actor, newsletter=newsletter),
    })


@login_required
@require_POST
def staff_newsletter_approve(request, newsletter_id: int):
    actor = actor_for_user(request.user)
    try:
        newsletter = selectors.newsletter_staff_get(actor=actor, newsletter_id=newsletter_id)
    except Newsletter.DoesNotExist:
        raise Http404 from None
    try:
        services.newsletter_approve(actor=actor, newsletter=newsletter)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Approved: it is being sent to the subscribers."))
    return redirect("alerts:staff_newsletter", newsletter_id=newsletter.pk)


def _tip_fields(post) -> dict:
    return {"language": post.get("language", ""), "title": post.get("title", ""), "body": post.get("body", ""),
            "active": post.get("active") == "on"}


@login_required
def staff_safety_tips(request):
    actor = actor_for_user(request.user)
    tips = selectors.safety_tips_staff(actor=actor)
    agencies = selectors.newsletter_agencies(actor=actor)
    status, error = 200, ""
    if request.method == "POST":
        wanted = request.POST.get("agency", "")
        agency = next((a for a in agencies if str(a.pk) == wanted), agencies[0] if len(agencies) == 1 else None)
        try:
            if agency is None:
                raise Refused(_("Choose the agency."))
            services.safety_tip_save(actor=actor, agency=agency, **_tip_fields(request.POST))
        except Refused as exc:
            status, error = 400, str(exc)
        else:
            messages.success(request, _("The tip is added to the rotation."))
            return redirect("alerts:staff_safety_tips")
    return render(request, "alerts/safety_tip_list.html", {
        "tips": tips, "agencies": agencies, "languages": settings.LANGUAGES, "error": error,
        "posted": request.POST if request.method == "POST" else {"active": "on"},
    }, status=status)


@login_required
def staff_safety_tip(request, tip_id: int):
    actor = actor_for_user(request.user)
    try:
        tip = selectors.safety_tip_staff_get(actor=actor, tip_id=tip_id)
    except SafetyTip.DoesNotExist:
        raise Http404 from None
    status, error = 200, ""
    if request.method == "POST":
        try:
            services.safety_tip_save(actor=actor, agency=tip.agency, tip=tip, **_tip_fields(request.POST))
        except Refused as exc:
            status, error = 400, str(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("alerts:staff_safety_tips")
    posted = request.POST if request.method == "POST" else {
        "language": tip.language, "title": tip.title, "body": tip.body, "active": "on" if tip.active else ""}
    return render(request, "alerts/safety_tip_edit.html", {
        "tip": tip, "languages": settings.LANGUAGES, "error": error, "posted": posted}, status=status)


def archive(request):
    area_text = request.GET.get("area", "")
    area_id = int(area_text) if is_whole_number(area_text) else None
    return render(request, "alerts/newsletter_archive.html", {
        "issues": selectors.newsletters_archive(area_id=area_id)[:200], "area_id": area_id,
        "neighborhoods": selectors.archive_neighborhoods(),
    })


def issue(request, newsletter_id: int):
    try:
        newsletter = selectors.newsletter_public_get(newsletter_id=newsletter_id)
    except Newsletter.DoesNotExist:
        raise Http404 from None
    language = _language(None)
    message = services.newsletter_message(newsletter, language)
    context = services.newsletter_context(newsletter, language)
    context["subject"] = message.subject
    return render(request, "alerts/newsletter_issue.html", context)


urlpatterns = [
    path("staff/newsletters/", staff_newsletters, name="staff_newsletters"),
    path("staff/newsletters/<int:newsletter_id>/", staff_newsletter, name="staff_newsletter"),
    path("staff/newsletters/<int:newsletter_id>/approve/", staff_newsletter_approve, name="staff_newsletter_approve"),
    path("staff/safety-tips/", staff_safety_tips, name="staff_safety_tips"),
    path("staff/safety-tips/<int:tip_id>/", staff_safety_tip, name="staff_safety_tip"),
    path("newsletters/", archive, name="newsletter_archive"),
    path("newsletters/<int:newsletter_id>/", issue, name="newsletter_issue"),
]
