"""False-alarm statistics, with numbers worked out by hand: police see their agency's alarms, a monitoring
company's staff their own company's; the page draws the chart on the server; wrong roles are refused."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.incidents.models import Disposition, Incident
from safecommons.incidents.selectors import alarms as alarm_selectors
from safecommons.incidents.services import alarms as alarm_services
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_alarms import alarm_center, alarm_permit, alarm_send, incident_moved_to
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PAGE = "/incidents/alarms/statistics/"
API = "/api/incidents/alarms/statistics"


def closed(answer, disposition, dispatched=True):
    fields = {"dispatched_at": timezone.now()} if dispatched else {}
    incident_moved_to(answer.incident, Incident.Status.CLOSED, disposition=disposition, **fields)


@pytest.fixture
def world(agency, security_company, time_machine):
    """Our company C sends to agency A (permits P1, P2) and to agency B (P4); company D sends to A (P3).

    P1: e1 accepted (I1, dispatched, false alarm), e2 joined to I1, e3 accepted (I2, cancelled by C),
        e4 accepted (I3, dispatched, false alarm), e8 rejected (invalid type); and, 40 days ago, e0
        (I0, false alarm), outside a 30-day period.
    P2: e5 accepted (I4, dispatched, arrest), e6 accepted (I5, still open).
    C also sends e7 for a permit nobody knows (rejected, no site).
    P3 (D): e9 accepted (I6, dispatched, false alarm). P4 (C, agency B): e10 accepted (I7, false alarm)."""
    now = timezone.now()
    time_machine.move_to(now - timedelta(days=40), tick=False)
    long_ago = timezone.localdate() - timedelta(days=100)
    other_agency = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Other County Sheriff")
    company_d = OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY, name="Nightwatch Alarms")
    for company, to in ((security_company, agency), (security_company, other_agency), (company_d, agency)):
        handoff_agreement(company, to, effective_from=long_ago, expires_on=long_ago + timedelta(days=365))
    c, d = alarm_center(security_company), alarm_center(company_d)
    p1 = alarm_permit(security_company, agency, number="AP-1", address="1 First St")
    p2 = alarm_permit(security_company, agency, number="AP-2", address="2 Second St")
    p3 = alarm_permit(company_d, agency, number="AP-3", address="3 Third St")
    p4 = alarm_permit(security_company, other_agency, number="AP-4", address="4 Fourth St")
    closed(alarm_send(c, p1), Disposition.FALSE_ALARM)  # e0, long ago
    time_machine.move_to(now, tick=False)

    e1 = alarm_send(c, p1)
    assert alarm_send(c, p1).outcome == "joined"  # e2
    closed(e1, Disposition.FALSE_ALARM)
    e3 = alarm_send(c, p1)
    alarm_services.alarm_event_cancel(actor=c.actor, event_id=e3.event_id)
    closed(alarm_send(c, p1), Disposition.FALSE_ALARM)  # e4
    assert alarm_send(c, p1, type="TEST").outcome == "rejected"  # e8
    closed(alarm_send(c, p2), Disposition.ARREST)  # e5
    alarm_send(c, p2)  # e6
    assert alarm_send(c, None).reason == "unknown_site"  # e7
    closed(alarm_send(d, p3), Disposition.FALSE_ALARM)  # e9
    closed(alarm_send(c, p4), Disposition.FALSE_ALARM, dispatched=False)  # e10
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "d": company_d}


def numbers(counts):
    return (counts.received, counts.joined, counts.rejected, counts.incidents, counts.dispatched,
            counts.false_alarms, counts.cancelled, counts.closed)


def statistics(user, days=30):
    return alarm_selectors.alarm_statistics(actor=actor_for_user(user), since=timezone.now() - timedelta(days=days))


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.AGENCY_ADMIN])
def test_police_see_their_agencys_alarms_per_site_and_company(world, people, role, security_company):
    stats = statistics(people[role])
    assert [row.permit.number for row in stats.sites] == ["AP-1", "AP-3", "AP-2"]  # most false alarms first
    p1, p3, p2 = stats.sites
    assert numbers(p1.counts) == (5, 1, 1, 3, 2, 2, 1, 3)
    assert p1.counts.false_alarm_rate == pytest.approx(2 / 3)
    assert numbers(p2.counts) == (2, 0, 0, 2, 1, 0, 0, 1) and p2.counts.false_alarm_rate == 0
    assert numbers(p3.counts) == (1, 0, 0, 1, 1, 1, 0, 1) and p3.counts.false_alarm_rate == 1
    companies = {row.company.name: numbers(row.counts) for row in stats.companies}
    assert companies == {"Watchful Monitoring": (7, 1, 1, 5, 3, 2, 1, 4), "Nightwatch Alarms": (1, 0, 0, 1, 1, 1, 0, 1)}
    assert numbers(stats.totals) == (8, 1, 1, 6, 4, 3, 1, 5)
    assert stats.totals.false_alarm_rate == pytest.approx(3 / 5)


def test_a_longer_period_takes_in_the_older_alarms(world, people):
    stats = statistics(people[Role.OFFICER], days=90)
    assert numbers(stats.sites[0].counts) == (6, 1, 1, 4, 3, 3, 1, 4)


def test_company_staff_see_only_their_own_company(world, people):
    stats = statistics(people[Role.SECURITY_OPERATOR])
    assert [row.permit.number for row in stats.sites] == ["AP-1", "AP-4", "AP-2"]
    assert numbers(stats.sites[1].counts) == (1, 0, 0, 1, 0, 1, 0, 1)
    assert [(row.company.name, numbers(row.counts)) for row in stats.companies] == [
        ("Watchful Monitoring", (9, 1, 2, 6, 3, 3, 1, 5))]


def test_with_nothing_closed_there_is_no_rate(agency, security_company, people):
    handoff_agreement(security_company, agency)
    alarm_send(alarm_center(security_company), alarm_permit(security_company, agency))
    stats = statistics(people[Role.OFFICER])
    assert stats.totals.incidents == 1 and stats.totals.false_alarm_rate is None


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.LIAISON, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN,
                                  Role.OVERSIGHT])
def test_other_roles_are_refused(people, role):
    with pytest.raises(PermissionDenied):
        statistics(people[role])


# --- The page


def test_the_page_shows_the_tables_and_a_chart_of_the_sites_with_most_false_alarms(world, people, client_for):
    response = client_for(people[Role.ANALYST]).get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and page.count("<rect") == 2  # AP-1 and AP-3; AP-2 had none
    assert "AP-1 — 1 First St" in page and "67 %" in page
    assert "Nightwatch Alarms" in page and "AP-4" not in page
    assert response.wsgi_request.path == reverse("incidents:alarm_statistics")


def test_the_page_period_filter_takes_the_listed_periods_only(world, people, client_for):
    client = client_for(people[Role.OFFICER])
    assert client.get(PAGE, {"days": 90}).context["stats"].totals.received == 9
    refused = client.get(PAGE, {"days": 7})
    assert refused.status_code == 400 and refused.context["days"] == 30


def test_the_page_without_any_alarm_says_so(people, client_for):
    page = client_for(people[Role.SUPERVISOR]).get(PAGE).content.decode()
    assert "No false alarms in this period." in page and "No alarms in this period." in page


def test_the_page_is_for_signed_in_people(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.LIAISON, Role.PARTNER_ADMIN, Role.OVERSIGHT])
def test_the_page_refuses_other_roles(people, client_for, role):
    assert client_for(people[role]).get(PAGE).status_code == 403


# --- The API


def test_the_api_gives_the_same_counts_as_json(world, people, client_for):
    body = client_for(people[Role.OFFICER]).get(API, {"days": 30}).json()
    assert body["totals"]["received"] == 8 and body["totals"]["false_alarm_rate"] == pytest.approx(0.6)
    assert [site["permit_number"] for site in body["sites"]] == ["AP-1", "AP-3", "AP-2"]
    assert body["sites"][0]["company"] == "Watchful Monitoring" and body["sites"][0]["agency"] == (
        "Testville Police Department")
    assert {row["company"] for row in body["companies"]} == {"Watchful Monitoring", "Nightwatch Alarms"}


def test_the_api_refuses_the_anonymous_other_roles_and_api_keys(people, client, client_for, security_company):
    assert client.get(API).status_code == 401
    assert client_for(people[Role.RESIDENT]).get(API).status_code == 403
    assert client_for(people[Role.PARTNER_MEMBER]).get(API).status_code == 403
    assert alarm_center(security_company).client().get(API).status_code == 401


def test_a_company_partner_admin_is_company_staff(world, agency):
    admin = MembershipFactory(organisation=world["d"], role=Role.PARTNER_ADMIN).user
    stats = statistics(admin)
    assert [row.permit.number for row in stats.sites] == ["AP-3"]


def test_an_alarm_incident_the_operator_withdrew_counts_as_cancelled_by_the_company(agency, security_company,
                                                                                    people):
    handoff_agreement(security_company, agency)
    answer = alarm_send(alarm_center(security_company), alarm_permit(security_company, agency))
    closed(answer, Disposition.WITHDRAWN, dispatched=False)
    counts = statistics(people[Role.OFFICER]).totals
    assert (counts.cancelled, counts.false_alarms, counts.closed) == (1, 0, 1)


def test_the_chart_labels_fit_and_the_period_reads_well(agency, security_company, people, client_for, time_machine):
    time_machine.move_to(datetime(2026, 12, 3, 8, 6, tzinfo=UTC), tick=False)  # 30 days before: 2:06 a.m.
    handoff_agreement(security_company, agency)
    permit = alarm_permit(security_company, agency, number="P-0103", address="1160 Cedar St, Riverton, Minnesota")
    closed(alarm_send(alarm_center(security_company), permit), Disposition.FALSE_ALARM)
    page = client_for(people[Role.OFFICER]).get(PAGE).content.decode()
    assert "P-0103 — 1160 Cedar St, Riverton, M…" in page
    assert "Counted from Nov. 3, 2026, 2:06 a.m. to now." in page
