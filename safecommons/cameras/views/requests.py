"""Pages: the owner's inbox of footage requests, and one request with its three answers."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safecommons.cameras.models import FootageRequest
from safecommons.cameras.selectors import evidence as evidence_selectors
from safecommons.cameras.selectors import notices as notice_selectors
from safecommons.cameras.selectors import requests as selectors
from safecommons.cameras.services import notices as notice_services
from safecommons.cameras.services import requests as services
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user, may


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[(status.value, status.label) for status in FootageRequest.ANSWERS])
    note = forms.CharField(label=gettext_lazy("A note to the officer (optional)"), required=False,
                           max_length=services.NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


@login_required
@never_cache
def inbox(request):
    actor = actor_for_user(request.user)
    notices = list(notice_selectors.owner_notices(actor=actor)[:50])  # read before marking, to show what is new
    notice_services.owner_notices_mark_read(actor=actor)
    footage_requests = list(selectors.footage_requests_for_owner(actor=actor)[:500])
    pending = [r for r in footage_requests if r.status == FootageRequest.Status.PENDING]
    history = [r for r in footage_requests if r.status != FootageRequest.Status.PENDING]
    return render(request, "cameras/requests_inbox.html", {
        "notices": notices, "pending": pending, "history": history, "now": timezone.now()})


def _get(actor, request_id: int) -> FootageRequest:
    try:
        return selectors.footage_request_get(actor=actor, request_id=request_id)
    except FootageRequest.DoesNotExist:
        raise Http404 from None


@login_required
@never_cache
def detail(request, request_id: int):
    actor = actor_for_user(request.user)
    footage_request = _get(actor, request_id)
    open_for_answer = (footage_request.status == FootageRequest.Status.PENDING
                       and footage_request.expires_at > timezone.now())
    return render(request, "cameras/requests_detail.html", {
        "request_": footage_request, "badge": selectors.footage_request_badge(footage_request),
        "files": evidence_selectors.evidence_for_request(actor=actor, footage_request=footage_request),
        "open_for_answer": open_for_answer,
        "may_upload": open_for_answer and may(actor, "evidence.upload", footage_request),
        "max_bytes": settings.EVIDENCE_MAX_BYTES,
    })


@login_required
@require_POST
def answer(request, request_id: int):
    actor = actor_for_user(request.user)
    footage_request = _get(actor, request_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one answer."))
        return redirect("cameras:request_detail", request_id=footage_request.pk)
    try:
        services.footage_request_answer(actor=actor, footage_request=footage_request,
                                        answer=form.cleaned_data["answer"], note=form.cleaned_data["note"])
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("cameras:request_detail", request_id=footage_request.pk)
    messages.success(request, {
        FootageRequest.Status.APPROVED: _("Thank you. The footage was sent to the agency."),
        FootageRequest.Status.DECLINED: _("You declined this request. The agency is told it was declined, "
                                          "not by whom."),
        FootageRequest.Status.NO_FOOTAGE: _("Thank you. The agency is told you have no footage of that time."),
    }[form.cleaned_data["answer"]])
    return redirect("cameras:requests")


urlpatterns = [
    path("requests/", inbox, name="requests"),
    path("requests/<int:request_id>/", detail, name="request_detail"),
    path("requests/<int:request_id>/answer/", answer, name="request_answer"),
]
