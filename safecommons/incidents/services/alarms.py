"""The alarm-center exchange: a monitoring center sends alarm events machine to machine (modelled on ASAP,
the alarm-monitoring-to-dispatch standard) and cancels them; each event is answered once and for good.

An event is accepted (a new incident for the permit's agency), joined (another alarm from the same permit
while its incident is still open), or rejected with a reason. The answer is stored with the event
(`AlarmEvent`, unique per company and event id), so a center that resends the same event id, after a
timeout or twice at once, gets the first answer again and nothing is created twice.

This is a hot path (hundreds of events a second across all centers): one event or a batch of them takes
the same dozen statements, set-based (`_Judgement`), and no audit-chain entry (an alarm is not a read of
sensitive data; the stored `AlarmEvent` is the record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor
from safecommons.incidents.events import NewEvent, incident_event_append, incident_events_append
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


@dataclass(frozen=True)
class AlarmIn:
    """One alarm event as a center sends it (the fields of `alarm_event_receive`)."""

    event_id: str
    type: str
    permit_number: str
    received_at: datetime
    site_address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    zone: str = ""
    audible: bool = True
    callback_phone: str = ""
    verification: str = Verification.UNVERIFIED
    monitoring_center_ref: str = ""
    operator_ref: str = ""
    payload: dict[str, Any] | None = None


def _staleness(received_at: datetime, now: datetime) -> str:
    """Why the center's timestamp is unusable, or ''."""
    if received_at < now - timedelta(seconds=settings.ALARM_STALE_SECONDS):
        return _("The event was received by the center more than %(seconds)s seconds ago; call it in by "
                 "phone if it still needs police.") % {"seconds": settings.ALARM_STALE_SECONDS}
    if received_at > now + timedelta(seconds=settings.ALARM_CLOCK_SKEW_SECONDS):
        return _("The event is dated more than %(seconds)s seconds in the future; check the center's clock.") % {
            "seconds": settings.ALARM_CLOCK_SKEW_SECONDS}
    return ""


def _alarm_clean(alarm: AlarmIn) -> AlarmIn:
    """The event with its id and permit number stripped; Refused when it cannot be answered at all."""
    event_id = alarm.event_id.strip()
    if not event_id:
        raise Refused(_("An event id is required."))
    if timezone.is_naive(alarm.received_at):
        raise Refused(_("Give the time the center received the event with its time zone."))
    if alarm.verification not in Verification.values:
        raise Refused(_("Unknown verification: %(value)s.") % {"value": alarm.verification})
    return replace(alarm, event_id=event_id, permit_number=alarm.permit_number.strip())


def _alarm_text(alarm_type: AlarmType, zone: str, audible: bool) -> str:
    text = str(alarm_type.label)
    if zone:
        text = _("%(alarm)s, zone %(zone)s") % {"alarm": text, "zone": zone}
    return text if audible else _("%(alarm)s (silent)") % {"alarm": text}


def alarm_event_receive(*, actor: Actor, **fields: Any) -> AlarmAnswer:
    """Answer one alarm event from a monitoring center (the fields of `AlarmIn`): accepted (a new
    incident), joined (to the open incident of the same permit within ALARM_DUPLICATE_WINDOW_SECONDS) or
    rejected (`Reason`). The answer is stored with the event; the same event id sent again gets the stored
    answer and changes nothing."""
    return alarm_events_receive(actor=actor, alarms=[AlarmIn(**fields)])[0]


BATCH_MAX = 200  # alarm events in one call of `alarm_events_receive` through the API


