"""The police side of a live incident: acknowledge it, assign a unit, move it forward (dispatched, on scene)
and close it with a disposition and an outcome that goes back to the company; and the messages both sides
exchange on its timeline.

The status only moves forward: received → acknowledged → dispatched → on scene → closed. Assigning a unit
to an incident not yet dispatched dispatches it (a unit is only named when it is sent); reassigning later
leaves the status where it is.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, may, require
from safecommons.incidents import tasks
from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import Disposition, Incident, IncidentEvent
from safecommons.incidents.services.operator import clean_text, event_actor, incident_lock
from safecommons.partners.models import Contact

logger = logging.getLogger(__name__)

UNIT_MAX = 40
# The order a live incident goes through; a status may only be set to one further along.
STATUS_ORDER = (Incident.Status.RECEIVED, Incident.Status.ACKNOWLEDGED, Incident.Status.DISPATCHED,
                Incident.Status.ON_SCENE)
# Set with incident_status_set (closing has its own service, receiving is where every incident starts).
SETTABLE_STATUSES = (Incident.Status.ACKNOWLEDGED, Incident.Status.DISPATCHED, Incident.Status.ON_SCENE)
# What police may close an incident as: withdrawing is the operator's, cancelling the alarm center's.
CLOSING_DISPOSITIONS = tuple(d for d in Disposition if d not in (Disposition.WITHDRAWN, Disposition.CANCELLED))
_TIMESTAMP_OF = {Incident.Status.ACKNOWLEDGED: "acknowledged_at", Incident.Status.DISPATCHED: "dispatched_at",
                 Incident.Status.ON_SCENE: "on_scene_at"}


def _police_event(*, actor: Actor, incident: Incident, kind: str, text: str, data: dict) -> IncidentEvent:
    return incident_event_append(incident=incident, kind=kind, side=IncidentEvent.Side.POLICE,
                                 **event_actor(actor=actor, organisation=incident.agency), text=text, data=data)


def _open_check(incident: Incident) -> None:
    if not incident.is_open:
        raise Refused(_("This incident is closed."))


def _advance(*, actor: Actor, incident: Incident, status: str) -> list[str]:
    """Move the locked incident forward to `status`, stamping each step passed on the way that was not
    stamped yet (an incident sent on scene straight from 'received' was acknowledged and dispatched too).
    Returns the fields changed."""
    now = timezone.now()
    fields = ["status"]
    target = STATUS_ORDER.index(status)
    for step in STATUS_ORDER[1:target + 1]:
        stamp = _TIMESTAMP_OF[step]
        if getattr(incident, stamp) is None:
            setattr(incident, stamp, now)
            fields.append(stamp)
    if incident.acknowledged_by_id is None:
        incident.acknowledged_by_id = actor.user_id
        fields.append("acknowledged_by")
    incident.status = status
    return fields


def incident_acknowledge(*, actor: Actor, incident: Incident) -> Incident:
    """An officer or supervisor of the agency takes the incident in: the operator sees it was received by a
    person, and by whom."""
    require(actor, "incident.dispatch", incident)
    with transaction.atomic():
        incident = incident_lock(actor=actor, incident_id=incident.pk, rule="incident.dispatch")
        _open_check(incident)
        if incident.status != Incident.Status.RECEIVED:
            raise Refused(_("This incident was already acknowledged."))
        fields = _advance(actor=actor, incident=incident, status=Incident.Status.ACKNOWLEDGED)
        incident.save(update_fields=[*fields, "updated_at"])
        _police_event(actor=actor, incident=incident, kind=IncidentEvent.Kind.STATUS, text=_("Acknowledged"),
                      data={"status": incident.status})
    return incident


def incident_assign(*, actor: Actor, incident: Incident, unit: str) -> Incident:
    """Name the unit (a call sign) sent to the incident. An incident not yet dispatched is dispatched by it;
    one already dispatched or on scene keeps its status (a unit replaced or added)."""
    require(actor, "incident.dispatch", incident)
    unit = clean_text(unit, limit=UNIT_MAX)
    if not unit:
        raise Refused(_("Give the unit's call sign."))
    with transaction.atomic():
        incident = incident_lock(actor=actor, incident_id=incident.pk, rule="incident.dispatch")
        _open_check(incident)
        fields = ["assigned_unit"]
        incident.assigned_unit = unit
        if STATUS_ORDER.index(incident.status) < STATUS_ORDER.index(Incident.Status.DISPATCHED):
            fields += _advance(actor=actor, incident=incident, status=Incident.Status.DISPATCHED)
        incident.save(update_fields=[*fields, "updated_at"])
        _police_event(actor=actor, incident=incident, kind=IncidentEvent.Kind.ASSIGNED,
                      text=_("Unit %(unit)s assigned") % {"unit": unit},
                      data={"unit": unit, "status": incident.status})
    return incident


def incident_status_set(*, actor: Actor, incident: Incident, status: str) -> Incident:
    """Move the incident forward: acknowledged, dispatched or on scene; never back. Steps skipped on the way
    are stamped with the same time."""
    require(actor, "incident.dispatch", incident)
    if status not in SETTABLE_STATUSES:
        raise Refused(_("The status can be set to acknowledged, dispatched or on scene; close the incident "
                        "to end it."))
    with transaction.atomic():
        incident = incident_lock(actor=actor, incident_id=incident.pk, rule="incident.dispatch")
        _open_check(incident)
        if STATUS_ORDER.index(status) <= STATUS_ORDER.index(incident.status):
            raise Refused(_("The incident is already %(status)s; its status only moves forward.")
                          % {"status": str(incident.get_status_display()).lower()})
        previous = incident.status
        fields = _advance(actor=actor, incident=incident, status=status)
        incident.save(update_fields=[*fields, "updated_at"])
        _police_event(actor=actor, incident=incident, kind=IncidentEvent.Kind.STATUS,
                      text=str(incident.get_status_display()), data={"status": status, "previous": previous})
    return incident


def incident_closing_dispositions(incident: Incident) -> tuple[str, ...]:
    """What police may close the incident as: `CLOSING_DISPOSITIONS`, and while they have been asked to stand
    down, what was asked: "withdrawn by the operator" when the operator withdrew it, "cancelled by the alarm
    company" when the alarm center cancelled it (either is otherwise theirs alone, before dispatch)."""
    if incident.cancel_requested_at is None:
        return CLOSING_DISPOSITIONS
    asked_by = set(incident.events.filter(kind=IncidentEvent.Kind.CANCEL_REQUESTED).values_list("side", flat=True))
    asked = {Disposition.WITHDRAWN: IncidentEvent.Side.OPERATOR, Disposition.CANCELLED: IncidentEvent.Side.ALARM_CENTER}
    return (*CLOSING_DISPOSITIONS, *(disposition for disposition, side in asked.items() if side in asked_by))


