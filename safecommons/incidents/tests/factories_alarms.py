"""Alarm centers in tests: a security company's API key, permits it monitors for an agency, and alarm
events sent through the service or over HTTP."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime

from django.test import Client
from django.utils import timezone

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.permissions import Actor, actor_for_api_key, actor_for_user
from safecommons.core.roles import Role
from safecommons.incidents.models import AlarmPermit, Incident
from safecommons.incidents.services import alarms as alarm_services
from safecommons.incidents.tests.factories import AlarmPermitFactory
from safecommons.partners.models import ApiKey
from safecommons.partners.services import api_key_issue

ALARMS_URL = "/api/incidents/alarms"
_event_numbers = itertools.count(1)


@dataclass(frozen=True)
class AlarmCenter:
    """A monitoring center's API key: as an actor for the services, and its secret for HTTP."""

    company: object
    actor: Actor
    secret: str

    def client(self) -> Client:
        return Client(headers={"Authorization": f"Bearer {self.secret}"})


def alarm_center(organisation, scopes=(ApiKey.ApiScope.ALARMS_WRITE,)) -> AlarmCenter:
    """A key of `organisation`, issued by one of its admins (made here)."""
    admin = MembershipFactory(organisation=organisation, role=Role.PARTNER_ADMIN).user
    api_key, secret = api_key_issue(actor=actor_for_user(admin), organisation=organisation, name="Alarm center",
                                    scopes=list(scopes), mfa_verified=True)
    return AlarmCenter(company=organisation, actor=actor_for_api_key(api_key), secret=secret)


def alarm_permit(company, agency, **fields) -> AlarmPermit:
    return AlarmPermitFactory(agency=agency, monitoring_company=company, **fields)


def next_event_id() -> str:
    return f"EV-{next(_event_numbers):06d}"


def alarm_fields(permit: AlarmPermit | None = None, *, received_at: datetime | None = None, **fields) -> dict:
    """An alarm event as a center sends it (service keywords), a burglary at `permit` received just now."""
    return {"event_id": next_event_id(), "type": "BURG", "permit_number": permit.number if permit else "AP-NONE",
            "received_at": received_at or timezone.now(), "zone": "3 Back door", **fields}


def alarm_send(center: AlarmCenter, permit: AlarmPermit | None = None, **fields) -> alarm_services.AlarmAnswer:
    return alarm_services.alarm_event_receive(actor=center.actor, **alarm_fields(permit, **fields))


def alarm_post(client: Client, permit: AlarmPermit | None = None, **fields):
    body = alarm_fields(permit, **fields)
    body["received_at"] = body["received_at"].isoformat()
    return client.post(ALARMS_URL, json.dumps(body), content_type="application/json")


def incident_moved_to(incident: Incident, status: str, **fields) -> Incident:
    """Put an incident where police would have taken it (the police side's services are tested there)."""
    now = timezone.now()
    stamps = {Incident.Status.ACKNOWLEDGED: {"acknowledged_at": now},
              Incident.Status.DISPATCHED: {"acknowledged_at": now, "dispatched_at": now},
              Incident.Status.ON_SCENE: {"acknowledged_at": now, "dispatched_at": now, "on_scene_at": now},
              Incident.Status.CLOSED: {"closed_at": now}}
    Incident.objects.filter(pk=incident.pk).update(status=status, **{**stamps.get(status, {}), **fields})
    incident.refresh_from_db()
    return incident
