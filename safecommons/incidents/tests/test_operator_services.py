"""The operator's services: handing an incident over under an agreement, the updates that follow (and the
priority they set), snapshots stripped of their metadata, withdrawing; and who is refused."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from safecommons.core.errors import Refused
from safecommons.core.roles import Role
from safecommons.incidents.models import Disposition, Incident, IncidentEvent, IncidentType, Verification
from safecommons.incidents.services import operator as operator_services
from safecommons.incidents.services.priority import incident_priority
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_workflow import (
    SiteFactory,
    actor,
    client_site,
    expire,
    hand_over,
    other_company_with_operator,
    picture,
    picture_upload,
)
from safecommons.partners.models import DataFlow, OrganisationKind, Scope
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(security_company, agency):
    return handoff_agreement(security_company, agency)


@pytest.fixture
def operator(people, agreement):
    return people[Role.SECURITY_OPERATOR]


@pytest.fixture
def incident(operator, agency):
    return hand_over(operator, agency)


def events_of(incident):
    return list(incident.events.order_by("seq"))


# --- Handing over


def test_an_operator_hands_an_incident_to_an_agency_under_the_agreement(operator, agency, security_company,
                                                                        agreement):
    incident = hand_over(operator, agency, suspects=[{"description": "Tall, red hoodie"}, {"description": " "}],
                         weapons="crowbar", vehicles=[{"make": "Ford", "colour": "blue", "plate": "abc123",
                                                       "direction": "north on Main St"}, {}],
                         camera_refs=["Back door cam", ""], callback_phone="555-0199", persons_at_risk=True)
    assert (incident.agency, incident.company, incident.source) == (agency, security_company, "operator")
    assert incident.status == Incident.Status.RECEIVED and incident.opened_by == operator
    assert incident.suspects == [{"description": "Tall, red hoodie"}] and incident.suspect_count == 1
    assert incident.vehicles == [{"make": "Ford", "model": "", "colour": "blue", "plate": "ABC123",
                                  "direction": "north on Main St"}]
    assert incident.camera_refs == ["Back door cam"] and incident.callback_phone == "555-0199"
    assert incident.priority == incident_priority(incident) > 600
    [opened] = events_of(incident)
    assert opened.kind == IncidentEvent.Kind.OPENED and opened.side == IncidentEvent.Side.OPERATOR
    assert "Break-in in progress at 12 Main St" in opened.text and "persons at risk" in opened.text
    assert security_company.name in opened.actor_label and opened.actor == operator
    flow = DataFlow.objects.get()
    assert (flow.scope, flow.provider, flow.recipient, flow.agreement) == (Scope.ALARM_EVENTS, security_company,
                                                                          agency, agreement)
    assert flow.object_id == str(incident.pk)


def test_more_suspects_counted_than_described_keeps_the_count(operator, agency):
    incident = hand_over(operator, agency, suspect_count=3, suspects=[{"description": "Short, cap"}])
    assert incident.suspect_count == 3


def test_without_an_agreement_no_incident_is_handed_over(people, agency):
    with pytest.raises(PermissionDenied):
        hand_over(people[Role.SECURITY_OPERATOR], agency)
    assert not Incident.objects.exists() and not DataFlow.objects.exists()


def test_an_expired_agreement_hands_nothing_over(people, agency, agreement):
    expire(agreement)
    with pytest.raises(PermissionDenied):
        hand_over(people[Role.SECURITY_OPERATOR], agency)


def test_an_agreement_without_the_alarm_events_scope_is_not_enough(people, agency, security_company):
    from safecommons.partners.tests.factories import agreement_between

    agreement_between(security_company, agency, Scope.FOOTAGE_ON_REQUEST)
    with pytest.raises(PermissionDenied):
        hand_over(people[Role.SECURITY_OPERATOR], agency)


@pytest.mark.parametrize("role", [Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.OFFICER, Role.SUPERVISOR,
                                  Role.RESIDENT])
def test_people_who_are_not_the_companys_operators_cannot_hand_over(people, agency, agreement, role):
    with pytest.raises(PermissionDenied):
        hand_over(people[role], agency)


def test_the_companys_admin_may_hand_over(agency, security_company, agreement):
    from safecommons.accounts.tests.factories import MembershipFactory

    admin = MembershipFactory(organisation=security_company, role=Role.PARTNER_ADMIN).user
    assert hand_over(admin, agency).company == security_company


def test_a_client_site_gives_the_place(operator, agency, security_company, partner):
    site = client_site(security_company, partner, latitude=44.95, longitude=-93.1, address="1 Mall Way")
    incident = hand_over(operator, agency, site=site, address="", latitude=None, longitude=None)
    assert (incident.site, incident.address, incident.latitude, incident.longitude) == (
        site, "1 Mall Way", 44.95, -93.1)


def test_a_site_of_an_organisation_without_an_agreement_is_refused(operator, agency):
    stranger = OrganisationFactory(kind=OrganisationKind.BUSINESS)
    site = SiteFactory(organisation=stranger)
    with pytest.raises(Refused, match="not one of your company"):
        hand_over(operator, agency, site=site)


def test_the_companys_own_site_is_allowed(operator, agency, security_company):
    site = SiteFactory(organisation=security_company)
    assert hand_over(operator, agency, site=site).site == site


def test_an_incident_needs_a_place(operator, agency):
    with pytest.raises(Refused, match="Say where"):
        hand_over(operator, agency, address="", latitude=None, longitude=None)


def test_an_address_alone_is_a_place(operator, agency):
    incident = hand_over(operator, agency, address="Corner of 5th and Pine", latitude=None, longitude=None)
    assert incident.address == "Corner of 5th and Pine" and incident.latitude is None


@pytest.mark.parametrize("point", [(91, 0), (0, 181), (44.9, None)])
def test_a_point_off_the_map_is_refused(operator, agency, point):
    with pytest.raises(Refused):
        hand_over(operator, agency, latitude=point[0], longitude=point[1])


def test_an_unknown_type_or_verification_is_refused(operator, agency):
    with pytest.raises(Refused):
        hand_over(operator, agency, type="alien_landing")
    with pytest.raises(Refused):
        hand_over(operator, agency, verification="hunch")


def test_only_an_agency_receives_incidents(operator, security_company):
    business = OrganisationFactory(kind=OrganisationKind.BUSINESS)
    handoff_agreement(security_company, business)
    with pytest.raises(Refused):
        hand_over(operator, business)


# --- Updates


def post(operator, incident, **fields):
    return operator_services.incident_update_post(actor=actor(operator), incident_id=incident.pk, **fields)


def test_an_observation_goes_on_the_timeline(operator, incident):
    event = post(operator, incident, kind="observation", text="They are inside now")
    assert event.kind == IncidentEvent.Kind.OBSERVATION and event.text == "They are inside now"
    assert events_of(incident)[-1] == event


def test_an_empty_observation_is_refused(operator, incident):
    with pytest.raises(Refused):
        post(operator, incident, kind="observation", text="  ")


def test_a_movement_ping_carries_position_heading_and_speed(operator, incident):
    event = post(operator, incident, kind="movement", latitude=44.981, longitude=-93.268, heading_deg=90,
                 speed_kmh=12)
    assert event.data["movement"] == {"latitude": 44.981, "longitude": -93.268, "heading_deg": 90.0,
                                      "speed_kmh": 12.0}
    assert "heading 90°" in event.text


@pytest.mark.parametrize("fields", [
    {"latitude": None, "longitude": None},
    {"latitude": 44.98, "longitude": -93.27, "heading_deg": 361},
    {"latitude": 44.98, "longitude": -93.27, "heading_deg": -1},
    {"latitude": 44.98, "longitude": -93.27, "speed_kmh": -5},
    {"latitude": 44.98, "longitude": -93.27, "speed_kmh": 900},
    {"latitude": 95, "longitude": -93.27},
])
def test_a_movement_out_of_range_is_refused(operator, incident, fields):
    with pytest.raises(Refused):
        post(operator, incident, kind="movement", **fields)
    assert len(events_of(incident)) == 1


def test_a_new_suspect_is_added_and_counted(operator, incident):
    post(operator, incident, kind="suspect", suspect={"description": "Woman, black jacket"})
    incident.refresh_from_db()
    assert incident.suspects == [{"description": "Woman, black jacket"}] and incident.suspect_count == 1
    post(operator, incident, kind="suspect", suspect={"description": "Man, grey cap"})
    incident.refresh_from_db()
    assert incident.suspect_count == 2 and events_of(incident)[-1].data["suspect_count"] == 2


def test_a_suspect_needs_a_description(operator, incident):
    with pytest.raises(Refused):
        post(operator, incident, kind="suspect", suspect={"description": ""})


def test_a_new_vehicle_is_added(operator, incident):
    event = post(operator, incident, kind="vehicle", vehicle={"make": "Honda", "model": "Civic", "colour": "white",
                                                              "plate": "xyz 987", "direction": "east on 3rd"})
    incident.refresh_from_db()
    assert incident.vehicles[-1]["plate"] == "XYZ 987"
    assert event.data["vehicle"]["direction"] == "east on 3rd" and "heading east on 3rd" in event.text


def test_a_vehicle_needs_something_to_recognise_it_by(operator, incident):
    with pytest.raises(Refused):
        post(operator, incident, kind="vehicle", vehicle={"direction": "south"})


def test_weapons_persons_at_risk_and_verification_set_the_priority_again(operator, agency):
    incident = hand_over(operator, agency, verification=Verification.UNVERIFIED)
    before = incident.priority
    event = post(operator, incident, kind="observation", weapons="handgun", persons_at_risk=True,
                 verification=Verification.VIDEO)
    incident.refresh_from_db()
    assert incident.priority == before + 400 + 200 + 100 == incident_priority(incident)
    assert event.data["changes"] == {"weapons": "handgun", "persons_at_risk": True, "verification": "video"}
    assert event.data["priority"] == incident.priority


def test_unchanged_flags_do_not_count_as_changes(operator, incident):
    event = post(operator, incident, kind="observation", text="Still there", weapons=incident.weapons,
                 persons_at_risk=incident.persons_at_risk, verification=incident.verification)
    assert "changes" not in event.data


def test_an_unknown_update_kind_is_refused(operator, incident):
    with pytest.raises(Refused):
        post(operator, incident, kind="message", text="hello")


def test_another_companys_operator_cannot_update(agency, incident):
    _, stranger = other_company_with_operator(agency)
    with pytest.raises(PermissionDenied):
        post(stranger, incident, kind="observation", text="Not mine")


def test_after_the_agreement_expires_no_more_updates(operator, incident, agreement):
    expire(agreement)
    with pytest.raises(PermissionDenied):
        post(operator, incident, kind="observation", text="Late news")


def test_a_closed_incident_takes_no_updates(operator, incident):
    operator_services.incident_withdraw(actor=actor(operator), incident=incident, reason="Staff on site")
    with pytest.raises(PermissionDenied):
        post(operator, incident, kind="observation", text="More")


def test_police_cannot_post_operator_updates(people, incident):
    with pytest.raises(PermissionDenied):
        post(people[Role.OFFICER], incident, kind="observation", text="I am police")


# --- Snapshots


def test_a_snapshot_is_stored_without_its_metadata(operator, incident):
    snapshot = operator_services.incident_snapshot_attach(actor=actor(operator), incident=incident,
                                                          image_file=picture_upload(), caption="Rear door")
    with snapshot.image.open("rb") as stored:
        data = stored.read()
    assert b"SERIAL-0042" not in data and b"SnoopCam" not in data
    assert not Image.open(io.BytesIO(data)).getexif()
    event = events_of(incident)[-1]
    assert event.kind == IncidentEvent.Kind.SNAPSHOT and event.text == "Rear door"
    assert event.data["url"] == f"/incidents/{incident.pk}/snapshots/{snapshot.pk}/"
    assert "media" not in event.data["url"]


class _Unreadable:
    """An upload that declares its size and fails the test if anything reads it."""

    size = operator_services.SNAPSHOT_MAX_BYTES + 1

    def __getattr__(self, name):
        raise AssertionError(f"the upload was touched: {name}")


def test_a_picture_claiming_to_be_too_large_is_refused_unread(operator, incident):
    upload = _Unreadable()
    with pytest.raises(Refused, match="too large"):
        operator_services.incident_snapshot_attach(actor=actor(operator), incident=incident, image_file=upload)


def test_a_file_that_is_not_a_picture_is_refused(operator, incident):
    upload = SimpleUploadedFile("notes.pdf", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    with pytest.raises(Refused):
        operator_services.incident_snapshot_attach(actor=actor(operator), incident=incident, image_file=upload)
    assert not incident.snapshots.exists()


def test_a_png_snapshot_is_accepted(operator, incident):
    upload = SimpleUploadedFile("a.png", picture(fmt="PNG"), content_type="image/png")
    snapshot = operator_services.incident_snapshot_attach(actor=actor(operator), incident=incident,
                                                          image_file=upload)
    assert snapshot.image.name.endswith(".png")


def test_police_cannot_attach_snapshots(people, incident):
    with pytest.raises(PermissionDenied):
        operator_services.incident_snapshot_attach(actor=actor(people[Role.OFFICER]), incident=incident,
                                                   image_file=picture_upload())


# --- Withdrawing


def test_the_operator_withdraws_with_a_reason(operator, incident):
    withdrawn = operator_services.incident_withdraw(actor=actor(operator), incident=incident,
                                                    reason="Staff member seen on camera, not an intruder")
    assert withdrawn.status == Incident.Status.CLOSED and withdrawn.disposition == Disposition.WITHDRAWN
    assert withdrawn.closed_at is not None and withdrawn.withdrawn_reason.startswith("Staff member")
    assert events_of(incident)[-1].kind == IncidentEvent.Kind.WITHDRAWN


def test_withdrawing_needs_a_reason(operator, incident):
    with pytest.raises(Refused):
        operator_services.incident_withdraw(actor=actor(operator), incident=incident, reason=" ")
    incident.refresh_from_db()
    assert incident.is_open


def test_police_cannot_withdraw(people, incident):
    with pytest.raises(PermissionDenied):
        operator_services.incident_withdraw(actor=actor(people[Role.SUPERVISOR]), incident=incident, reason="x")


def test_the_opened_event_is_numbered_after_earlier_ones(operator, agency):
    first = hand_over(operator, agency)
    second = hand_over(operator, agency, type=IncidentType.TRESPASS)
    assert events_of(second)[0].seq > events_of(first)[0].seq


def test_once_police_are_on_the_way_a_withdrawal_is_a_request_police_decide(people, agency, security_company):
    from safecommons.core.permissions import actor_for_user
    from safecommons.incidents.models import Incident, IncidentEvent
    from safecommons.incidents.services import operator, police
    from safecommons.incidents.tests.factories import handoff_agreement

    handoff_agreement(security_company, agency)
    operator_actor = actor_for_user(people[Role.SECURITY_OPERATOR])
    incident = operator.incident_open(actor=operator_actor, agency=agency, type="break_in", verification="video",
                                      address="1 Dock Rd", latitude=44.98, longitude=-93.27)
    police.incident_assign(actor=actor_for_user(people[Role.OFFICER]), incident=incident, unit="2-Adam-14")
    operator.incident_withdraw(actor=operator_actor, incident=incident, reason="It was the night manager")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DISPATCHED and incident.cancel_requested_at is not None
    assert incident.events.order_by("-seq").first().kind == IncidentEvent.Kind.CANCEL_REQUESTED
    police.incident_close(actor=actor_for_user(people[Role.OFFICER]), incident=incident, disposition="no_crime",
                          outcome_summary="Night manager on site; no crime.")
