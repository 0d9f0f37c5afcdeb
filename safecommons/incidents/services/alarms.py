"""The alarm-center exchange: a monitoring center sends alarm events machine to machine (modelled on ASAP,
the alarm-monitoring-to-dispatch standard) and cancels them; each event is answered once and for good.

An event is accepted (a new incident for the permit's agency), joined (another alarm from the same permit
while its incident is still open), or rejected with a reason. The answer is stored with the event
(`AlarmEvent`, unique per company and event id), so a center that resends the same event id, after a
timeout or twice at once, gets the first answer again and nothing is created twice.

This is a hot path (hundreds of events a second across all centers): a handful of queries per event, no
audit-chain entry (an alarm is not a read of sensitive data; the stored `AlarmEvent` is the record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor
from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import (
    AlarmEvent,
    AlarmPermit,
    Disposition,
    Incident,
    IncidentEvent,
    IncidentType,
    Verification,
)
from safecommons.incidents.selectors.alarms import center_company_id
from safecommons.incidents.services.priority import incident_priority
from safecommons.partners.models import AgreementGrant, DataFlow, Scope
from safecommons.partners.selectors import grant_covering


@dataclass(frozen=True)
class AlarmType:
    incident_type: str
    label: Promise


# The alarm event codes we accept, after the event types of the ASAP exchange. Trouble, supervisory and
# test signals are for the monitoring center, never for police, and are refused as `invalid_type`.
ALARM_TYPES: dict[str, AlarmType] = {
    "BURG": AlarmType(IncidentType.BURGLAR_ALARM, gettext_lazy("Burglary alarm")),
    "HOLD": AlarmType(IncidentType.HOLDUP_ALARM, gettext_lazy("Hold-up alarm")),
    "PANIC": AlarmType(IncidentType.HOLDUP_ALARM, gettext_lazy("Panic alarm")),
    "DURESS": AlarmType(IncidentType.HOLDUP_ALARM, gettext_lazy("Duress alarm")),
    "FIRE": AlarmType(IncidentType.FIRE, gettext_lazy("Fire alarm")),
    "MED": AlarmType(IncidentType.MEDICAL, gettext_lazy("Medical alarm")),
    "VEH": AlarmType(IncidentType.VEHICLE_THEFT, gettext_lazy("Vehicle alarm or stolen-vehicle tracker")),
    "GUNSHOT": AlarmType(IncidentType.SHOTS_FIRED, gettext_lazy("Gunshot detection")),
}


class Reason:
    """Why an event was rejected (the `reason` of a rejection; integrators match on these)."""

    INVALID_TYPE = "invalid_type"
    STALE_EVENT = "stale_event"
    UNKNOWN_SITE = "unknown_site"
    NO_AGREEMENT = "no_agreement"


STATUS_CODES = {AlarmEvent.Outcome.ACCEPTED: 201, AlarmEvent.Outcome.JOINED: 200, AlarmEvent.Outcome.REJECTED: 422}


@dataclass(frozen=True)
class AlarmAnswer:
    """What the center is told about one event: the same every time it asks."""

    event_id: str
    outcome: str
    reason: str
    detail: str
    incident: Incident | None
    replayed: bool

    @property
    def status_code(self) -> int:
        return STATUS_CODES[self.outcome]

    @classmethod
    def stored(cls, alarm_event: AlarmEvent, *, replayed: bool) -> AlarmAnswer:
        return cls(event_id=alarm_event.event_id, outcome=alarm_event.outcome, reason=alarm_event.reason,
                   detail=alarm_event.detail, incident=alarm_event.incident, replayed=replayed)


class CancelOutcome:
    CANCELLED = "cancelled"  # the incident was closed as cancelled
    CANCEL_REQUESTED = "cancel_requested"  # police are on it: they were asked, and decide
    ALREADY_CLOSED = "already_closed"  # police had closed it before the cancellation came


@dataclass(frozen=True)
class CancelAnswer:
    event_id: str
    outcome: str
    incident: Incident


def _stored_event(company_id: int, event_id: str) -> AlarmEvent | None:
    return AlarmEvent.objects.select_related("incident").filter(company_id=company_id, event_id=event_id).first()


def _staleness(received_at: datetime, now: datetime) -> str:
    """Why the center's timestamp is unusable, or ''."""
    if received_at < now - timedelta(seconds=settings.ALARM_STALE_SECONDS):
        return _("The event was received by the center more than %(seconds)s seconds ago; call it in by "
                 "phone if it still needs police.") % {"seconds": settings.ALARM_STALE_SECONDS}
    if received_at > now + timedelta(seconds=settings.ALARM_CLOCK_SKEW_SECONDS):
        return _("The event is dated more than %(seconds)s seconds in the future; check the center's clock.") % {
            "seconds": settings.ALARM_CLOCK_SKEW_SECONDS}
    return ""


