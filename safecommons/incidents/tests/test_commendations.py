"""Commendations: who may issue them, their numbers, the recipient's email and consent, what the public
sees, and the certificate PDF."""

import io
import os
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from safecommons.accounts.tests.factories import MembershipFactory, UserFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.incidents.models import Commendation
from safecommons.incidents.pdf import latin1_text
from safecommons.incidents.selectors import commendations as selectors
from safecommons.incidents.services import commendations as services
from safecommons.incidents.tests.factories import IncidentFactory
from safecommons.incidents.tests.factories_commendations import CommendationFactory, closed_incident
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

REFUSED_ROLES = [Role.OFFICER, Role.LIAISON, Role.ANALYST, Role.RESIDENT, Role.SECURITY_OPERATOR,
                 Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.OVERSIGHT]


def issue(people, agency, *, by=Role.SUPERVISOR, recipient=None, **fields):
    values = {"title": "For quick and clear reporting",
              "citation": "Watched the break-in live and guided officers to both suspects.", **fields}
    return services.commendation_issue(actor=actor_for_user(people[by]), agency=agency,
                                       recipient=recipient or people[Role.SECURITY_OPERATOR], **values)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def other_agency(db):
    return OrganisationFactory(kind=OrganisationKind.AGENCY, name="Otherton Police Department")


# --- Issuing


def test_a_supervisor_commends_an_operator(people, agency):
    commendation = issue(people, agency)
    assert commendation.recipient == people[Role.SECURITY_OPERATOR]
    assert commendation.issued_by == people[Role.SUPERVISOR]
    assert commendation.number == f"TPD-C-{timezone.localdate().year}-0001"
    assert commendation.public_consent is None
    assert abs((timezone.now() - commendation.issued_at).total_seconds()) < 60
    entry = AuditEntry.objects.get(action="commendation.issue")
    assert entry.object_id == str(commendation.pk) and entry.organisation_id == agency.pk
    assert entry.details["number"] == commendation.number


def test_an_agency_admin_commends_a_resident(people, agency):
    commendation = issue(people, agency, by=Role.AGENCY_ADMIN, recipient=people[Role.RESIDENT])
    assert commendation.recipient == people[Role.RESIDENT]


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_it_refuses_anyone_but_supervisors_and_agency_admins(people, agency, role):
    with pytest.raises(PermissionDenied):
        issue(people, agency, by=role, recipient=UserFactory())
    assert not Commendation.objects.exists()


def test_it_refuses_a_supervisor_of_another_agency(people, agency, other_agency):
    outsider = MembershipFactory(organisation=other_agency, role=Role.SUPERVISOR).user
    with pytest.raises(PermissionDenied):
        services.commendation_issue(actor=actor_for_user(outsider), agency=agency,
                                    recipient=people[Role.RESIDENT], title="Thanks", citation="For the help.")


def test_it_refuses_an_incident_of_another_agency(people, agency, other_agency, security_company):
    theirs = closed_incident(agency=other_agency, company=security_company)
    with pytest.raises(Refused, match="not handled by"):
        issue(people, agency, incident=theirs)
    assert not Commendation.objects.exists()


def test_it_refuses_an_incident_still_open(people, agency, security_company):
    open_incident = IncidentFactory(agency=agency, company=security_company)
    with pytest.raises(Refused, match="still open"):
        issue(people, agency, incident=open_incident)


def test_it_names_a_closed_incident_of_the_agency(people, agency, security_company):
    incident = closed_incident(agency=agency, company=security_company)
    assert issue(people, agency, incident=incident).incident == incident


@pytest.mark.parametrize(("fields", "message"), [
    ({"title": "  "}, "title"),
    ({"citation": ""}, "citation"),
    ({"title": "x" * (services.TITLE_MAX + 1)}, "longer"),
    ({"citation": "x" * (services.CITATION_MAX + 1)}, "certificate"),
])
def test_it_refuses_an_empty_or_overlong_title_or_citation(people, agency, fields, message):
    with pytest.raises(Refused, match=message):
        issue(people, agency, **fields)


def test_a_supervisor_cannot_commend_themselves(people, agency):
    with pytest.raises(Refused, match="yourself"):
        issue(people, agency, recipient=people[Role.SUPERVISOR])


