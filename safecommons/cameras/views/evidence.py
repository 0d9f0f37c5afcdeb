"""Pages: the evidence locker, one item with its chain of custody, downloads, share links and exports.

Uploads go through the resumable API (static/js/cameras-upload.js); these pages only show the form.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safecommons.cameras.models import EvidenceItem
from safecommons.cameras.responses import evidence_file_response, export_response
from safecommons.cameras.selectors import evidence as selectors
from safecommons.cameras.services import evidence as services
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user, may

REASON_HELP = _("Kept in the item's chain of custody, with your name and the time.")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, help_text=REASON_HELP)


class ShareForm(ReasonForm):
    recipient = forms.CharField(label=_("Who the link is for"), max_length=200,
                                help_text=_("For example: County Prosecutor's Office, ADA Jane Roe."))
    days = forms.IntegerField(label=_("Days the link lasts"), min_value=1, max_value=services.SHARE_DAYS_MAX,
                              initial=services.SHARE_DAYS_DEFAULT)


class ExportForm(ReasonForm):
    case_number = forms.CharField(label=_("Case number"), max_length=40)


def _item(actor, uid, rule: str = "evidence.view") -> EvidenceItem:
    try:
        return selectors.evidence_get(actor=actor, uid=uid, rule=rule)
    except EvidenceItem.DoesNotExist:
        raise Http404 from None


def _form_refusal(form: forms.Form) -> Refused:
    return Refused(" ".join(f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
                            for name, errors in form.errors.items() for error in errors))


@login_required
@never_cache
def locker(request):
    actor = actor_for_user(request.user)
    case_number = request.GET.get("case", "").strip()
    items = list(selectors.evidence_locker(actor=actor, case_number=case_number or None)[:1000])
    return render(request, "cameras/evidence_locker.html", {
        "items": items, "case_number": case_number, "export_form": ExportForm(initial={"case_number": case_number}),
        "max_bytes": settings.EVIDENCE_MAX_BYTES})


@login_required
@never_cache
def detail(request, uid):
    actor = actor_for_user(request.user)
    if may(actor, "evidence.view", _item(actor, uid, rule="evidence.custody")):
        item = services.evidence_open(actor=actor, item=_item(actor, uid))
        files = True
    else:
        item, files = _item(actor, uid, rule="evidence.custody"), False  # oversight: the custody log only
    return render(request, "cameras/evidence_detail.html", {
        "item": item, "files": files, "custody": selectors.custody_log(actor=actor, item=item),
        "download_form": ReasonForm(), "share_form": ShareForm(),
        "export_form": ExportForm(initial={"case_number": item.case_number}),
        "video_without_preview": item.content_type.startswith("video/") and not item.preview})


@login_required
def preview(request, uid):
    actor = actor_for_user(request.user)
    handle = services.evidence_preview_open(actor=actor, item=_item(actor, uid))
    if handle is None:
        raise Http404
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def download(request, uid):
    actor = actor_for_user(request.user)
    item = _item(actor, uid)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_refusal(form)
        handle = services.evidence_download(actor=actor, item=item, reason=form.cleaned_data["reason"])
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("cameras:evidence_detail", uid=item.uid)
    return evidence_file_response(handle, item)


@login_required
@require_POST
@never_cache
def share(request, uid):
    actor = actor_for_user(request.user)
    item = _item(actor, uid)
    form = ShareForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_refusal(form)
        link = services.evidence_share(actor=actor, item=item, recipient=form.cleaned_data["recipient"],
                                       reason=form.cleaned_data["reason"], days=form.cleaned_data["days"])
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("cameras:evidence_detail", uid=item.uid)
    url = request.build_absolute_uri(reverse("cameras:evidence_shared", args=[link.token]))
    return render(request, "cameras/evidence_share_created.html", {"item": item, "link": link, "url": url})


@login_required
@require_POST
def export(request):
    actor = actor_for_user(request.user)
    if not may(actor, "evidence.locker"):
        raise PermissionDenied("evidence.locker")
    form = ExportForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_refusal(form)
        package = services.evidence_export(actor=actor, case_number=form.cleaned_data["case_number"],
                                           reason=form.cleaned_data["reason"])
    except Refused as exc:
        messages.error(request, str(exc))
        query = urlencode({"case": request.POST.get("case_number", "")})
        return redirect(f"{reverse('cameras:evidence_locker')}?{query}")
    return export_response(package)


@never_cache
def shared(request, token: str):
    """The outside recipient's page: what the link is for and a button to download (each download is
    recorded against the item). No account needed; the signed link is the key."""
    try:
        link = services.evidence_shared_get(token=token)
        if request.method == "POST":
            item, handle = services.evidence_shared_download(token=token)
            response = evidence_file_response(handle, item)
            response["Referrer-Policy"] = "no-referrer"
            return response
    except Refused as exc:
        return render(request, "cameras/evidence_shared.html", {"refusal": str(exc)}, status=410)
    response = render(request, "cameras/evidence_shared.html", {"link": link, "item": link.item})
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to another site
    return response


urlpatterns = [
    path("evidence/", locker, name="evidence_locker"),
    path("evidence/export/", export, name="evidence_export"),
    path("evidence/shared/<str:token>/", shared, name="evidence_shared"),
    path("evidence/<uuid:uid>/", detail, name="evidence_detail"),
    path("evidence/<uuid:uid>/preview/", preview, name="evidence_preview"),
    path("evidence/<uuid:uid>/download/", download, name="evidence_download"),
    path("evidence/<uuid:uid>/share/", share, name="evidence_share"),
]