def _permit_for(company_id: int, permit_number: str) -> tuple[AlarmPermit | None, str]:
    """The active permit with this number that the company monitors, locked until the end of the
    transaction (so two alarms from one site are judged one after the other), or None and why."""
    permits = list(AlarmPermit.objects.select_for_update(of=("self",)).select_related("monitoring_company")
                   .filter(number=permit_number, monitoring_company_id=company_id, is_active=True)[:2])
    if not permits:
        return None, _("No active alarm permit %(number)s is monitored by your company.") % {
            "number": permit_number}
    if len(permits) > 1:
        return None, _("Alarm permit number %(number)s is on record with more than one agency; ask the agency "
                       "to tell them apart.") % {"number": permit_number}
    return permits[0], ""


def _alarm_text(alarm_type: AlarmType, zone: str, audible: bool) -> str:
    text = str(alarm_type.label)
    if zone:
        text = _("%(alarm)s, zone %(zone)s") % {"alarm": text, "zone": zone}
    return text if audible else _("%(alarm)s (silent)") % {"alarm": text}


def alarm_event_receive(
    *,
    actor: Actor,
    event_id: str,
    type: str,
    permit_number: str,
    received_at: datetime,
    site_address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    zone: str = "",
    audible: bool = True,
    callback_phone: str = "",
    verification: str = Verification.UNVERIFIED,
    monitoring_center_ref: str = "",
    operator_ref: str = "",
    payload: dict[str, Any] | None = None,
) -> AlarmAnswer:
    """Answer one alarm event from a monitoring center: accepted (a new incident), joined (to the open
    incident of the same permit within ALARM_DUPLICATE_WINDOW_SECONDS) or rejected (`Reason`). The answer
    is stored with the event; the same event id sent again gets the stored answer and changes nothing."""
    company_id = center_company_id(actor)
    event_id = event_id.strip()
    if not event_id:
        raise Refused(_("An event id is required."))
    if timezone.is_naive(received_at):
        raise Refused(_("Give the time the center received the event with its time zone."))
    if verification not in Verification.values:
        raise Refused(_("Unknown verification: %(value)s.") % {"value": verification})
    now = timezone.now()
    event = {
        "company_id": company_id, "event_id": event_id, "payload": payload or {},
        "event_received_at": received_at,
    }
    with transaction.atomic():
        stored = _stored_event(company_id, event_id)
        if stored is not None:
            return AlarmAnswer.stored(stored, replayed=True)

        def rejected(reason: str, detail: str, permit: AlarmPermit | None = None) -> AlarmAnswer:
            return _saved_once(lambda: AlarmEvent.objects.create(
                **event, permit=permit, outcome=AlarmEvent.Outcome.REJECTED, reason=reason, detail=detail[:300]),
                company_id=company_id, event_id=event_id)

        # The permit first, so that every rejection is counted against its site in the statistics.
        permit, why = _permit_for(company_id, permit_number.strip())
        code = type.strip().upper()
        alarm_type = ALARM_TYPES.get(code)
        if alarm_type is None:
            return rejected(Reason.INVALID_TYPE, _("Unknown alarm type %(type)s; use one of: %(types)s.") % {
                "type": type[:20], "types": ", ".join(ALARM_TYPES)}, permit)
        stale = _staleness(received_at, now)
        if stale:
            return rejected(Reason.STALE_EVENT, stale, permit)
        if permit is None:
            return rejected(Reason.UNKNOWN_SITE, why)
        company = permit.monitoring_company
        grant = grant_covering(scope=Scope.ALARM_EVENTS, provider_id=company_id, recipient_id=permit.agency_id)
        if grant is None:
            return rejected(Reason.NO_AGREEMENT, _("No agreement in force lets %(company)s send alarm events to "
                                                   "the agency that issued permit %(number)s.")
                            % {"company": company.name, "number": permit.number}, permit)

        event["permit"] = permit
        center = {"event_id": event_id, "type": code, "zone": zone, "audible": audible,
                  "monitoring_center_ref": monitoring_center_ref, "operator_ref": operator_ref,
                  "permit": permit.number, "received_at": received_at.isoformat()}
        if site_address.strip() and site_address.strip() != permit.address:
            center["site_address"] = site_address.strip()
        label = f"{company.name} ({operator_ref})" if operator_ref else company.name
        text = _alarm_text(alarm_type, zone, audible)
        open_incident = (
            Incident.objects.select_for_update(of=("self",)).select_related("company")
            .filter(alarm_permit=permit, company_id=company_id,
                    received_at__gte=now - timedelta(seconds=settings.ALARM_DUPLICATE_WINDOW_SECONDS))
            .exclude(status=Incident.Status.CLOSED).order_by("-received_at").first()
        )
        if open_incident is not None:
            return _saved_once(lambda: _join(open_incident, event=event, center=center, label=label, text=text,
                                             verification=verification),
                               company_id=company_id, event_id=event_id)
        incident = Incident(
            agency_id=permit.agency_id, company=company, source=Incident.Source.ALARM, site_id=permit.site_id,
            address=permit.address, latitude=permit.latitude, longitude=permit.longitude,
            type=alarm_type.incident_type, verification=verification, callback_phone=callback_phone, summary=text,
            alarm_permit=permit, alarm_count=1, received_at=now,
        )
        if latitude is not None and longitude is not None:
            incident.latitude, incident.longitude = latitude, longitude
        incident.priority = incident_priority(incident)
        return _saved_once(lambda: _open(incident, event=event, center=center, label=label, grant=grant, actor=actor),
                           company_id=company_id, event_id=event_id)