def test_the_recipient_is_found_by_email_whatever_its_case(people):
    assert selectors.commendation_recipient(email=" Resident@Test.Example ") == people[Role.RESIDENT]
    with pytest.raises(Refused, match="Nobody has signed up"):
        selectors.commendation_recipient(email="nobody@test.example")


# --- Numbers


def test_two_issues_get_two_numbers_in_sequence(people, agency):
    first, second = issue(people, agency), issue(people, agency, recipient=people[Role.RESIDENT])
    year = timezone.localdate().year
    assert (first.number, second.number) == (f"TPD-C-{year}-0001", f"TPD-C-{year}-0002")


def test_agencies_with_the_same_initials_never_share_a_number(people, agency):
    namesake = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Twin Peaks Division")
    admin = MembershipFactory(organisation=namesake, role=Role.AGENCY_ADMIN).user
    first = issue(people, agency)
    second = services.commendation_issue(actor=actor_for_user(admin), agency=namesake,
                                         recipient=people[Role.RESIDENT], title="Thanks", citation="For the help.")
    assert first.number.startswith("TPD-C-") and second.number.startswith("TPD-C-")
    assert first.number != second.number


def test_a_number_taken_meanwhile_is_retried_with_the_next(people, agency, monkeypatch):
    taken = issue(people, agency)
    real_next = services._next_number
    answers = iter([taken.number])  # as if another supervisor had just issued the number computed

    def racing(agency_, year):
        return next(answers, None) or real_next(agency_, year)

    monkeypatch.setattr(services, "_next_number", racing)
    again = issue(people, agency, recipient=people[Role.RESIDENT])
    assert again.number != taken.number and again.number.endswith("-0002")
    assert Commendation.objects.count() == 2


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="needs PostgreSQL (DATABASE_URL) for concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_supervisors_issuing_at_once_get_distinct_numbers(people, agency):
    count = 4
    recipients = [UserFactory() for _ in range(count)]
    start, errors = threading.Barrier(count), []

    def run(recipient):
        try:
            start.wait()
            issue(people, agency, recipient=recipient)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(recipient,)) for recipient in recipients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    year = timezone.localdate().year
    assert sorted(Commendation.objects.values_list("number", flat=True)) == [
        f"TPD-C-{year}-{n:04d}" for n in range(1, count + 1)]


# --- Email


def test_the_recipient_is_emailed_a_link_after_commit(people, agency, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        commendation = issue(people, agency, site_url="https://safe.example/")
    assert mailoutbox == []  # nothing leaves before the commendation is committed
    for callback in callbacks:
        callback()
    [email] = mailoutbox
    assert email.to == [people[Role.SECURITY_OPERATOR].email]
    assert agency.name in email.subject and commendation.title in email.subject
    assert f"https://safe.example/incidents/commendations/{commendation.pk}/" in email.body
    assert commendation.number in email.body and commendation.citation in email.body


def test_the_email_is_written_in_the_recipients_language(people, agency, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    resident = people[Role.RESIDENT]
    resident.preferred_language = "es"
    resident.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        commendation = issue(people, agency, recipient=resident)
    with translation.override("es"):
        spanish_date = formats.date_format(timezone.localtime(commendation.issued_at), "DATE_FORMAT")
    assert spanish_date in mailoutbox[0].body
    assert " de " in spanish_date  # the month in Spanish, e.g. "5 de marzo de 2026"


# --- Consent and the public list


def test_consent_given_and_withdrawn_changes_the_public_list(people, agency):
    commendation = issue(people, agency)
    recipient = actor_for_user(people[Role.SECURITY_OPERATOR])
    assert list(selectors.commendations_public()) == []
    services.commendation_consent_set(actor=recipient, commendation=commendation, public=True)
    assert list(selectors.commendations_public()) == [commendation]
    services.commendation_consent_set(actor=recipient, commendation=commendation, public=False)
    assert list(selectors.commendations_public()) == []
    commendation.refresh_from_db()
    assert commendation.public_consent is False and commendation.consent_answered_at is not None
    assert AuditEntry.objects.filter(action="commendation.consent").count() == 2


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.RESIDENT])
def test_only_the_recipient_answers_for_the_public_list(people, agency, role):
    commendation = issue(people, agency)
    with pytest.raises(PermissionDenied):
        services.commendation_consent_set(actor=actor_for_user(people[role]), commendation=commendation,
                                          public=True)
    commendation.refresh_from_db()
    assert commendation.public_consent is None


