import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_api_key, actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.models import AddressPoint
from safecommons.reports import services
from safecommons.reports.models import ReportNotification, ServiceRequest, ServiceRequestUpdate
from safecommons.reports.tests.conftest import INSIDE
from safecommons.reports.tests.factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db


def resident(people):
    return actor_for_user(people[Role.RESIDENT])


def test_a_resident_reports_a_problem_located_in_the_agencys_area(people, vehicle_service, area):
    report = services.report_submit(actor=resident(people), service=vehicle_service, description="Grey sedan",
                                    attributes={"days_parked": "14", "plate": " RVT 482 "}, **INSIDE)
    assert report.reporter == people[Role.RESIDENT]
    assert report.agency == vehicle_service.agency and report.area == area
    assert report.status == ServiceRequest.Status.OPEN
    assert report.attributes == {"days_parked": 14, "plate": "RVT 482"}
    assert [u.status for u in report.updates.all()] == ["open"]
    assert AuditEntry.objects.filter(action="report.submitted", object_id=str(report.pk)).exists()


def test_an_address_from_the_gazetteer_places_the_report(people, graffiti_service):
    AddressPoint.objects.create(number="120", street="Oak St", street_key="oak st", longitude=-93.296, latitude=44.906)
    report = services.report_submit(actor=resident(people), service=graffiti_service, description="Tags",
                                    address="120 Oak Street")
    assert (report.latitude, report.longitude, report.address) == (44.906, -93.296, "120 Oak St")


def test_answers_are_stored_in_their_type(people, vehicle_service):
    report = services.report_submit(
        actor=resident(people), service=vehicle_service, description="", **INSIDE,
        attributes={"days_parked": "2.5", "state": "wrecked", "problems": ["flat", "glass"],
                    "seen_on": "2026-03-01T14:30:00-06:00"},
    )
    assert report.attributes == {"days_parked": 2.5, "state": "wrecked", "problems": ["flat", "glass"],
                                 "seen_on": "2026-03-01T14:30:00-06:00"}


@pytest.mark.parametrize(("attributes", "message"), [
    ({}, "Required: attribute[days_parked]"),
    ({"days_parked": "a week"}, "attribute[days_parked] must be a number"),
    ({"days_parked": "3", "wheels": "4"}, "attribute[wheels]: not an attribute of the service abandoned-vehicle"),
    ({"days_parked": "3", "state": "burning"}, "attribute[state]: burning is not one of intact, wrecked"),
    ({"days_parked": "3", "problems": ["flat", "smoke"]}, "attribute[problems]: smoke is not one of flat, glass"),
    ({"days_parked": "3", "seen_on": "last Tuesday"}, "attribute[seen_on] must be a date and time"),
    ({"days_parked": ["3", "4"]}, "attribute[days_parked] takes one value"),
])
def test_answers_that_break_the_definition_are_refused_and_nothing_is_stored(people, vehicle_service, attributes,
                                                                            message):
    with pytest.raises(Refused, match=message.replace("[", r"\[").replace("]", r"\]")):
        services.report_submit(actor=resident(people), service=vehicle_service, description="Car",
                               attributes=attributes, **INSIDE)
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(("where", "message"), [
    ({}, "Say where the problem is"),
    ({"latitude": 44.9}, "Give both a latitude and a longitude"),
    ({"latitude": 95.0, "longitude": -93.3}, "latitude must be between -90 and 90"),
    ({"latitude": 45.5, "longitude": -93.0}, "outside the area Testville Police Department serves"),
    ({"address": "999 Nowhere Rd"}, "We could not find the address"),
    ({"address": "Oak"}, "Give a house number and street"),
])
def test_a_place_we_cannot_use_is_refused_with_the_reason(people, graffiti_service, where, message):
    with pytest.raises(Refused, match=message):
        services.report_submit(actor=resident(people), service=graffiti_service, description="Tags", **where)
    assert not ServiceRequest.objects.exists()


def test_an_unknown_street_is_answered_with_streets_that_look_close(people, graffiti_service):
    AddressPoint.objects.create(number="120", street="Oak St", street_key="oak st", longitude=-93.296, latitude=44.906)
    with pytest.raises(Refused, match="Did you mean: Oak St"):
        services.report_submit(actor=resident(people), service=graffiti_service, description="Tags",
                               address="120 Oak Rd")