def _open(incident: Incident, *, event: dict[str, Any], center: dict[str, Any], label: str,
          grant: AgreementGrant, actor: Actor) -> AlarmEvent:
    incident.save(force_insert=True)
    alarm_event = AlarmEvent.objects.create(**event, incident=incident, outcome=AlarmEvent.Outcome.ACCEPTED)
    # The alarm crossed from the company to the agency under this grant: on the agreement's record of flows.
    # (Not through data_flow_authorize, which also writes an audit-chain entry: too heavy for every alarm.)
    DataFlow.objects.create(
        grant=grant, agreement_id=grant.agreement_id, scope=Scope.ALARM_EVENTS, provider_id=incident.company_id,
        recipient_id=incident.agency_id, actor_label=actor.label[:254],
        purpose=f"alarm event {alarm_event.event_id}"[:500], object_type=Incident._meta.label_lower,
        object_id=str(incident.pk),
    )
    incident_event_append(incident=incident, kind=IncidentEvent.Kind.OPENED, side=IncidentEvent.Side.ALARM_CENTER,
                          actor_label=label, text=incident.summary, data=center, at=incident.received_at)
    return alarm_event


def _join(incident: Incident, *, event: dict[str, Any], center: dict[str, Any], label: str, text: str,
          verification: str) -> AlarmEvent:
    """Another alarm from the site of an incident still open (locked by the caller): counted on it, and a
    verified alarm raises an unverified incident's verification."""
    incident.alarm_count += 1
    fields = ["alarm_count", "updated_at"]
    if incident.verification == Verification.UNVERIFIED and verification != Verification.UNVERIFIED:
        incident.verification = verification
        incident.priority = incident_priority(incident)
        fields += ["verification", "priority"]
    incident.save(update_fields=fields)
    alarm_event = AlarmEvent.objects.create(**event, incident=incident, outcome=AlarmEvent.Outcome.JOINED)
    incident_event_append(incident=incident, kind=IncidentEvent.Kind.ALARM, side=IncidentEvent.Side.ALARM_CENTER,
                          actor_label=label, text=text, data=center)
    return alarm_event


