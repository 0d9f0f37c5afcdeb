"""The operator's pages: the console of the company's incidents, the handoff form, and the updates posted
from an incident's page (observation, movement, suspect, vehicle, snapshot, withdraw)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.incidents.forms import (
    UPDATE_FORMS,
    IncidentOpenForm,
    SnapshotForm,
    SuspectFormSet,
    VehicleFormSet,
    WithdrawForm,
    formset_rows,
)
from safecommons.incidents.selectors import incidents as incident_selectors
from safecommons.incidents.services import operator as operator_services
from safecommons.incidents.views.incident import incident_form_post


@login_required
def console(request):
    actor = actor_for_user(request.user)
    open_incidents, closed = incident_selectors.incidents_console(actor=actor)
    return render(request, "incidents/console.html", {"open_incidents": open_incidents, "closed": closed})


@login_required
def incident_open(request):
    actor = actor_for_user(request.user)
    agencies = incident_selectors.handoff_agencies(actor=actor)
    sites = incident_selectors.handoff_sites(actor=actor)
    data = request.POST if request.method == "POST" else None
    form = IncidentOpenForm(data, agencies=agencies, sites=sites)
    suspects = SuspectFormSet(data, prefix="suspects")
    vehicles = VehicleFormSet(data, prefix="vehicles")
    status = 200
    if request.method == "POST":
        if form.is_valid() and suspects.is_valid() and vehicles.is_valid():
            try:
                incident = operator_services.incident_open(
                    actor=actor, **form.incident_fields(), suspects=formset_rows(suspects),
                    vehicles=formset_rows(vehicles))
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Incident handed to %(agency)s. Keep this page open for their answer.")
                                 % {"agency": incident.agency.name})
                return redirect("incidents:detail", incident_id=incident.pk)
        status = 400
    site_points = [{"id": site.pk, "name": site.name, "lat": site.latitude, "lon": site.longitude}
                   for site in sites if site.latitude is not None and site.longitude is not None]
    return render(request, "incidents/open.html", {
        "form": form, "suspects": suspects, "vehicles": vehicles, "has_agencies": agencies.exists(),
        "site_points": site_points,
    }, status=status)


@login_required
@require_POST
def incident_update(request, incident_id: int):
    kind = request.POST.get("kind", "")
    form_class = UPDATE_FORMS.get(kind)
    if form_class is None:
        # Load it as any action does (who may not see it is refused) before saying what an update is.
        incident_selectors.incident_for_action(actor=actor_for_user(request.user), incident_id=incident_id,
                                               rule="incident.update")
        messages.error(request, _("An update is an observation, a movement, a suspect or a vehicle."))
        return redirect("incidents:detail", incident_id=incident_id)
    return incident_form_post(
        request, incident_id=incident_id, rule="incident.update", form_name=f"{kind}_form", section=kind,
        make_form=lambda _incident: form_class(request.POST, prefix=kind),
        act=lambda actor, incident, form: operator_services.incident_update_post(
            actor=actor, incident_id=incident.pk, kind=kind, **form.update_fields()),
        success=_("Update sent to police."), not_sent=_("This incident is closed; your update was not sent."))


@login_required
@require_POST
def incident_snapshot_add(request, incident_id: int):
    return incident_form_post(
        request, incident_id=incident_id, rule="incident.update", form_name="snapshot_form", section="snapshot",
        make_form=lambda _incident: SnapshotForm(request.POST, request.FILES, prefix="snapshot"),
        act=lambda actor, incident, form: operator_services.incident_snapshot_attach(
            actor=actor, incident=incident, image_file=form.cleaned_data["image"],
            caption=form.cleaned_data["caption"]),
        success=_("Snapshot sent to police."), not_sent=_("This incident is closed; your snapshot was not sent."))


def _withdrawn_say(incident) -> str:
    if incident.is_open:  # police were on the way: they were asked, and close it themselves
        return _("Police have been asked to stand down; they will close the incident.")
    return _("Incident withdrawn.")


@login_required
@require_POST
def incident_withdraw(request, incident_id: int):
    return incident_form_post(
        request, incident_id=incident_id, rule="incident.update", form_name="withdraw_form", section="withdraw",
        make_form=lambda _incident: WithdrawForm(request.POST, prefix="withdraw"),
        act=lambda actor, incident, form: operator_services.incident_withdraw(
            actor=actor, incident=incident, reason=form.cleaned_data["reason"]),
        success=_withdrawn_say, not_sent=_("This incident is already closed."))


urlpatterns = [
    path("console/", console, name="console"),
    path("new/", incident_open, name="open"),
    path("<int:incident_id>/updates/", incident_update, name="update"),
    path("<int:incident_id>/snapshots/", incident_snapshot_add, name="snapshot_add"),
    path("<int:incident_id>/withdraw/", incident_withdraw, name="withdraw"),
]
