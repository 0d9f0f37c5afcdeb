"""Canvass pages: an officer's canvasses, a new canvass (a map to pick the place; the fields work typed),
one canvass with its ranked cameras on a map, and the footage requests sent from it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safecommons.cameras.models import Canvass, Offense
from safecommons.cameras.selectors import canvass as canvass_selectors
from safecommons.cameras.services import canvass as canvass_services
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user, require

DATETIME_LOCAL = {"type": "datetime-local"}
PAGE_RESULTS = 200  # the best views; a disc downtown can hold thousands of cameras
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class CanvassForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Agency"), required=False)
    latitude = forms.FloatField(label=gettext_lazy("Latitude"), min_value=-90, max_value=90,
                                help_text=gettext_lazy("Click the map, or type it (e.g. 44.9778)."))
    longitude = forms.FloatField(label=gettext_lazy("Longitude"), min_value=-180, max_value=180)
    radius_m = forms.FloatField(label=gettext_lazy("Radius (m)"), min_value=0,
                                max_value=canvass_services.MAX_RADIUS_M, initial=0,
                                help_text=gettext_lazy("0 for the point itself; up to 200 m when the place is "
                                                       "known only roughly."))
    window_start = forms.DateTimeField(label=gettext_lazy("From"), input_formats=DATETIME_FORMATS,
                                       widget=forms.DateTimeInput(attrs=DATETIME_LOCAL, format="%Y-%m-%dT%H:%M"))
    window_end = forms.DateTimeField(label=gettext_lazy("To"), input_formats=DATETIME_FORMATS,
                                     widget=forms.DateTimeInput(attrs=DATETIME_LOCAL, format="%Y-%m-%dT%H:%M"))
    case_number = forms.CharField(label=gettext_lazy("Case number"), max_length=40)
    offense = forms.ChoiceField(label=gettext_lazy("Offense"), choices=Offense.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("Owners read this when asked for footage."))

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        only = list(agencies[:2])
        if len(only) == 1:
            self.fields["agency"].initial = only[0].pk
            self.fields["agency"].widget = forms.HiddenInput()


@login_required
@never_cache
def canvass_list(request):
    actor = actor_for_user(request.user)
    canvasses = canvass_selectors.canvasses_for(actor=actor)[:200]
    return render(request, "cameras/canvass_list.html", {"canvasses": canvasses})


@login_required
@never_cache
def canvass_new(request):
    actor = actor_for_user(request.user)
    require(actor, "canvass.list")
    agencies = canvass_selectors.canvass_agencies(actor=actor)
    form = CanvassForm(request.POST or None, agencies=agencies)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                agency = data["agency"] or canvass_selectors.canvass_agency(actor=actor, agency_id=None)
                canvass = canvass_services.canvass_open(
                    actor=actor, agency=agency, case_number=data["case_number"], offense=data["offense"],
                    reason=data["reason"], longitude=data["longitude"], latitude=data["latitude"],
                    radius_m=data["radius_m"], window_start=data["window_start"], window_end=data["window_end"])
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("cameras:canvass_detail", canvass_id=canvass.pk)
    return render(request, "cameras/canvass_new.html", {"form": form}, status=status)


def _canvass(actor, canvass_id: int) -> Canvass:
    try:
        return canvass_selectors.canvass_get(actor=actor, canvass_id=canvass_id)
    except Canvass.DoesNotExist:
        raise Http404 from None


@login_required
@never_cache
def canvass_detail(request, canvass_id: int):
    actor = actor_for_user(request.user)
    canvass = _canvass(actor, canvass_id)
    sent = list(canvass_selectors.canvass_requests(canvass))
    results, total = canvass_selectors.canvass_results_page(actor=actor, canvass=canvass, requests=sent,
                                                             limit=PAGE_RESULTS)
    requests = canvass_selectors.footage_requests_for_canvass(actor=actor, canvass=canvass, requests=sent)
    map_data = {
        "incident": {"lat": canvass.latitude, "lon": canvass.longitude, "radius": canvass.radius_m},
        "cameras": [{"id": row.camera_id, "rank": row.rank, "lat": row.latitude, "lon": row.longitude,
                     "approximate": row.approximate, "bearing": row.bearing_deg, "fov": row.fov_deg,
                     "range": row.range_m} for row in results],
    }
    return render(request, "cameras/canvass_detail.html", {
        "canvass": canvass, "results": results, "total": total, "requests": requests, "map_data": map_data,
        "approximate_radius_m": canvass_selectors.APPROXIMATE_CIRCLE_M,
    })


@login_required
@require_POST
def canvass_requests(request, canvass_id: int):
    actor = actor_for_user(request.user)
    canvass = _canvass(actor, canvass_id)
    try:
        camera_ids = [int(value) for value in request.POST.getlist("camera_ids")]
    except ValueError:
        camera_ids = []
    try:
        report = canvass_services.footage_requests_send(actor=actor, canvass=canvass, camera_ids=camera_ids)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        message = _("%(sent)d request(s) sent.") % {"sent": len(report.sent)}
        if report.skipped:
            message += " " + _("%(skipped)d camera(s) had already been asked.") % {"skipped": len(report.skipped)}
        messages.success(request, message)
    return redirect("cameras:canvass_detail", canvass_id=canvass.pk)


urlpatterns = [
    path("canvass/", canvass_list, name="canvass_list"),
    path("canvass/new/", canvass_new, name="canvass_new"),
    path("canvass/<int:canvass_id>/", canvass_detail, name="canvass_detail"),
    path("canvass/<int:canvass_id>/requests/", canvass_requests, name="canvass_requests"),
]
