"""The police actions posted from an incident's page: acknowledge, assign a unit, move the status forward,
close with an outcome."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.incidents.forms import AssignForm, CloseForm, StatusForm
from safecommons.incidents.services import police as police_services
from safecommons.incidents.views.incident import incident_form_post


def _act(request, incident_id: int, form_class, act, success: str, *, make_form=None):
    """An action of police on the incident's page (`incident_form_post`, under incident.dispatch)."""
    name = form_class.__name__.removesuffix("Form").lower() if form_class else ""
    if make_form is None:
        def make_form(_incident):
            return form_class(request.POST, prefix=name) if form_class else None
    return incident_form_post(request, incident_id=incident_id, rule="incident.dispatch", form_name=f"{name}_form",
                              section=name, make_form=make_form, act=act, success=success,
                              not_sent=_("This incident is already closed."))


@login_required
@require_POST
def incident_acknowledge(request, incident_id: int):
    return _act(request, incident_id, None, lambda actor, incident, _form: police_services.incident_acknowledge(
        actor=actor, incident=incident), _("Acknowledged: the operator sees it."))


@login_required
@require_POST
def incident_assign(request, incident_id: int):
    return _act(request, incident_id, AssignForm, lambda actor, incident, form: police_services.incident_assign(
        actor=actor, incident=incident, unit=form.cleaned_data["unit"]), _("Unit assigned."))


@login_required
@require_POST
def incident_status(request, incident_id: int):
    return _act(request, incident_id, StatusForm, lambda actor, incident, form: police_services.incident_status_set(
        actor=actor, incident=incident, status=form.cleaned_data["status"]), _("Status updated."))


@login_required
@require_POST
def incident_close(request, incident_id: int):
    def make_form(incident):
        # What this incident may be closed as: with "withdrawn" or "cancelled" while police are asked to stand down.
        dispositions = (police_services.incident_closing_dispositions(incident) if incident is not None
                        else police_services.CLOSING_DISPOSITIONS)
        return CloseForm(request.POST, prefix="close", dispositions=dispositions)

    return _act(request, incident_id, CloseForm, lambda actor, incident, form: police_services.incident_close(
        actor=actor, incident=incident, disposition=form.cleaned_data["disposition"],
        outcome_summary=form.cleaned_data["outcome_summary"]),
        _("Incident closed; the outcome is on its way to the company."), make_form=make_form)


urlpatterns = [
    path("<int:incident_id>/acknowledge/", incident_acknowledge, name="acknowledge"),
    path("<int:incident_id>/assign/", incident_assign, name="assign"),
    path("<int:incident_id>/status/", incident_status, name="status"),
    path("<int:incident_id>/close/", incident_close, name="close"),
]
