"""One incident's page, the same for both sides with the forms each may use; the messages either side posts
from it; and its snapshots, served only to those who may see the incident."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, actor_for_user
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
from safecommons.incidents.models import Disposition, Incident, Verification
from safecommons.incidents.selectors import incidents as incident_selectors
from safecommons.incidents.services import police as police_services


def _flag_labels() -> dict[str, Any]:
    """The labels of the flags the page redraws from live events (as incidents/incident_flags.html says them)."""
    return {"persons": _("Persons at risk"), "weapons": _("Weapons"),
            "verified": {value: _("Verified: %(how)s") % {"how": label} for value, label in Verification.choices}}


def _stand_down(incident: Incident, dispositions: tuple[str, ...]) -> list[dict[str, str]]:
    """The one-step closings offered to police while they are asked to stand down: one per disposition asked
    for, with an outcome they may edit."""
    outcomes = {Disposition.WITHDRAWN: _("Stood down: the operator withdrew the incident."),
                Disposition.CANCELLED: _("Stood down: the alarm company cancelled the alarm.")}
    return [{"disposition": disposition, "label": Disposition(disposition).label, "outcome": outcomes[disposition]}
            for disposition in (Disposition.WITHDRAWN, Disposition.CANCELLED) if disposition in dispositions]


def incident_page_render(request, *, actor: Actor, incident_id: int, bound: dict[str, forms.Form] | None = None,
                         section: str = "", status: int = 200, unsent: dict[str, Any] | None = None) -> HttpResponse:
    """The incident's page, with the forms the actor may use. After a form that did not go through: that form
    `bound` (its errors by its fields, what was typed kept), its `section` open, and `status` 400; or, when
    the incident closed meanwhile, `unsent` saying so with what was typed."""
    page = incident_selectors.incident_page(actor=actor, incident_id=incident_id)
    incident = page.incident
    context: dict[str, Any] = {"page": page, "incident": incident, "message_form": MessageForm(prefix="message"),
                               "live_labels": live_labels(), "flag_labels": _flag_labels(),
                               "open_section": section, "unsent": unsent}
    if page.can_update:
        context.update(observation_form=ObservationForm(prefix="observation"),
                       movement_form=MovementForm(prefix="movement"), suspect_form=SuspectUpdateForm(prefix="suspect"),
                       vehicle_form=VehicleUpdateForm(prefix="vehicle"), snapshot_form=SnapshotForm(prefix="snapshot"),
                       withdraw_form=WithdrawForm(prefix="withdraw"))
    if page.is_police and incident.is_open:
        dispositions = police_services.incident_closing_dispositions(incident)
        context.update(assign_form=AssignForm(prefix="assign", initial={"unit": incident.assigned_unit}),
                       status_form=StatusForm(prefix="status"),
                       close_form=CloseForm(prefix="close", dispositions=dispositions),
                       stand_down=_stand_down(incident, dispositions))
    context.update(bound or {})
    response = render(request, "incidents/detail.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _closed_meanwhile(actor: Actor, incident_id: int) -> bool:
    """Whether the incident is closed and the actor may see it: what they sent as it closed gets its page
    saying so, not a refusal. Anyone who may not see it is still refused."""
    try:
        incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule="incident.view")
    except PermissionDenied:
        return False
    return not incident.is_open


def _typed(form: forms.Form) -> list[tuple[str, str]]:
    """What was typed into the form's text fields, to show again when it could not be sent."""
    return [(str(field.label), str(field.value())) for field in form
            if isinstance(field.field, forms.CharField) and field.value()]


def incident_form_post(request, *, incident_id: int, rule: str, form_name: str,
                       make_form: Callable[[Incident | None], forms.Form | None],
                       act: Callable[[Actor, Incident, Any], Any],
                       success: str | Callable[[Any], str], section: str = "",
                       not_sent: str = "") -> HttpResponse:
    """One action of the incident's page: parse its form, run it (`act` gets the actor, the incident and the
    parsed form), say how it went above the page. A form that does not parse, or that the service refuses,
    comes back on the page (400) with its errors and what was typed, as the handoff form does; one sent as
    the incident closed gets the page saying so (409) with what was typed. Who may not see the incident is
    refused (403) as before."""
    actor = actor_for_user(request.user)

    def closed() -> HttpResponse | None:
        if not _closed_meanwhile(actor, incident_id):
            return None
        typed = _typed(form) if form is not None else []
        return incident_page_render(request, actor=actor, incident_id=incident_id, status=409,
                                    unsent={"say": not_sent or _("This incident is closed; nothing was sent."),
                                            "typed": typed})

    form: forms.Form | None = None
    try:
        incident = incident_selectors.incident_for_action(actor=actor, incident_id=incident_id, rule=rule)
    except PermissionDenied:
        form = make_form(None)
        answer = closed()
        if answer is None:
            raise
        return answer
    form = make_form(incident)
    if form is None or form.is_valid():
        try:
            result = act(actor, incident, form)
        except (Refused, PermissionDenied) as exc:
            answer = closed()
            if answer is not None:
                return answer
            if isinstance(exc, PermissionDenied):
                raise
            if form is None:
                messages.error(request, str(exc))
                return redirect("incidents:detail", incident_id=incident.pk)
            form.add_error(None, str(exc))
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect("incidents:detail", incident_id=incident.pk)
    return incident_page_render(request, actor=actor, incident_id=incident.pk, bound={form_name: form},
                                section=section, status=400)


@login_required
def incident_detail(request, incident_id: int):
    return incident_page_render(request, actor=actor_for_user(request.user), incident_id=incident_id)


@login_required
@require_POST
def incident_message(request, incident_id: int):
    return incident_form_post(
        request, incident_id=incident_id, rule="incident.message", form_name="message_form",
        make_form=lambda _incident: MessageForm(request.POST, prefix="message"),
        act=lambda actor, incident, form: police_services.incident_message_post(
            actor=actor, incident=incident, text=form.cleaned_data["text"]),
        success=_("Message sent."), not_sent=_("This incident is closed; your message was not sent."))


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
