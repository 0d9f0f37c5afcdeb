"""One incident's page, the same for both sides with the forms each may use; the messages either side posts
from it; and its snapshots, served only to those who may see the incident."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.incidents.events import live_labels
from safecommons.incidents.forms import (
    AssignForm,
    CloseForm,
    MessageForm,
    MovementForm,
    ObservationForm,
    SnapshotForm,
    StatusForm,
    SuspectUpdateForm,
    VehicleUpdateForm,
    WithdrawForm,
)
from safecommons.incidents.selectors import incidents as incident_selectors
from safecommons.incidents.services import police as police_services
from safecommons.incidents.views.operator import form_errors_say


@login_required
def incident_detail(request, incident_id: int):
    actor = actor_for_user(request.user)
    page = incident_selectors.incident_page(actor=actor, incident_id=incident_id)
    incident = page.incident
    context = {"page": page, "incident": incident, "message_form": MessageForm(prefix="message"),
               "live_labels": live_labels()}
    if page.can_update:
        context.update(observation_form=ObservationForm.for_incident(incident),
                       movement_form=MovementForm(prefix="movement"), suspect_form=SuspectUpdateForm(prefix="suspect"),
                       vehicle_form=VehicleUpdateForm(prefix="vehicle"), snapshot_form=SnapshotForm(prefix="snapshot"),
                       withdraw_form=WithdrawForm(prefix="withdraw"))
    if page.is_police and incident.is_open:
        context.update(assign_form=AssignForm(prefix="assign", initial={"unit": incident.assigned_unit}),
                       status_form=StatusForm(prefix="status"), close_form=CloseForm(prefix="close"))
    response = render(request, "incidents/detail.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def incident_message(request, incident_id: int):
    actor = actor_for_user(request.user)
    incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id,
                                                       rule="incident.message")
    form = MessageForm(request.POST, prefix="message")
    if not form.is_valid():
        messages.error(request, form_errors_say(form))
    else:
        try:
            police_services.incident_message_post(actor=actor, incident=incident, text=form.cleaned_data["text"])
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Message sent."))
    return redirect("incidents:detail", incident_id=incident.pk)


@login_required
def incident_snapshot(request, incident_id: int, snapshot_id: int):
    """The picture, served by this view only (never from a public media address)."""
    actor = actor_for_user(request.user)
    snapshot = incident_selectors.incident_snapshot_get(actor=actor, incident_id=incident_id,
                                                        snapshot_id=snapshot_id)
    content_type = mimetypes.guess_type(snapshot.image.name)[0] or "application/octet-stream"
    response = FileResponse(snapshot.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("<int:incident_id>/", incident_detail, name="detail"),
    path("<int:incident_id>/messages/", incident_message, name="message"),
    path("<int:incident_id>/snapshots/<int:snapshot_id>/", incident_snapshot, name="snapshot"),
]