def incident_close(*, actor: Actor, incident: Incident, disposition: str, outcome_summary: str) -> Incident:
    """Close the incident with a disposition (`incident_closing_dispositions`) and an outcome summary. The
    OUTCOME event carries the summary back to the operator's console, and after the commit it is emailed to
    the operator who opened it and to the company's first 24/7 contact."""
    require(actor, "incident.dispatch", incident)
    if disposition not in Disposition.values:
        raise Refused(_("Choose how the incident ended."))
    outcome_summary = clean_text(outcome_summary)
    if not outcome_summary:
        raise Refused(_("Write a short outcome for the company that handed the incident over."))
    with transaction.atomic():
        incident = incident_lock(actor=actor, incident_id=incident.pk, rule="incident.dispatch")
        _open_check(incident)
        if disposition not in incident_closing_dispositions(incident):
            raise Refused(_("Choose how the incident ended."))
        incident.status = Incident.Status.CLOSED
        incident.disposition = disposition
        incident.outcome_summary = outcome_summary
        incident.closed_at = timezone.now()
        incident.save(update_fields=["status", "disposition", "outcome_summary", "closed_at", "updated_at"])
        _police_event(actor=actor, incident=incident, kind=IncidentEvent.Kind.OUTCOME, text=outcome_summary,
                      data={"status": incident.status, "disposition": disposition,
                            "disposition_label": str(incident.get_disposition_display())})
        incident_id = incident.pk
        # robust: a queue that is down must not undo the closing; the outcome is on the console anyway
        transaction.on_commit(lambda: tasks.incident_outcome_email.enqueue(incident_id), robust=True)
    return incident


def incident_outcome_recipients(incident: Incident) -> list[tuple[str, str]]:
    """(email address, language): the operator who opened the incident, and the company's first 24/7
    contact with an email address, once each."""
    recipients: list[tuple[str, str]] = []
    opener = incident.opened_by
    if opener is not None and opener.is_active and opener.email:
        recipients.append((opener.email, opener.preferred_language or settings.LANGUAGE_CODE))
    contact = (Contact.objects.filter(organisation_id=incident.company_id, is_24_7=True).exclude(email="")
               .order_by("escalation_order", "pk").first())
    if contact is not None and contact.email.lower() not in {address.lower() for address, _ in recipients}:
        recipients.append((contact.email, settings.LANGUAGE_CODE))
    return recipients


def incident_outcome_email_send(*, incident_id: int) -> int:
    """Email a closed incident's outcome to the company (see `incident_outcome_recipients`). Returns how many
    emails went out."""
    incident = Incident.objects.select_related("agency", "company", "opened_by").get(pk=incident_id)
    sent = 0
    for address, language in incident_outcome_recipients(incident):
        with translation.override(language):
            context = {"incident": incident, "platform_name": settings.PLATFORM_NAME,
                       "incident_url": f"{settings.SITE_URL}{reverse('incidents:detail', args=[incident.pk])}"}
            subject = render_to_string("incidents/email/outcome_subject.txt", context).strip()
            body = render_to_string("incidents/email/outcome_body.txt", context)
        try:
            send_mail(" ".join(subject.split()), body, None, [address])
        except OSError:
            logger.exception("could not email the outcome of incident %s", incident.pk)
            continue
        sent += 1
    return sent


# --- Both sides


def incident_message_post(*, actor: Actor, incident: Incident, text: str) -> IncidentEvent:
    """A message on the incident's timeline, from police or from the company's operators, while it is open.
    The side is the poster's: police of the agency, else the company's operator."""
    require(actor, "incident.message", incident)
    text = clean_text(text)
    if not text:
        raise Refused(_("Write the message."))
    with transaction.atomic():
        incident = incident_lock(actor=actor, incident_id=incident.pk, rule="incident.message")
        police = may(actor, "incident.dispatch", incident)
        side = IncidentEvent.Side.POLICE if police else IncidentEvent.Side.OPERATOR
        organisation = incident.agency if police else incident.company
        return incident_event_append(incident=incident, kind=IncidentEvent.Kind.MESSAGE, side=side,
                                     **event_actor(actor=actor, organisation=organisation), text=text, data={})
