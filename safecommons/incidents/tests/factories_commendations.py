"""Commendations in tests: rows written directly (the issuing service has its own tests), and closed
incidents to name in them."""

import factory
from django.utils import timezone

from safecommons.incidents.models import Commendation, Incident
from safecommons.incidents.tests.factories import IncidentFactory


class CommendationFactory(factory.django.DjangoModelFactory):
    """A commendation row; pass agency= and recipient=."""

    class Meta:
        model = Commendation

    title = "For quick and clear reporting"
    citation = "Watched the break-in live and guided officers to the suspects."
    issued_at = factory.LazyFunction(timezone.now)
    number = factory.Sequence(lambda n: f"TST-C-2026-{n + 1:04d}")


def closed_incident(*, agency, company, **fields) -> Incident:
    """An incident the agency has closed."""
    now = timezone.now()
    return IncidentFactory(agency=agency, company=company, status=Incident.Status.CLOSED, closed_at=now,
                           **fields)
