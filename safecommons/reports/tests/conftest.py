import pytest

from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners import services as partner_services
from safecommons.places.tests.factories import AreaFactory
from safecommons.reports.models import ServiceAttribute
from safecommons.reports.tests.factories import ServiceAttributeFactory, ServiceTypeFactory

# Inside the agency's neighborhood below.
INSIDE = {"latitude": 44.905, "longitude": -93.295}


@pytest.fixture
def area(agency):
    """The agency's neighborhood: the square (-93.30, 44.90) – (-93.29, 44.91)."""
    return AreaFactory(agency=agency, name="West End", lon=-93.30, lat=44.90)


@pytest.fixture
def vehicle_service(agency, area):
    """Abandoned vehicle, with a definition: plate, colour, days parked (required), state, seen on."""
    service = ServiceTypeFactory(agency=agency, code="abandoned-vehicle", name="Abandoned vehicle", group="Vehicles",
                                 notice="An officer checks the vehicle before any tow.")
    kind = ServiceAttribute.Datatype
    ServiceAttributeFactory(service=service, code="plate", description="Licence plate", order=1)
    ServiceAttributeFactory(service=service, code="colour", description="Colour", order=2)
    ServiceAttributeFactory(service=service, code="days_parked", description="Days parked", datatype=kind.NUMBER,
                            required=True, order=3)
    ServiceAttributeFactory(service=service, code="state", description="State of the vehicle", order=4,
                            datatype=kind.SINGLEVALUELIST,
                            values=[{"key": "intact", "name": "Intact"}, {"key": "wrecked", "name": "Wrecked"}])
    ServiceAttributeFactory(service=service, code="problems", description="Problems", order=5,
                            datatype=kind.MULTIVALUELIST,
                            values=[{"key": "flat", "name": "Flat tyres"}, {"key": "glass", "name": "Broken glass"}])
    ServiceAttributeFactory(service=service, code="seen_on", description="First seen", order=6,
                            datatype=kind.DATETIME)
    return service


@pytest.fixture
def graffiti_service(agency, area):
    """A service without a definition (metadata false)."""
    return ServiceTypeFactory(agency=agency, code="graffiti", name="Graffiti", group="Property")


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def issue_key(people, organisation, scopes):
    """A key of the partner, issued by its admin from a verified session; returns (key, secret)."""
    return partner_services.api_key_issue(actor=actor_for_user(people[Role.PARTNER_ADMIN]), organisation=organisation,
                                          name="311 app", scopes=scopes, mfa_verified=True)


@pytest.fixture
def submit_key(people, partner):
    """(key, secret) of the partner's 311 app, allowed to submit reports."""
    return issue_key(people, partner, ["reports:submit"])