def test_an_open311_client_must_say_who_reports(people, partner, graffiti_service, submit_key):
    actor = actor_for_api_key(submit_key[0])
    with pytest.raises(Refused, match="An email is required"):
        services.report_submit(actor=actor, service=graffiti_service, description="Tags", **INSIDE)
    with pytest.raises(Refused, match="is not an email address"):
        services.report_submit(actor=actor, service=graffiti_service, description="Tags", **INSIDE,
                               contact=services.ReporterContact(email="not-an-email"))
    report = services.report_submit(actor=actor, service=graffiti_service, description="Tags", **INSIDE,
                                    contact=services.ReporterContact(email="Sam@Example.org", first_name="Sam"),
                                    via=ServiceRequest.Channel.OPEN311)
    assert report.reporter is None and report.reporter_email == "sam@example.org"
    assert report.api_key == submit_key[0] and report.submitted_via == "open311"


def test_a_key_without_the_reports_scope_cannot_submit(people, partner, graffiti_service):
    from safecommons.reports.tests.conftest import issue_key

    api_key, _secret = issue_key(people, partner, ["places:read"])
    with pytest.raises(PermissionDenied):
        services.report_submit(actor=actor_for_api_key(api_key), service=graffiti_service, description="Tags",
                               contact=services.ReporterContact(email="sam@example.org"), **INSIDE)


def test_a_status_change_is_recorded_pushed_live_and_emailed_to_the_reporter(
    people, graffiti_service, immediate_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr("safecommons.core.events.publish", lambda group, event: published.append((group, event)))
    reporter = people[Role.RESIDENT]
    report = ServiceRequestFactory(service=graffiti_service, reporter=reporter)
    officer = actor_for_user(people[Role.OFFICER])

    with django_capture_on_commit_callbacks(execute=True):
        update = services.report_status_change(actor=officer, report=report, status="in_progress",
                                               note="A crew paints over it on Tuesday.")

    assert (update.previous_status, update.status, update.author) == ("open", "in_progress", people[Role.OFFICER])
    report.refresh_from_db()
    assert report.status == "in_progress" and report.status_notes == "A crew paints over it on Tuesday."
    assert ReportNotification.objects.filter(user=reporter, update=update, read_at__isnull=True).exists()
    assert published == [(f"user.{reporter.pk}", {
        "type": "report.status", "id": report.pk, "status": "in_progress", "status_label": "In progress",
        "note": "A crew paints over it on Tuesday.", "service": "Graffiti", "url": f"/reports/{report.pk}/"})]
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [reporter.email]
    assert f"#{report.pk}" in email.subject and "In progress" in email.subject
    assert "A crew paints over it on Tuesday." in email.body
    assert AuditEntry.objects.filter(action="report.status_changed", object_id=str(report.pk)).exists()


def test_the_receipt_goes_to_the_email_an_open311_client_gave(
    people, graffiti_service, submit_key, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_submit(actor=actor_for_api_key(submit_key[0]), service=graffiti_service,
                                        description="Tags", contact=services.ReporterContact(email="sam@example.org"),
                                        **INSIDE)
    assert [m.to for m in mail.outbox] == [["sam@example.org"]]
    assert f"report #{report.pk}" in mail.outbox[0].subject


def test_nothing_changed_is_refused(people, graffiti_service):
    report = ServiceRequestFactory(service=graffiti_service)
    with pytest.raises(Refused, match="Nothing changed"):
        services.report_status_change(actor=actor_for_user(people[Role.OFFICER]), report=report, status="open")
    with pytest.raises(Refused, match="status must be one of"):
        services.report_status_change(actor=actor_for_user(people[Role.OFFICER]), report=report, status="lost")
    assert ServiceRequestUpdate.objects.filter(request=report).count() == 1


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_only_agency_staff_move_a_report(people, graffiti_service, role):
    report = ServiceRequestFactory(service=graffiti_service, reporter=people[Role.RESIDENT])
    with pytest.raises(PermissionDenied):
        services.report_status_change(actor=actor_for_user(people[role]), report=report, status="closed")
    report.refresh_from_db()
    assert report.status == "open"


def test_another_agencys_officer_cannot_move_the_report(graffiti_service):
    other_agency = OrganisationFactory(kind=OrganisationKind.AGENCY, name="Elsewhere PD")
    officer = MembershipFactory(organisation=other_agency, role=Role.OFFICER).user
    report = ServiceRequestFactory(service=graffiti_service)
    with pytest.raises(PermissionDenied):
        services.report_status_change(actor=actor_for_user(officer), report=report, status="closed")
