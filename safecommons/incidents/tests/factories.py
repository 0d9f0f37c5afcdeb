"""Incidents in tests: the agreement that lets a security company hand incidents to an agency, alarm
permits, and incidents written as rows (tests of the services go through the services instead)."""

import factory
from django.utils import timezone

from safecommons.accounts.backends import USER_BACKEND
from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import AlarmPermit, Incident, IncidentEvent, IncidentType
from safecommons.partners.models import Scope
from safecommons.partners.tests.factories import agreement_between


def handoff_agreement(company, agency, **fields):
    """An agreement in force letting `company` send alarm events and incident data to `agency`."""
    return agreement_between(company, agency, Scope.ALARM_EVENTS, Scope.INCIDENT_DATA,
                             **{"title": "Alarm and incident handoff MOU", **fields})


class AlarmPermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlarmPermit

    number = factory.Sequence(lambda n: f"AP-{n:05d}")
    address = factory.Sequence(lambda n: f"{100 + n} Main St")
    latitude = 44.98
    longitude = -93.27


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident row; pass agency= and company=."""

    class Meta:
        model = Incident

    source = Incident.Source.OPERATOR
    type = IncidentType.BREAK_IN
    address = factory.Sequence(lambda n: f"{200 + n} Oak Ave")
    latitude = 44.98
    longitude = -93.27
    received_at = factory.LazyFunction(timezone.now)


def incident_opened(**fields) -> Incident:
    """An incident row and its 'opened' event, as if handed over (for tests of what watchers see)."""
    incident = IncidentFactory(**fields)
    incident_event_append(incident=incident, kind=IncidentEvent.Kind.OPENED, side=IncidentEvent.Side.OPERATOR,
                          actor_label="operator", text="Opened")
    return incident


def staff_session_key(user, *, second_factor: bool = True, idle_minutes: int = 0) -> str:
    """The key of a saved session as after the real sign-in (with its second factor unless told otherwise),
    last active `idle_minutes` ago: for websocket tests, which read the session as a browser sends it."""
    import time
    from importlib import import_module

    from django.conf import settings
    from django.test import Client

    from safecommons.conftest import sign_in

    client = Client()
    if second_factor:
        sign_in(client, user)
    else:
        client.force_login(user, backend=USER_BACKEND)
    key = client.cookies["sessionid"].value
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)  # cached with Redis
    session["last_seen"] = int(time.time()) - idle_minutes * 60
    session.save()
    return key
