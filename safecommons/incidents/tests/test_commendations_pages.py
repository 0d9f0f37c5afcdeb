"""Commendations over HTTP, pages and API: supervisors issue, recipients answer for the public list and
download their certificate, anyone reads the public list; every other role and nobody are refused."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from safecommons.accounts.tests.factories import MembershipFactory, UserFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.roles import Role
from safecommons.incidents.models import Commendation
from safecommons.incidents.tests.factories import IncidentFactory
from safecommons.incidents.tests.factories_commendations import CommendationFactory, closed_incident
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

API = "/api/incidents/commendations"
ISSUERS = (Role.SUPERVISOR, Role.AGENCY_ADMIN)
NOT_ISSUERS = [role for role in Role if role not in ISSUERS]
AGENCY_STAFF = (Role.OFFICER, Role.LIAISON, Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN)
NOT_AGENCY_STAFF = [role for role in Role if role not in AGENCY_STAFF]
CITATION = "Watched the break-in live and guided officers to both suspects."


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def commendation(people, agency):
    """A private commendation (no answer yet) to the operator, issued by the supervisor."""
    return CommendationFactory(agency=agency, recipient=people[Role.SECURITY_OPERATOR],
                               issued_by=people[Role.SUPERVISOR], citation=CITATION)


@pytest.fixture
def public_commendation(people, agency):
    return CommendationFactory(agency=agency, recipient=people[Role.RESIDENT], public_consent=True,
                               title="For calling it in", citation="Called at once and stayed on the line.")


@pytest.fixture
def stranger(db):
    """Signed up, and nothing to do with any commendation."""
    return UserFactory(email="stranger@test.example")


def assert_signed_in_redirect(response):
    assert response.status_code == 302 and reverse("accounts:sign_in") in response["Location"]


# --- API: issuing


@pytest.mark.parametrize("role", ISSUERS)
def test_the_api_issues_a_commendation(client_for, people, agency, role, mailoutbox,
                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(people[role]), API, {
            "recipient_email": people[Role.RESIDENT].email.upper(), "title": "For calling it in",
            "citation": CITATION})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TPD-C-") and body["recipient_email"] == people[Role.RESIDENT].email
    assert body["url"] == reverse("incidents:commendation_detail", args=[body["id"]])
    assert mailoutbox[0].to == [people[Role.RESIDENT].email]
    assert f"http://testserver{body['url']}" in mailoutbox[0].body


@pytest.mark.parametrize("role", NOT_ISSUERS)
def test_the_api_refuses_to_issue_for_other_roles(client_for, people, role):
    response = post(client_for(people[role]), API, {"recipient_email": "stranger@test.example", "title": "Thanks",
                                                    "citation": CITATION})
    assert response.status_code == 403
    assert not Commendation.objects.exists()


def test_the_api_refuses_to_issue_anonymously(people):
    response = post(Client(), API, {"recipient_email": people[Role.RESIDENT].email, "title": "T", "citation": "C"})
    assert response.status_code == 401


def test_the_api_refuses_a_supervisor_naming_another_agency(client_for, people):
    elsewhere = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Otherton Police Department")
    response = post(client_for(people[Role.SUPERVISOR]), API, {
        "recipient_email": people[Role.RESIDENT].email, "title": "Thanks", "citation": CITATION,
        "agency_id": elsewhere.pk})
    assert response.status_code == 403


def test_the_api_refuses_an_incident_of_another_agency(client_for, people, security_company):
    elsewhere = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Otherton Police Department")
    MembershipFactory(user=people[Role.SUPERVISOR], organisation=elsewhere, role=Role.OFFICER)
    theirs = closed_incident(agency=elsewhere, company=security_company)
    client = client_for(people[Role.SUPERVISOR])
    response = post(client, API, {"recipient_email": people[Role.RESIDENT].email, "title": "Thanks",
                                  "citation": CITATION, "incident_id": theirs.pk})
    assert response.status_code == 403  # the incident's agency is one they cannot issue for
    agency_id = people[Role.SUPERVISOR].memberships.get(role=Role.SUPERVISOR).organisation_id
    response = post(client, API, {"recipient_email": people[Role.RESIDENT].email, "title": "Thanks",
                                  "citation": CITATION, "incident_id": theirs.pk, "agency_id": agency_id})
    assert response.status_code == 400 and "not handled by" in response.json()["detail"]
    assert not Commendation.objects.exists()


def test_the_api_says_when_nobody_has_the_email(client_for, people):
    response = post(client_for(people[Role.SUPERVISOR]), API, {"recipient_email": "nobody@test.example",
                                                               "title": "Thanks", "citation": CITATION})
    assert response.status_code == 400 and "Nobody has signed up" in response.json()["detail"]


def test_the_api_takes_the_agency_from_the_incident(client_for, people, agency, security_company):
    incident = closed_incident(agency=agency, company=security_company)
    response = post(client_for(people[Role.SUPERVISOR]), API, {
        "recipient_email": people[Role.SECURITY_OPERATOR].email, "title": "Thanks", "citation": CITATION,
        "incident_id": incident.pk})
    assert response.status_code == 201
    assert response.json()["incident_id"] == incident.pk and response.json()["agency_id"] == agency.pk


# --- API: reading and consent


def test_the_api_lists_mine_and_for_staff_the_issued(client_for, people, commendation, public_commendation):
    mine = client_for(people[Role.SECURITY_OPERATOR]).get(API).json()
    assert [c["number"] for c in mine["received"]] == [commendation.number] and mine["issued"] == []
    assert "recipient_email" not in mine["received"][0]
    staff = client_for(people[Role.ANALYST]).get(API).json()
    assert {c["number"] for c in staff["issued"]} == {commendation.number, public_commendation.number}
    assert staff["received"] == []


def test_the_api_list_refuses_anonymous_callers():
    assert Client().get(API).status_code == 401


def test_the_recipient_answers_through_the_api_and_the_public_list_follows(client_for, people, commendation):
    client = client_for(people[Role.SECURITY_OPERATOR])
    assert Client().get(f"{API}/public").json() == []
    response = post(client, f"{API}/{commendation.pk}/consent", {"public": True})
    assert response.status_code == 200 and response.json()["public_consent"] is True
    [shown] = Client().get(f"{API}/public").json()
    assert shown["number"] == commendation.number
    assert shown["recipient"] == people[Role.SECURITY_OPERATOR].display_name
    assert set(shown) == {"number", "title", "citation", "recipient", "agency", "issued_at", "certificate_url"}
    assert post(client, f"{API}/{commendation.pk}/consent", {"public": False}).status_code == 200
    assert Client().get(f"{API}/public").json() == []


@pytest.mark.parametrize("role", [r for r in Role if r != Role.SECURITY_OPERATOR])
def test_the_api_refuses_consent_from_anyone_but_the_recipient(client_for, people, commendation, role):
    response = post(client_for(people[role]), f"{API}/{commendation.pk}/consent", {"public": True})
    assert response.status_code == 403
    commendation.refresh_from_db()
    assert commendation.public_consent is None


def test_the_api_refuses_consent_anonymously(commendation):
    assert post(Client(), f"{API}/{commendation.pk}/consent", {"public": True}).status_code == 401


def test_the_public_api_never_shows_an_email_or_an_incident(people, agency, security_company):
    incident = closed_incident(agency=agency, company=security_company, address="12 Foundry Rd")
    quiet = UserFactory(display_name="", email="quiet@test.example")
    CommendationFactory(agency=agency, recipient=quiet, incident=incident, public_consent=True)
    response = Client().get(f"{API}/public")
    body = response.content.decode()
    assert "quiet@test.example" not in body and "12 Foundry Rd" not in body
    assert not any(key.startswith("incident") for key in response.json()[0])
    assert response.json()[0]["recipient"] == "A member of the community"


# --- Pages: the public list


def test_anyone_reads_the_public_page(people, commendation, public_commendation):
    page = Client().get(reverse("incidents:commendations_public"))
    assert page.status_code == 200
    assert public_commendation.title.encode() in page.content
    assert people[Role.RESIDENT].display_name.encode() in page.content
    assert commendation.number.encode() not in page.content  # not agreed to
    assert people[Role.RESIDENT].email.encode() not in page.content


# --- Pages: issuing


@pytest.mark.parametrize("role", ISSUERS)
def test_a_supervisor_issues_from_the_form(client_for, people, agency, role, mailoutbox,
                                           django_capture_on_commit_callbacks):
    client = client_for(people[role])
    assert client.get(reverse("incidents:commendation_issue")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("incidents:commendation_issue"), {
            "agency": agency.pk, "recipient_email": people[Role.SECURITY_OPERATOR].email,
            "title": "For quick reporting", "citation": CITATION, "incident": ""})
    commendation = Commendation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:commendation_detail", args=[commendation.pk])
    assert commendation.recipient == people[Role.SECURITY_OPERATOR] and len(mailoutbox) == 1


def test_the_form_offers_the_incident_a_link_names(client_for, people, agency, security_company):
    incident = closed_incident(agency=agency, company=security_company, address="12 Foundry Rd")
    client = client_for(people[Role.SUPERVISOR])
    page = client.get(reverse("incidents:commendation_issue"), {"incident": incident.pk})
    assert page.status_code == 200
    assert f'<option value="{incident.pk}" selected>'.encode() in page.content
    response = client.post(f"{reverse('incidents:commendation_issue')}?incident={incident.pk}", {
        "agency": agency.pk, "recipient_email": people[Role.RESIDENT].email, "title": "Thanks",
        "citation": CITATION, "incident": incident.pk})
    assert response.status_code == 302
    assert Commendation.objects.get().incident == incident


def test_the_form_says_an_open_incident_cannot_be_named_yet(client_for, people, agency, security_company):
    incident = IncidentFactory(agency=agency, company=security_company)
    page = client_for(people[Role.SUPERVISOR]).get(reverse("incidents:commendation_issue"), {"incident": incident.pk})
    assert page.status_code == 200 and b"still open" in page.content
    assert f'<option value="{incident.pk}"'.encode() not in page.content


def test_the_form_shows_why_it_refused(client_for, people, agency):
    response = client_for(people[Role.SUPERVISOR]).post(reverse("incidents:commendation_issue"), {
        "agency": agency.pk, "recipient_email": "nobody@test.example", "title": "Thanks", "citation": CITATION})
    assert response.status_code == 400 and b"Nobody has signed up" in response.content
    assert not Commendation.objects.exists()


@pytest.mark.parametrize("role", NOT_ISSUERS)
def test_the_form_refuses_other_roles(client_for, people, agency, role):
    client = client_for(people[role])
    assert client.get(reverse("incidents:commendation_issue")).status_code == 403
    response = client.post(reverse("incidents:commendation_issue"), {
        "agency": agency.pk, "recipient_email": people[Role.RESIDENT].email, "title": "T", "citation": "C"})
    assert response.status_code == 403 and not Commendation.objects.exists()


def test_the_form_sends_nobody_signed_in_to_sign_in():
    assert_signed_in_redirect(Client().get(reverse("incidents:commendation_issue")))


# --- Pages: the agency's list


@pytest.mark.parametrize("role", AGENCY_STAFF)
def test_agency_staff_see_the_issued_list(client_for, people, commendation, role):
    page = client_for(people[role]).get(reverse("incidents:commendations_issued"))
    assert page.status_code == 200 and commendation.number.encode() in page.content


@pytest.mark.parametrize("role", NOT_AGENCY_STAFF)
def test_the_issued_list_refuses_everyone_else(client_for, people, commendation, role):
    assert client_for(people[role]).get(reverse("incidents:commendations_issued")).status_code == 403


def test_the_issued_list_sends_nobody_signed_in_to_sign_in():
    assert_signed_in_redirect(Client().get(reverse("incidents:commendations_issued")))


# --- Pages: one commendation, consent, certificate


def test_the_recipient_sees_their_commendation_with_the_consent_choice(client_for, people, commendation):
    page = client_for(people[Role.SECURITY_OPERATOR]).get(
        reverse("incidents:commendation_detail", args=[commendation.pk]))
    assert page.status_code == 200
    assert CITATION.encode() in page.content and b'name="public"' in page.content
    assert reverse("incidents:commendation_certificate", args=[commendation.pk]).encode() in page.content


def test_agency_staff_see_the_commendation_with_the_email(client_for, people, commendation):
    page = client_for(people[Role.LIAISON]).get(reverse("incidents:commendation_detail", args=[commendation.pk]))
    assert page.status_code == 200
    assert people[Role.SECURITY_OPERATOR].email.encode() in page.content and b'name="public"' not in page.content


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.PARTNER_ADMIN, Role.OVERSIGHT])
def test_a_private_commendation_is_refused_to_others(client_for, people, commendation, role):
    client = client_for(people[role])
    assert client.get(reverse("incidents:commendation_detail", args=[commendation.pk])).status_code == 403
    assert client.get(reverse("incidents:commendation_certificate", args=[commendation.pk])).status_code == 403


def test_an_unknown_commendation_is_not_found(client_for, people):
    assert client_for(people[Role.SUPERVISOR]).get(
        reverse("incidents:commendation_detail", args=[999999])).status_code == 404


def test_a_private_commendation_sends_nobody_signed_in_to_sign_in(commendation):
    client = Client()
    assert_signed_in_redirect(client.get(reverse("incidents:commendation_detail", args=[commendation.pk])))
    assert_signed_in_redirect(client.get(reverse("incidents:commendation_certificate", args=[commendation.pk])))


def test_the_recipient_answers_on_the_page(client_for, people, commendation):
    client = client_for(people[Role.SECURITY_OPERATOR])
    url = reverse("incidents:commendation_consent", args=[commendation.pk])
    assert client.post(url, {"public": "yes"}).status_code == 302
    public_page = Client().get(reverse("incidents:commendations_public"))
    assert commendation.number.encode() in public_page.content
    assert client.post(url, {"public": "no"}).status_code == 302
    public_page = Client().get(reverse("incidents:commendations_public"))
    assert commendation.number.encode() not in public_page.content


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.RESIDENT])
def test_the_consent_page_refuses_anyone_but_the_recipient(client_for, people, commendation, role):
    response = client_for(people[role]).post(reverse("incidents:commendation_consent", args=[commendation.pk]),
                                             {"public": "yes"})
    assert response.status_code == 403
    commendation.refresh_from_db()
    assert commendation.public_consent is None


def test_the_consent_page_sends_nobody_signed_in_to_sign_in(commendation):
    response = Client().post(reverse("incidents:commendation_consent", args=[commendation.pk]), {"public": "yes"})
    assert_signed_in_redirect(response)


def test_the_recipient_downloads_the_certificate(client_for, people, commendation):
    response = client_for(people[Role.SECURITY_OPERATOR]).get(
        reverse("incidents:commendation_certificate", args=[commendation.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="commendation-{commendation.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    assert not AuditEntry.objects.filter(action="commendation.certificate").exists()


def test_a_staff_download_is_audited(client_for, people, commendation):
    response = client_for(people[Role.OFFICER]).get(
        reverse("incidents:commendation_certificate", args=[commendation.pk]))
    assert response.status_code == 200
    assert AuditEntry.objects.get(action="commendation.certificate").actor_id == people[Role.OFFICER].pk


def test_a_public_certificate_is_open_to_anyone(public_commendation, stranger, client_for):
    url = reverse("incidents:commendation_certificate", args=[public_commendation.pk])
    assert Client().get(url).status_code == 200
    assert client_for(stranger).get(url).status_code == 200


def test_the_account_page_lists_the_persons_commendations(client_for, people, commendation):
    page = client_for(people[Role.SECURITY_OPERATOR]).get(reverse("accounts:account"))
    assert b"Your commendations" in page.content
    assert reverse("incidents:commendation_detail", args=[commendation.pk]).encode() in page.content
    other = client_for(people[Role.RESIDENT]).get(reverse("accounts:account"))
    assert b"Your commendations" not in other.content