def _saved_once(write: Callable[[], AlarmEvent], *, company_id: int, event_id: str) -> AlarmAnswer:
    """Run `write` (which stores the event with its answer) in a savepoint. When another request stored the
    same event id first (a resend racing the original), the unique constraint stops ours: undo it and give
    the first answer."""
    try:
        with transaction.atomic():
            alarm_event = write()
    except IntegrityError:
        first = _stored_event(company_id, event_id)
        if first is None:
            raise
        return AlarmAnswer.stored(first, replayed=True)
    return AlarmAnswer.stored(alarm_event, replayed=False)


def alarm_event_cancel(*, actor: Actor, event_id: str, reason: str = "") -> CancelAnswer:
    """The center calls off an alarm it sent (e.g. the keyholder gave the passcode). Before police are on
    the way the incident is closed as cancelled; once dispatched or on scene, police are asked and decide.
    Asking again changes nothing and gives the same answer."""
    company_id = center_company_id(actor)
    reason = reason.strip()[:300]
    with transaction.atomic():
        alarm_event = AlarmEvent.objects.only("pk", "event_id", "incident_id").get(company_id=company_id,
                                                                                    event_id=event_id.strip())
        if alarm_event.incident_id is None:
            raise Refused(_("This alarm event was rejected: there is no incident to cancel."))
        incident = (Incident.objects.select_for_update(of=("self",)).select_related("company")
                    .get(pk=alarm_event.incident_id))
        answer = CancelAnswer(event_id=alarm_event.event_id, outcome=CancelOutcome.CANCEL_REQUESTED, incident=incident)
        if incident.status == Incident.Status.CLOSED:
            cancelled = incident.disposition == Disposition.CANCELLED
            return replace(answer, outcome=CancelOutcome.CANCELLED if cancelled else CancelOutcome.ALREADY_CLOSED)
        if incident.cancel_requested_at is not None:
            return answer
        now = timezone.now()
        data = {"event_id": alarm_event.event_id, "reason": reason}
        if incident.status in (Incident.Status.RECEIVED, Incident.Status.ACKNOWLEDGED):
            incident.status, incident.disposition, incident.closed_at = (Incident.Status.CLOSED,
                                                                         Disposition.CANCELLED, now)
            incident.save(update_fields=["status", "disposition", "closed_at", "updated_at"])
            text = (_("Cancelled by the alarm company: %(reason)s") % {"reason": reason} if reason
                    else _("Cancelled by the alarm company."))
            incident_event_append(incident=incident, kind=IncidentEvent.Kind.STATUS,
                                  side=IncidentEvent.Side.ALARM_CENTER, actor_label=incident.company.name, text=text,
                                  data={**data, "status": incident.status, "disposition": incident.disposition},
                                  at=now)
            return replace(answer, outcome=CancelOutcome.CANCELLED)
        incident.cancel_requested_at = now
        incident.save(update_fields=["cancel_requested_at", "updated_at"])
        text = (_("The alarm company asks to cancel: %(reason)s") % {"reason": reason} if reason
                else _("The alarm company asks to cancel."))
        incident_event_append(incident=incident, kind=IncidentEvent.Kind.CANCEL_REQUESTED,
                              side=IncidentEvent.Side.ALARM_CENTER, actor_label=incident.company.name, text=text,
                              data=data, at=now)
        return answer
