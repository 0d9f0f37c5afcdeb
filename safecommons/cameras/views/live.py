"""Pages of live access: the owner grants, revokes and sees every opening; an officer lists the grants in
force for their agency and opens one with a reason. The page with the stream address is never cached."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from safecommons.cameras.selectors import live as live_selectors
from safecommons.cameras.selectors import registry as registry_selectors
from safecommons.cameras.services import live as live_services
from safecommons.core.errors import Refused
from safecommons.core.middleware import content_security_policy
from safecommons.core.permissions import actor_for_user, require

_LOCAL_MINUTE = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class GrantForm(forms.Form):
    agency = forms.ModelChoiceField(label=gettext_lazy("Agency"), queryset=None, empty_label=None,
                                    help_text=gettext_lazy("Only agencies an agreement in force lets you share "
                                                           "live video with are listed."))
    stream_url = forms.CharField(label=gettext_lazy("Stream address"), max_length=live_services.MAX_URL_LENGTH,
                                 widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                                 help_text=gettext_lazy("rtsp://, rtsps:// or https://. It is stored encrypted and "
                                                        "shown only to an officer who opens it inside the window."))
    starts_at = forms.DateTimeField(label=gettext_lazy("From"), widget=_LOCAL_MINUTE)
    ends_at = forms.DateTimeField(label=gettext_lazy("Until"), widget=_LOCAL_MINUTE,
                                  help_text=gettext_lazy("At most 30 days after the start."))
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=300,
                              help_text=gettext_lazy("Why police may watch, e.g. 'Security for the street fair'."))

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


class OpenForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why are you opening it?"), max_length=300)


def _or_404(load):
    try:
        return load()
    except ObjectDoesNotExist:
        raise Http404 from None


@login_required
def camera_live(request, camera_id: int):
    actor = actor_for_user(request.user)
    camera = _or_404(lambda: registry_selectors.camera_for_manage(actor=actor, camera_id=camera_id))
    require(actor, "live.grant", camera)
    agencies = live_selectors.live_agencies_for(camera=camera)
    form = GrantForm(request.POST or None, agencies=agencies)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                live_services.live_grant_create(actor=actor, camera=camera, **form.cleaned_data)
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Live access granted to %(agency)s.")
                                 % {"agency": form.cleaned_data["agency"].name})
                return redirect("cameras:camera_live", camera_id=camera.pk)
        status = 400
    grants = live_selectors.live_grants_of_camera(actor=actor, camera=camera)
    openings = live_selectors.live_openings_of_camera(actor=actor, camera=camera)
    return render(request, "cameras/live_camera.html", {"camera": camera, "form": form, "grants": grants,
                                                        "openings": openings, "agencies": agencies}, status=status)


@login_required
@require_POST
def live_revoke(request, grant_id: int):
    actor = actor_for_user(request.user)
    grant = _or_404(lambda: live_selectors.live_grant_for_owner(actor=actor, grant_id=grant_id))
    try:
        live_services.live_grant_revoke(actor=actor, grant=grant, reason=request.POST.get("reason", ""))
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Live access revoked: it can no longer be opened."))
    return redirect("cameras:camera_live", camera_id=grant.camera_id)


@login_required
def live_list(request):
    actor = actor_for_user(request.user)
    grants = live_selectors.live_grants_in_force(actor=actor)
    return render(request, "cameras/live_list.html", {"grants": grants, "form": OpenForm()})


def _no_store(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_POST
def live_open(request, grant_id: int):
    actor = actor_for_user(request.user)
    grant = _or_404(lambda: live_selectors.live_grant_for_officer(actor=actor, grant_id=grant_id))
    form = OpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you are opening the live view."))
        return redirect("cameras:live_list")
    try:
        stream_url = live_services.live_stream_open(actor=actor, grant=grant, reason=form.cleaned_data["reason"])
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("cameras:live_list")
    parts = urlsplit(stream_url)
    playable = parts.scheme.lower() == "https"
    response = render(request, "cameras/live_open.html", {"grant": grant, "stream_url": stream_url,
                                                          "playable": playable})
    if playable:
        # The page may play video from the stream's own server, and from nowhere else.
        origin = f"https://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        response["Content-Security-Policy"] = f"{content_security_policy()}; media-src 'self' {origin}"
    return _no_store(response)


urlpatterns = [
    path("<int:camera_id>/live/", camera_live, name="camera_live"),
    path("live/", live_list, name="live_list"),
    path("live/grants/<int:grant_id>/revoke/", live_revoke, name="live_revoke"),
    path("live/grants/<int:grant_id>/open/", live_open, name="live_open"),
]