def alarm_events_receive(*, actor: Actor, alarms: Sequence[AlarmIn]) -> list[AlarmAnswer]:
    """Answer several alarm events of one center at once, in one transaction, each exactly as
    `alarm_event_receive` would one after the other in the order given (a later event may join the incident
    an earlier one opened; an event id given twice gets its first answer twice). A resend racing its
    original waits for it and gets its answer (`_event_ids_claim`)."""
    company_id = center_company_id(actor)
    cleaned = []
    for number, alarm in enumerate(alarms):
        try:
            cleaned.append(_alarm_clean(alarm))
        except Refused as refused:
            if len(alarms) == 1:
                raise
            raise Refused(_("Event %(number)s: %(problem)s") % {"number": number, "problem": refused}) from None
    with transaction.atomic():
        return _alarms_answer(actor, company_id, cleaned)


def _event_ids_claim(company_id: int, event_ids: list[str], now: datetime) -> dict[str, int]:
    """Store a row for each event id not stored yet, its answer to follow in this transaction: {event id:
    row id} of those. An id another transaction is storing at this moment (a resend racing its original)
    waits on the unique constraint until that one ends, then is left out here and read with its answer.
    Ids go in sorted, so two calls never wait on each other in a circle."""
    if not event_ids:
        return {}
    claimed: dict[str, int] = {}
    received_at = connection.ops.adapt_datetimefield_value(now)
    event_ids = sorted(event_ids)
    for start in range(0, len(event_ids), BATCH_MAX):
        chunk = event_ids[start:start + BATCH_MAX]
        rows = ", ".join(["(%s, %s, '', '', '', '{}', %s)"] * len(chunk))  # placeholders only: values are params
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO "incidents_alarmevent" ("company_id", "event_id", "outcome", "reason", "detail", '  # noqa: S608
                f'"payload", "received_at") VALUES {rows} ON CONFLICT ("company_id", "event_id") DO NOTHING '
                'RETURNING "id", "event_id"',
                [value for event_id in chunk for value in (company_id, event_id, received_at)])
            claimed.update({event_id: pk for pk, event_id in cursor.fetchall()})
    return claimed


def _alarms_answer(actor: Actor, company_id: int, alarms: list[AlarmIn]) -> list[AlarmAnswer]:
    now = timezone.now()
    claimed = _event_ids_claim(company_id, list({alarm.event_id for alarm in alarms}), now)
    answers: list[AlarmAnswer | None] = [None] * len(alarms)
    stored = {event.event_id: event for event in AlarmEvent.objects.select_related("incident").filter(
        company_id=company_id, event_id__in={alarm.event_id for alarm in alarms} - claimed.keys())}
    first_of: dict[str, int] = {}  # event id -> the position that answers it
    for position, alarm in enumerate(alarms):
        if alarm.event_id in stored:
            answers[position] = AlarmAnswer.stored(stored[alarm.event_id], replayed=True)
        else:
            first_of.setdefault(alarm.event_id, position)
    judged = _Judgement(actor=actor, company_id=company_id, now=now, claimed=claimed,
                        alarms=[alarms[position] for position in first_of.values()])
    for (event_id, position), alarm_event in zip(first_of.items(), judged.store(), strict=True):
        answers[position] = AlarmAnswer.stored(alarm_event, replayed=False)
        stored[event_id] = alarm_event
    for position, alarm in enumerate(alarms):
        if answers[position] is None:  # the same event id earlier in this call
            answers[position] = AlarmAnswer.stored(stored[alarm.event_id], replayed=True)
    return answers


