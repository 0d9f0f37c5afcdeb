"""Canvass: which cameras a canvass finds and in what order, what the officer may see of them, the
retention nudge, and footage requests sent from it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from safecommons.cameras.index import camera_index_reset
from safecommons.cameras.models import Camera, FootageRequest, OwnerNotice
from safecommons.cameras.selectors import canvass as canvass_selectors
from safecommons.cameras.services import canvass as canvass_services
from safecommons.cameras.services import notices
from safecommons.cameras.tests.factories_canvass import POINT_LAT, POINT_LON, camera_near, canvass_of_point
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import Scope
from safecommons.partners.tests.factories import agreement_between

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index():
    camera_index_reset()  # each test's cameras live in its own transaction
    yield
    camera_index_reset()


@pytest.fixture
def officer(people):
    return people[Role.OFFICER]


def found_ids(officer, canvass):
    return [row.camera_id for row in canvass_selectors.canvass_results(actor=actor_for_user(officer), canvass=canvass)]


def test_a_canvass_finds_exactly_the_cameras_that_see_the_point_best_view_first(people, agency, officer):
    resident = people[Role.RESIDENT]
    near = camera_near(owner_user=resident, from_bearing=0, distance_m=10)
    farther = camera_near(owner_user=resident, from_bearing=90, distance_m=35)
    at_the_edge_of_view = camera_near(owner_user=resident, from_bearing=180, distance_m=12, turned_deg=40,
                                      share_exact_location=True)
    camera_near(owner_user=resident, from_bearing=45, distance_m=10, turned_deg=180)  # looks away
    camera_near(owner_user=resident, from_bearing=270, distance_m=10, turned_deg=50)  # 50° off a 90° view
    camera_near(owner_user=resident, from_bearing=300, distance_m=55, range_m=50)  # beyond its range
    camera_near(owner_user=resident, from_bearing=20, distance_m=8, retention_days=0)  # already overwritten
    camera_near(owner_user=resident, from_bearing=30, distance_m=8, status=Camera.Status.PAUSED)
    camera_near(owner_user=resident, from_bearing=60, distance_m=8, status=Camera.Status.WITHDRAWN)
    canvass = canvass_of_point(officer, agency, hours_ago=30)  # a day and more ago: 0-day retention is gone

    assert found_ids(officer, canvass) == [near.pk, at_the_edge_of_view.pk, farther.pk]
    rows = canvass_selectors.canvass_results(actor=actor_for_user(officer), canvass=canvass)
    assert [row.rank for row in rows] == [1, 2, 3]
    assert rows[1].off_axis_deg == 40


def test_a_disc_finds_a_camera_that_sees_only_its_edge(people, agency, officer):
    edge = camera_near(owner_user=people[Role.RESIDENT], from_bearing=0, distance_m=70, range_m=50)
    assert found_ids(officer, canvass_of_point(officer, agency, radius_m=0)) == []
    assert found_ids(officer, canvass_of_point(officer, agency, radius_m=30)) == [edge.pk]


def test_retention_must_still_hold_the_end_of_the_window(people, agency, officer):
    two_days = camera_near(owner_user=people[Role.RESIDENT], retention_days=2)
    assert found_ids(officer, canvass_of_point(officer, agency, hours_ago=47)) == [two_days.pk]
    assert found_ids(officer, canvass_of_point(officer, agency, hours_ago=49)) == []


def test_the_next_canvass_sees_edits_pauses_deletions_and_imports(people, agency, partner, officer):
    resident = actor_for_user(people[Role.RESIDENT])
    from safecommons.cameras.services import registry

    camera = camera_near(owner_user=people[Role.RESIDENT])
    canvass = canvass_of_point(officer, agency)
    assert found_ids(officer, canvass) == [camera.pk]

    registry.camera_update(actor=resident, camera=camera, bearing_deg=(camera.bearing_deg + 180) % 360)
    assert found_ids(officer, canvass) == []
    registry.camera_update(actor=resident, camera=camera, bearing_deg=(camera.bearing_deg + 180) % 360)
    assert found_ids(officer, canvass) == [camera.pk]
    registry.camera_status_set(actor=resident, camera=camera, status=Camera.Status.PAUSED)
    assert found_ids(officer, canvass) == []
    registry.camera_status_set(actor=resident, camera=camera, status=Camera.Status.ACTIVE)
    assert found_ids(officer, canvass) == [camera.pk]
    Camera.objects.filter(pk=camera.pk).delete()
    assert found_ids(officer, canvass) == []

    agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    admin = actor_for_user(people[Role.PARTNER_ADMIN])
    header = "external_ref,name,latitude,longitude,bearing_deg,fov_deg,range_m,retention_days\n"
    facing = f"D-1,Dock,{POINT_LAT + 0.0001},{POINT_LON},180,90,40,30\n"  # 11 m north, looking south
    registry.cameras_import_csv(actor=admin, organisation=partner, text=header + facing)
    imported = Camera.objects.get(external_ref="D-1")
    assert found_ids(officer, canvass) == [imported.pk]
    # Re-importing updates by reference (bulk_update), and the index follows.
    registry.cameras_import_csv(actor=admin, organisation=partner, text=header + facing.replace(",180,", ",0,"))
    assert found_ids(officer, canvass) == []


def test_an_officer_without_a_footage_agreement_does_not_see_a_partners_cameras(people, agency, partner, officer):
    theirs = camera_near(owner_organisation=partner, from_bearing=0)
    residents = camera_near(owner_user=people[Role.RESIDENT], from_bearing=180, distance_m=20)
    canvass = canvass_of_point(officer, agency)
    assert found_ids(officer, canvass) == [residents.pk]  # registering is consent to be asked
    with pytest.raises(Refused, match="Nothing was sent"):
        canvass_services.footage_requests_send(actor=actor_for_user(officer), canvass=canvass,
                                               camera_ids=[residents.pk, theirs.pk])
    assert not FootageRequest.objects.exists()  # nothing half-done

    agreement_between(partner, agency, Scope.CONTACT_SHARING)  # another scope does not do
    assert found_ids(officer, canvass) == [residents.pk]
    agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    assert found_ids(officer, canvass) == [theirs.pk, residents.pk]


def test_the_officer_sees_an_approximate_position_unless_the_owner_shares_it(people, agency, officer):
    hidden = camera_near(owner_user=people[Role.RESIDENT], from_bearing=0, distance_m=12)
    shown = camera_near(owner_user=people[Role.RESIDENT], from_bearing=90, distance_m=30, share_exact_location=True)
    rows = {row.camera_id: row for row in canvass_selectors.canvass_results(
        actor=actor_for_user(officer), canvass=canvass_of_point(officer, agency))}
    assert rows[hidden.pk].approximate and rows[hidden.pk].bearing_deg is None and rows[hidden.pk].off_axis_deg is None
    assert (rows[hidden.pk].latitude, rows[hidden.pk].longitude) != (hidden.latitude, hidden.longitude)
    assert rows[hidden.pk].distance_m == 100  # 12 m, rounded up to the band
    assert not rows[shown.pk].approximate
    assert (rows[shown.pk].latitude, rows[shown.pk].longitude, rows[shown.pk].bearing_deg) == (
        shown.latitude, shown.longitude, shown.bearing_deg)
    assert {row.owner_kind for row in rows.values()} == {"resident"} and not any(r.owner_name for r in rows.values())


def test_owners_are_nudged_once_and_only_when_their_footage_is_overwritten_within_a_week(people, agency, officer):
    resident = people[Role.RESIDENT]
    # The window runs from 5 days 2 hours ago to 4 days 23 hours ago: 9 days of retention keep its start
    # 4 more days, 30 days keep it long enough, 5 days keep only its end (the start is gone: too late).
    soon = camera_near(owner_user=resident, from_bearing=0, retention_days=9)
    camera_near(owner_user=resident, from_bearing=90, retention_days=30)
    camera_near(owner_user=resident, from_bearing=180, retention_days=5)
    canvass = canvass_of_point(officer, agency, hours_ago=5 * 24 - 1, window_hours=3)
    assert len(found_ids(officer, canvass)) == 3

    notices_sent = list(OwnerNotice.objects.filter(kind=OwnerNotice.Kind.RETENTION))
    assert [notice.camera_id for notice in notices_sent] == [soon.pk]
    assert notices_sent[0].preserve_by == canvass.window_start + timedelta(days=9)
    assert notices_sent[0].user == resident and notices_sent[0].canvass == canvass

    canvass_of_point(officer, agency, hours_ago=5 * 24 - 1, window_hours=3)  # the same case again
    assert OwnerNotice.objects.filter(kind=OwnerNotice.Kind.RETENTION).count() == 1
    assert AuditEntry.objects.filter(action="canvass.opened").count() == 2

    mail.outbox.clear()
    notices.owner_notice_email_send(notice_id=notices_sent[0].pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [resident.email]
    assert "overwritten" in mail.outbox[0].body


def test_requests_go_to_the_chosen_cameras_with_the_canvass_facts_and_notify_the_owners(
        people, agency, officer, django_capture_on_commit_callbacks, settings):
    resident = people[Role.RESIDENT]
    first = camera_near(owner_user=resident, from_bearing=0, name="Porch")
    second = camera_near(owner_user=resident, from_bearing=90, distance_m=20, name="Garage")
    canvass = canvass_of_point(officer, agency)
    with django_capture_on_commit_callbacks(execute=True):
        report = canvass_services.footage_requests_send(actor=actor_for_user(officer), canvass=canvass,
                                                        camera_ids=[first.pk, second.pk])
    assert {r.camera_id for r in report.sent} == {first.pk, second.pk} and report.skipped == []
    request = FootageRequest.objects.get(camera=first)
    assert (request.case_number, request.offense, request.reason, request.window_start, request.window_end) == (
        canvass.case_number, canvass.offense, canvass.reason, canvass.window_start, canvass.window_end)
    assert request.officer == officer and request.agency == agency and request.status == FootageRequest.Status.PENDING
    assert timedelta(days=settings.FOOTAGE_REQUEST_DAYS - 1) < request.expires_at - timezone.now() <= timedelta(
        days=settings.FOOTAGE_REQUEST_DAYS)
    assert AuditEntry.objects.filter(action="footage.requested").count() == 2
    notice = OwnerNotice.objects.get(kind=OwnerNotice.Kind.REQUEST, footage_request=request)

    mail.outbox.clear()
    notices.owner_notice_email_send(notice_id=notice.pk)
    assert len(mail.outbox) == 1 and canvass.case_number in mail.outbox[0].body

    again = canvass_services.footage_requests_send(actor=actor_for_user(officer), canvass=canvass,
                                                   camera_ids=[first.pk])
    assert again.sent == [] and again.skipped == [first.pk]
    assert FootageRequest.objects.count() == 2


def test_the_officer_sees_a_decline_as_only_declined_and_an_approval_with_the_owner(people, agency, officer):
    resident = people[Role.RESIDENT]
    first = camera_near(owner_user=resident, from_bearing=0, preferred_contact="porch@test.example")
    second = camera_near(owner_user=resident, from_bearing=90, distance_m=20)
    canvass = canvass_of_point(officer, agency)
    actor = actor_for_user(officer)
    canvass_services.footage_requests_send(actor=actor, canvass=canvass, camera_ids=[first.pk, second.pk])
    now = timezone.now()
    FootageRequest.objects.filter(camera=first).update(status=FootageRequest.Status.APPROVED, answered_at=now,
                                                       answer_note="Clip attached.")
    FootageRequest.objects.filter(camera=second).update(status=FootageRequest.Status.DECLINED, answered_at=now,
                                                        answer_note="Not comfortable.", answered_by=resident)
    rows = {row.camera_id: row for row in canvass_selectors.footage_requests_for_canvass(actor=actor, canvass=canvass)}
    assert (rows[first.pk].answer_note, rows[first.pk].owner_contact) == ("Clip attached.", "porch@test.example")
    assert rows[first.pk].owner_name == str(resident)
    declined = rows[second.pk]
    assert (declined.status, declined.answer_note, declined.owner_name, declined.answered_at) == (
        "declined", "", "", None)
    results = {row.camera_id: row for row in canvass_selectors.canvass_results(actor=actor, canvass=canvass)}
    assert results[first.pk].owner_name == str(resident) and results[second.pk].owner_name == ""


@pytest.mark.parametrize("change, message", [
    ({"case_number": " "}, "case number"),
    ({"reason": ""}, "why"),
    ({"offense": "jaywalking"}, "offense"),
    ({"latitude": 91}, "valid latitude"),
    ({"longitude": float("nan")}, "not a number"),
    ({"radius_m": 201}, "between 0 and 200"),
    ({"radius_m": -1}, "between 0 and 200"),
])
def test_a_canvass_with_bad_facts_is_refused(agency, officer, change, message):
    with pytest.raises(Refused, match=message):
        canvass_of_point(officer, agency, **change)


def test_a_canvass_window_must_be_in_the_past_ten_years_and_in_order(agency, officer):
    now = timezone.now()
    with pytest.raises(Refused, match="end after it starts"):
        canvass_of_point(officer, agency, window_start=now - timedelta(hours=1), window_end=now - timedelta(hours=2))
    with pytest.raises(Refused, match="future"):
        canvass_of_point(officer, agency, window_start=now - timedelta(hours=1), window_end=now + timedelta(days=1))
    with pytest.raises(Refused, match="ten years"):
        canvass_of_point(officer, agency, window_start=now - timedelta(days=3651),
                         window_end=now - timedelta(days=3600))


def test_only_officers_and_supervisors_open_a_canvass_of_their_own_agency(people, agency, partner):
    for role in (Role.RESIDENT, Role.ANALYST, Role.LIAISON, Role.AGENCY_ADMIN, Role.PARTNER_ADMIN, Role.OVERSIGHT):
        with pytest.raises(Exception, match="canvass.open"):
            canvass_of_point(people[role], agency)
    with pytest.raises(Exception, match="canvass.open"):
        canvass_of_point(people[Role.OFFICER], partner)
    canvass = canvass_of_point(people[Role.SUPERVISOR], agency)
    assert canvass.officer == people[Role.SUPERVISOR]


def test_the_one_query_grant_check_agrees_with_grant_covering(agency, partner, security_company):
    import datetime

    from safecommons.partners.models import Agreement
    from safecommons.partners.selectors import grant_covering

    agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    expired = agreement_between(security_company, agency, Scope.FOOTAGE_ON_REQUEST)
    Agreement.objects.filter(pk=expired.pk).update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    providers = {partner.pk, security_company.pk, agency.pk}
    expected = {p for p in providers if grant_covering(scope=Scope.FOOTAGE_ON_REQUEST, provider_id=p,
                                                       recipient_id=agency.pk)}
    assert canvass_selectors.providers_sharing_footage(provider_ids=providers, agency_id=agency.pk) == expected
    assert expected == {partner.pk}


def test_a_page_of_results_shows_the_best_first_and_counts_them_all(people, agency, officer):
    best = camera_near(owner_user=people[Role.RESIDENT], from_bearing=0, distance_m=5)
    camera_near(owner_user=people[Role.RESIDENT], from_bearing=90, distance_m=30)
    canvass = canvass_of_point(officer, agency)
    rows, total = canvass_selectors.canvass_results_page(actor=actor_for_user(officer), canvass=canvass, limit=1)
    assert [row.camera_id for row in rows] == [best.pk] and total == 2
