"""The police actions posted from an incident's page: acknowledge, assign a unit, move the status forward,
close with an outcome."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.incidents.forms import AssignForm, CloseForm, StatusForm
from safecommons.incidents.selectors import incidents as incident_selectors
from safecommons.incidents.services import police as police_services
from safecommons.incidents.views.operator import form_errors_say


def _act(request, incident_id: int, form_class, act, success: str):
    """Load the incident, parse the form (if any), run the action, and say how it went above the page."""
    actor = actor_for_user(request.user)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id,
                                                       rule="incident.dispatch")
    form = form_class(request.POST, prefix=form_class.__name__.removesuffix("Form").lower()) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, form_errors_say(form))
    else:
        try:
            act(actor, incident, form.cleaned_data if form is not None else {})
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, success)
    return redirect("incidents:detail", incident_id=incident.pk)


@login_required
@require_POST
def incident_acknowledge(request, incident_id: int):
    return _act(request, incident_id, None, lambda actor, incident, _data: police_services.incident_acknowledge(
        actor=actor, incident=incident), _("Acknowledged: the operator sees it."))


@login_required
@require_POST
def incident_assign(request, incident_id: int):
    return _act(request, incident_id, AssignForm, lambda actor, incident, data: police_services.incident_assign(
        actor=actor, incident=incident, unit=data["unit"]), _("Unit assigned."))


@login_required
@require_POST
def incident_status(request, incident_id: int):
    return _act(request, incident_id, StatusForm, lambda actor, incident, data: police_services.incident_status_set(
        actor=actor, incident=incident, status=data["status"]), _("Status updated."))


@login_required
@require_POST
def incident_close(request, incident_id: int):
    return _act(request, incident_id, CloseForm, lambda actor, incident, data: police_services.incident_close(
        actor=actor, incident=incident, disposition=data["disposition"], outcome_summary=data["outcome_summary"]),
        _("Incident closed; the outcome is on its way to the company."))


urlpatterns = [
    path("<int:incident_id>/acknowledge/", incident_acknowledge, name="acknowledge"),
    path("<int:incident_id>/assign/", incident_assign, name="assign"),
    path("<int:incident_id>/status/", incident_status, name="status"),
    path("<int:incident_id>/close/", incident_close, name="close"),
]