class _Judgement:
    """The alarms of one call that were never answered before, judged in order with a few queries in all:
    their permits (locked, in id order, so that two alarms from one site are judged one after the other
    whoever sends them), the grants, the incidents still open at those permits (locked); then the rows
    written in one insert per table, and the timeline events numbered in one step."""

    def __init__(self, *, actor: Actor, company_id: int, now: datetime, claimed: dict[str, int],
                 alarms: list[AlarmIn]) -> None:
        self.actor, self.company_id, self.now, self.alarms = actor, company_id, now, alarms
        self.claimed = claimed
        self.permits: dict[str, list[AlarmPermit]] = defaultdict(list)
        if alarms:
            for permit in (AlarmPermit.objects.select_for_update(of=("self",)).select_related("monitoring_company")
                           .filter(number__in={alarm.permit_number for alarm in alarms},
                                   monitoring_company_id=company_id, is_active=True).order_by("pk")):
                self.permits[permit.number].append(permit)
        self.grants: dict[int, AgreementGrant | None] = {}
        self.open: dict[int, Incident] = {}  # permit id -> its incident still open
        single = [found[0] for found in self.permits.values() if len(found) == 1]
        if single:
            window = now - timedelta(seconds=settings.ALARM_DUPLICATE_WINDOW_SECONDS)
            for incident in (Incident.objects.select_for_update(of=("self",)).select_related("company")
                             .filter(alarm_permit__in=single, company_id=company_id, received_at__gte=window)
                             .exclude(status=Incident.Status.CLOSED).order_by("alarm_permit_id", "-received_at")):
                self.open.setdefault(incident.alarm_permit_id, incident)

    def _grant(self, agency_id: int) -> AgreementGrant | None:
        if agency_id not in self.grants:
            self.grants[agency_id] = grant_covering(scope=Scope.ALARM_EVENTS, provider_id=self.company_id,
                                                    recipient_id=agency_id)
        return self.grants[agency_id]

    def store(self) -> list[AlarmEvent]:
        """One stored event (with its answer) per alarm, in order; incidents opened and joined, their flows
        on the agreement's record and their timeline events written."""
        alarm_events: list[AlarmEvent] = []
        opened: list[tuple[Incident, AlarmEvent, AgreementGrant]] = []
        joined: dict[int, Incident] = {}
        timeline: list[tuple[AlarmEvent, NewEvent]] = []
        for alarm in self.alarms:
            alarm_event = AlarmEvent(pk=self.claimed[alarm.event_id], company_id=self.company_id,
                                     event_id=alarm.event_id, payload=alarm.payload or {},
                                     event_received_at=alarm.received_at, received_at=self.now)
            alarm_events.append(alarm_event)
            self._judge(alarm, alarm_event, opened, joined, timeline)
        Incident.objects.bulk_create([incident for incident, _event, _grant in opened])
        for incident, alarm_event, _grant in opened:
            alarm_event.incident = incident
        if joined:
            for incident in joined.values():
                incident.updated_at = self.now
            Incident.objects.bulk_update(list(joined.values()),
                                         ["alarm_count", "verification", "priority", "updated_at"])
        # The rows claimed at the start, replaced by the answered ones under the same ids: one delete and one
        # insert, where updating each row would take a statement of a CASE per row and field.
        AlarmEvent.objects.filter(pk__in=[alarm_event.pk for alarm_event in alarm_events]).delete()
        AlarmEvent.objects.bulk_create(alarm_events)
        # Each alarm crossed from the company to the agency under its grant: on the agreement's record of
        # flows. (Not through data_flow_authorize, which also writes an audit-chain entry: too heavy here.)
        DataFlow.objects.bulk_create([
            DataFlow(grant=grant, agreement_id=grant.agreement_id, scope=Scope.ALARM_EVENTS,
                     provider_id=incident.company_id, recipient_id=incident.agency_id,
                     actor_label=self.actor.label[:254], purpose=f"alarm event {alarm_event.event_id}"[:500],
                     object_type=Incident._meta.label_lower, object_id=str(incident.pk))
            for incident, alarm_event, grant in opened
        ])
        incident_events_append([new for _alarm_event, new in timeline])
        return alarm_events

    def _judge(self, alarm: AlarmIn, alarm_event: AlarmEvent, opened: list, joined: dict[int, Incident],
               timeline: list) -> None:
        def reject(reason: str, detail: str) -> None:
            alarm_event.outcome, alarm_event.reason, alarm_event.detail = (AlarmEvent.Outcome.REJECTED, reason,
                                                                           detail[:300])

        # The permit first, so that every rejection is counted against its site in the statistics.
        found = self.permits.get(alarm.permit_number, [])
        permit = found[0] if len(found) == 1 else None
        alarm_event.permit = permit
        code = alarm.type.strip().upper()
        alarm_type = ALARM_TYPES.get(code)
        if alarm_type is None:
            return reject(Reason.INVALID_TYPE, _("Unknown alarm type %(type)s; use one of: %(types)s.") % {
                "type": alarm.type[:20], "types": ", ".join(ALARM_TYPES)})
        stale = _staleness(alarm.received_at, self.now)
        if stale:
            return reject(Reason.STALE_EVENT, stale)
        if permit is None:
            if found:
                return reject(Reason.UNKNOWN_SITE, _(
                    "Alarm permit number %(number)s is on record with more than one agency; ask the agency to "
                    "tell them apart.") % {"number": alarm.permit_number})
            return reject(Reason.UNKNOWN_SITE, _("No active alarm permit %(number)s is monitored by your "
                                                 "company.") % {"number": alarm.permit_number})
        company = permit.monitoring_company
        grant = self._grant(permit.agency_id)
        if grant is None:
            return reject(Reason.NO_AGREEMENT, _("No agreement in force lets %(company)s send alarm events to the "
                                                 "agency that issued permit %(number)s.")
                          % {"company": company.name, "number": permit.number})
        center = {"event_id": alarm.event_id, "type": code, "zone": alarm.zone, "audible": alarm.audible,
                  "monitoring_center_ref": alarm.monitoring_center_ref, "operator_ref": alarm.operator_ref,
                  "permit": permit.number, "received_at": alarm.received_at.isoformat()}
        if alarm.site_address.strip() and alarm.site_address.strip() != permit.address:
            center["site_address"] = alarm.site_address.strip()
        label = f"{company.name} ({alarm.operator_ref})" if alarm.operator_ref else company.name
        text = _alarm_text(alarm_type, alarm.zone, alarm.audible)
        incident = self.open.get(permit.pk)
        if incident is not None:
            # Another alarm from the site of an incident still open: counted on it, and a verified alarm
            # raises an unverified incident's verification.
            incident.alarm_count += 1
            if incident.verification == Verification.UNVERIFIED and alarm.verification != Verification.UNVERIFIED:
                incident.verification = alarm.verification
                incident.priority = incident_priority(incident)
            if incident.pk is not None:
                joined[incident.pk] = incident
            alarm_event.outcome, alarm_event.incident = AlarmEvent.Outcome.JOINED, incident
            timeline.append((alarm_event, NewEvent(incident=incident, kind=IncidentEvent.Kind.ALARM,
                                                   side=IncidentEvent.Side.ALARM_CENTER, actor_label=label,
                                                   text=text, data=center)))
            return None
        incident = Incident(
            agency_id=permit.agency_id, company=company, source=Incident.Source.ALARM, site_id=permit.site_id,
            address=permit.address, latitude=permit.latitude, longitude=permit.longitude,
            type=alarm_type.incident_type, verification=alarm.verification, callback_phone=alarm.callback_phone,
            summary=text, alarm_permit=permit, alarm_count=1, received_at=self.now,
        )
        if alarm.latitude is not None and alarm.longitude is not None:
            incident.latitude, incident.longitude = alarm.latitude, alarm.longitude
        incident.priority = incident_priority(incident)
        self.open[permit.pk] = incident
        alarm_event.outcome, alarm_event.incident = AlarmEvent.Outcome.ACCEPTED, incident
        opened.append((incident, alarm_event, grant))
        timeline.append((alarm_event, NewEvent(incident=incident, kind=IncidentEvent.Kind.OPENED,
                                               side=IncidentEvent.Side.ALARM_CENTER, actor_label=label,
                                               text=incident.summary, data=center, at=incident.received_at)))
        return None


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