def test_the_public_name_is_never_an_email_address(agency):
    nameless = UserFactory(display_name="", email="quiet@test.example")
    assert selectors.recipient_name(nameless) == "A member of the community"
    assert "@" not in selectors.recipient_name(nameless)


# --- Who sees which


def test_a_person_sees_the_commendations_they_received_only(people, agency):
    theirs = CommendationFactory(agency=agency, recipient=people[Role.RESIDENT])
    CommendationFactory(agency=agency, recipient=people[Role.SECURITY_OPERATOR])
    assert list(selectors.commendations_for_recipient(actor=actor_for_user(people[Role.RESIDENT]))) == [theirs]


def test_agency_staff_see_what_their_agency_issued_and_nobody_else_does(people, agency, other_agency):
    ours = CommendationFactory(agency=agency, recipient=people[Role.RESIDENT])
    CommendationFactory(agency=other_agency, recipient=people[Role.RESIDENT])
    assert list(selectors.commendations_issued(actor=actor_for_user(people[Role.ANALYST]))) == [ours]
    for role in (Role.RESIDENT, Role.SECURITY_OPERATOR, Role.OVERSIGHT):
        assert not selectors.commendations_issued(actor=actor_for_user(people[role])).exists()


# --- The certificate


def test_the_certificate_is_a_landscape_page_with_the_name_and_number(people, agency):
    commendation = issue(people, agency)
    data = services.commendation_certificate_make(actor=actor_for_user(people[Role.SECURITY_OPERATOR]),
                                                  commendation=commendation)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    text = pdf_text(data)
    for expected in (people[Role.SECURITY_OPERATOR].display_name, commendation.number, "Community Commendation",
                     agency.name.upper(), commendation.title, people[Role.SUPERVISOR].display_name, "Supervisor"):
        assert expected in text


def test_text_outside_latin_1_does_not_break_the_certificate(people, agency):
    recipient = UserFactory(display_name="Łukasz “Łucja” Žemaitė 王小明 🚓")
    commendation = issue(people, agency, recipient=recipient, title="For courage — and calm…",
                         citation="Rang us at once € " + "ş" * 800)
    text = pdf_text(services.commendation_certificate_make(actor=actor_for_user(recipient),
                                                           commendation=commendation))
    assert 'Lukasz "Lucja" Zemaite' in text
    assert "For courage - and calm..." in text
    assert len(PdfReader(io.BytesIO(services.commendation_certificate_make(
        actor=actor_for_user(recipient), commendation=commendation))).pages) == 1


def test_latin_1_text_is_kept_and_the_rest_made_plain():
    assert latin1_text("Zoë Müller-García") == "Zoë Müller-García"
    assert latin1_text("Łódź – “quoted”") == 'Lódz - "quoted"'  # ó is Latin-1, Ł and ź are not
    assert latin1_text("王") == "?"


def test_the_longest_citation_still_fits_one_page(people, agency):
    commendation = issue(people, agency, title="T" * services.TITLE_MAX,
                         citation=("word " * 400)[:services.CITATION_MAX])
    data = services.commendation_certificate_make(actor=actor_for_user(people[Role.SECURITY_OPERATOR]),
                                                  commendation=commendation)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_a_staff_download_is_audited_and_the_recipients_is_not(people, agency):
    commendation = issue(people, agency)
    services.commendation_certificate_make(actor=actor_for_user(people[Role.SECURITY_OPERATOR]),
                                           commendation=commendation)
    assert not AuditEntry.objects.filter(action="commendation.certificate").exists()
    services.commendation_certificate_make(actor=actor_for_user(people[Role.ANALYST]), commendation=commendation)
    entry = AuditEntry.objects.get(action="commendation.certificate")
    assert entry.actor_id == people[Role.ANALYST].pk and entry.object_id == str(commendation.pk)
