"""The live board page: for the agency's officers and supervisors only, with their agency's incidents."""

import pytest
from django.urls import reverse

from safecommons.core.roles import Role
from safecommons.incidents.models import Incident
from safecommons.incidents.tests.factories import handoff_agreement, incident_opened
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
def test_police_see_their_agencys_board(client_for, people, agency, security_company, role):
    handoff_agreement(security_company, agency)
    ours = incident_opened(agency=agency, company=security_company, address="1 First St")
    other_agency = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere PD")
    incident_opened(agency=other_agency, company=security_company, address="9 Far Rd")
    response = client_for(people[role]).get(reverse("incidents:board"))
    assert response.status_code == 200
    shown = response.context["incidents"]
    assert [incident["id"] for incident in shown] == [ours.pk]
    assert "9 Far Rd" not in response.content.decode()
    assert response.context["state"].last_event_id >= 1


def test_the_board_lists_the_most_urgent_first_and_drops_long_closed_incidents(client_for, people, agency,
                                                                              security_company):
    from datetime import timedelta

    from django.utils import timezone

    handoff_agreement(security_company, agency)
    low = incident_opened(agency=agency, company=security_company, priority=20)
    high = incident_opened(agency=agency, company=security_company, priority=420)
    closed_long_ago = incident_opened(agency=agency, company=security_company, status=Incident.Status.CLOSED,
                                      closed_at=timezone.now() - timedelta(hours=5))
    response = client_for(people[Role.OFFICER]).get(reverse("incidents:board"))
    ids = [incident["id"] for incident in response.context["incidents"]]
    assert ids == [high.pk, low.pk]
    assert closed_long_ago.pk not in ids


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.ANALYST, Role.LIAISON, Role.AGENCY_ADMIN, Role.PARTNER_ADMIN,
                                  Role.PARTNER_MEMBER, Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_everyone_else_is_refused_the_board(client_for, people, role):
    assert client_for(people[role]).get(reverse("incidents:board")).status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in(client):
    response = client.get(reverse("incidents:board"))
    assert response.status_code == 302 and reverse("accounts:sign_in") in response["Location"]
