"""The pages: the operator's console and handoff form, the incident's page for both sides (audited, with the
forms each side may use) and the actions posted from it; everyone else is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from safecommons.core.audit.models import AuditEntry
from safecommons.core.roles import Role
from safecommons.incidents.models import Incident, IncidentEvent
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_workflow import (
    actor,
    client_site,
    hand_over,
    other_agency_with_officer,
    other_company_with_operator,
    picture,
)

pytestmark = pytest.mark.django_db

NOT_OPERATORS = [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.OFFICER, Role.SUPERVISOR,
                 Role.ANALYST, Role.AGENCY_ADMIN, Role.OVERSIGHT]
NOT_INVOLVED = [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.LIAISON, Role.ANALYST,
                Role.AGENCY_ADMIN, Role.OVERSIGHT]


@pytest.fixture
def agreement(security_company, agency):
    return handoff_agreement(security_company, agency)


@pytest.fixture
def operator(people, agreement):
    return people[Role.SECURITY_OPERATOR]


@pytest.fixture
def incident(operator, agency):
    return hand_over(operator, agency, camera_refs=["Loading dock cam"],
                     vehicles=[{"make": "Ford", "colour": "red", "direction": "east on 5th"}])


def handoff_form(agency, **fields):
    data = {"agency": agency.pk, "type": "break_in", "verification": "video", "address": "77 Lake St",
            "latitude": "", "longitude": "", "summary": "Window smashed", "suspect_count": "1",
            "weapons": "", "camera_refs": "Cam 4\nCam 5", "callback_phone": "555-0111",
            "suspects-TOTAL_FORMS": "2", "suspects-INITIAL_FORMS": "0",
            "suspects-0-description": "Tall man, orange vest", "suspects-1-description": "",
            "vehicles-TOTAL_FORMS": "1", "vehicles-INITIAL_FORMS": "0",
            "vehicles-0-make": "Dodge", "vehicles-0-model": "Ram", "vehicles-0-colour": "white",
            "vehicles-0-plate": "trk 11", "vehicles-0-direction": "north"}
    return {**data, **fields}


# --- The console


def test_the_console_lists_open_incidents_first_and_closed_ones_with_their_outcome(client_for, operator, agency,
                                                                                  incident):
    from safecommons.incidents.services import police as police_services

    closed = hand_over(operator, agency, address="5 Closed Ct")
    police_services.incident_close(actor=_officer_of(agency), incident=closed, disposition="arrest",
                                   outcome_summary="Suspect arrested nearby")
    page = client_for(operator).get(reverse("incidents:console"))
    text = page.content.decode()
    assert page.status_code == 200
    assert text.index(incident.address) < text.index("5 Closed Ct")
    assert "Suspect arrested nearby" in text and "Arrest" in text
    assert reverse("incidents:open") in text and reverse("incidents:detail", args=[incident.pk]) in text


def _officer_of(agency):
    from safecommons.accounts.tests.factories import MembershipFactory

    return actor(MembershipFactory(organisation=agency, role=Role.OFFICER).user)


def test_another_companys_console_does_not_show_our_incidents(client_for, agency, incident):
    _, stranger = other_company_with_operator(agency)
    page = client_for(stranger).get(reverse("incidents:console"))
    assert page.status_code == 200 and incident.address.encode() not in page.content


@pytest.mark.parametrize("role", NOT_OPERATORS)
def test_the_console_and_the_form_are_for_operators_only(client_for, people, agreement, role):
    client = client_for(people[role])
    assert client.get(reverse("incidents:console")).status_code == 403
    assert client.get(reverse("incidents:open")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(incident):
    client = Client()
    for url in (reverse("incidents:console"), reverse("incidents:open"),
                reverse("incidents:detail", args=[incident.pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:sign_in") in response["Location"]
    for name in ("update", "snapshot_add", "withdraw", "acknowledge", "assign", "status", "close", "message"):
        response = client.post(reverse(f"incidents:{name}", args=[incident.pk]), {})
        assert response.status_code == 302 and reverse("accounts:sign_in") in response["Location"], name


# --- The handoff form


def test_the_handoff_form_offers_only_agencies_with_an_agreement_and_client_sites(client_for, operator, agency,
                                                                                  security_company, partner):
    other_agency, _ = other_agency_with_officer()
    site = client_site(security_company, partner, name="Riverside Mall")
    page = client_for(operator).get(reverse("incidents:open"))
    text = page.content.decode()
    assert page.status_code == 200 and agency.name in text and other_agency.name not in text
    assert "Riverside Mall" in text and 'id="incident-open-map"' in text and "incidents/open.js" in text
    assert 'name="latitude"' in text and 'name="longitude"' in text  # the map is an extra, not the only way
    assert site.address in text


def test_without_an_agreement_the_form_says_so(client_for, people):
    page = client_for(people[Role.SECURITY_OPERATOR]).get(reverse("incidents:open"))
    assert page.status_code == 200 and b"alarm events" in page.content and b'name="agency"' not in page.content


def test_the_handoff_form_hands_over_with_suspects_and_vehicles(client_for, operator, agency):
    response = client_for(operator).post(reverse("incidents:open"), handoff_form(agency))
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("incidents:detail", args=[incident.pk])
    assert incident.suspects == [{"description": "Tall man, orange vest"}]
    assert incident.vehicles == [{"make": "Dodge", "model": "Ram", "colour": "white", "plate": "TRK 11",
                                  "direction": "north"}]
    assert incident.camera_refs == ["Cam 4", "Cam 5"] and incident.callback_phone == "555-0111"


def test_a_point_clicked_on_the_map_is_enough(client_for, operator, agency):
    response = client_for(operator).post(reverse("incidents:open"), handoff_form(
        agency, address="", latitude="44.9712", longitude="-93.2611"))
    assert response.status_code == 302
    assert (Incident.objects.get().latitude, Incident.objects.get().longitude) == (44.9712, -93.2611)


def test_the_form_says_a_place_is_needed(client_for, operator, agency):
    response = client_for(operator).post(reverse("incidents:open"), handoff_form(agency, address=""))
    assert response.status_code == 400 and b"Say where" in response.content and not Incident.objects.exists()


# --- The incident's page


def test_the_operator_sees_the_incident_and_the_update_forms(client_for, operator, incident):
    page = client_for(operator).get(reverse("incidents:detail", args=[incident.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    assert "Loading dock cam" in text and "east on 5th" in text
    for name in ("update", "snapshot_add", "withdraw", "message"):
        assert reverse(f"incidents:{name}", args=[incident.pk]) in text, name
    for name in ("acknowledge", "assign", "close"):
        assert reverse(f"incidents:{name}", args=[incident.pk]) not in text, name
    last = incident.events.order_by("-seq").first().seq
    assert f'data-last-event-id="{last}"' in text and 'aria-live="polite"' in text
    assert "incidents/incident.js" in text


def test_police_see_the_dispatch_forms(client_for, people, incident):
    page = client_for(people[Role.OFFICER]).get(reverse("incidents:detail", args=[incident.pk]))
    text = page.content.decode()
    for name in ("acknowledge", "assign", "status", "close", "message"):
        assert reverse(f"incidents:{name}", args=[incident.pk]) in text, name
    for name in ("update", "snapshot_add", "withdraw"):
        assert reverse(f"incidents:{name}", args=[incident.pk]) not in text, name


def test_each_view_of_the_page_is_audited(client_for, people, incident):
    client = client_for(people[Role.SUPERVISOR])
    client.get(reverse("incidents:detail", args=[incident.pk]))
    client.get(reverse("incidents:detail", args=[incident.pk]))
    entries = AuditEntry.objects.filter(action="incident.view", object_id=str(incident.pk))
    assert entries.count() == 2 and {e.actor_id for e in entries} == {people[Role.SUPERVISOR].pk}


def test_the_map_data_holds_the_point_and_the_movement_path(client_for, operator, incident):
    from safecommons.incidents.services import operator as operator_services

    operator_services.incident_update_post(actor=actor(operator), incident_id=incident.pk, kind="movement",
                                           latitude=44.99, longitude=-93.28)
    text = client_for(operator).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert '"path": [[44.98, -93.27], [44.99, -93.28]]' in text


def test_the_page_is_refused_to_another_company_and_another_agency(client_for, agency, incident):
    _, operator_b = other_company_with_operator(agency)
    _, officer_b = other_agency_with_officer()
    for user in (operator_b, officer_b):
        assert client_for(user).get(reverse("incidents:detail", args=[incident.pk])).status_code == 403
    assert not AuditEntry.objects.filter(action="incident.view").exists()


@pytest.mark.parametrize("role", NOT_INVOLVED)
def test_the_page_and_its_actions_are_refused_to_other_roles(client_for, people, incident, role):
    client = client_for(people[role])
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 403
    for name in ("update", "snapshot_add", "withdraw", "acknowledge", "assign", "status", "close", "message"):
        assert client.post(reverse(f"incidents:{name}", args=[incident.pk]), {}).status_code == 403, name
    assert list(incident.events.values_list("kind", flat=True)) == ["opened"]


def test_an_unknown_incident_is_a_404(client_for, operator):
    assert client_for(operator).get(reverse("incidents:detail", args=[987654])).status_code == 404


# --- Actions posted from the page


def test_the_operator_posts_updates_from_the_page(client_for, operator, incident):
    client = client_for(operator)
    url = reverse("incidents:update", args=[incident.pk])
    detail = reverse("incidents:detail", args=[incident.pk])
    assert client.post(url, {"kind": "observation", "observation-text": "Glass broken",
                             "observation-weapons": "", "observation-verification": "video",
                             "observation-persons_at_risk": "on"})["Location"] == detail
    assert client.post(url, {"kind": "movement", "movement-latitude": "44.99", "movement-longitude": "-93.28",
                             "movement-heading_deg": "45", "movement-speed_kmh": "10"}).status_code == 302
    client.post(url, {"kind": "suspect", "suspect-description": "Woman in green"})
    client.post(url, {"kind": "vehicle", "vehicle-make": "Audi", "vehicle-colour": "black"})
    kinds = list(incident.events.order_by("seq").values_list("kind", flat=True))
    assert kinds == ["opened", "observation", "movement", "suspect", "vehicle"]
    incident.refresh_from_db()
    assert incident.persons_at_risk and incident.suspects[-1]["description"] == "Woman in green"


def test_a_bad_update_from_the_page_says_why(client_for, operator, incident):
    client = client_for(operator)
    response = client.post(reverse("incidents:update", args=[incident.pk]),
                           {"kind": "movement", "movement-latitude": "120", "movement-longitude": "0"})
    assert response.status_code == 400 and b"Ensure this value is less than or equal to 90" in response.content
    assert incident.events.count() == 1


def test_the_operator_attaches_a_snapshot_and_both_sides_can_see_it(client_for, operator, people, agency,
                                                                    incident):
    response = client_for(operator).post(reverse("incidents:snapshot_add", args=[incident.pk]), {
        "snapshot-image": SimpleUploadedFile("cam.jpg", picture(), content_type="image/jpeg"),
        "snapshot-caption": "Front entrance"})
    assert response.status_code == 302
    snapshot = incident.snapshots.get()
    url = reverse("incidents:snapshot", args=[incident.pk, snapshot.pk])
    for user in (operator, people[Role.OFFICER]):
        image = client_for(user).get(url)
        assert image.status_code == 200 and image["Cache-Control"] == "private, no-store"
    assert AuditEntry.objects.filter(action="incident.snapshot.view").count() == 2
    _, stranger = other_company_with_operator(agency)
    assert client_for(stranger).get(url).status_code == 403
    assert client_for(people[Role.RESIDENT]).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    page = client_for(people[Role.OFFICER]).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert url in page and "Front entrance" in page


def test_the_operator_withdraws_from_the_page(client_for, operator, incident):
    client_for(operator).post(reverse("incidents:withdraw", args=[incident.pk]), {"withdraw-reason": "Staff"})
    incident.refresh_from_db()
    assert incident.disposition == "withdrawn"


def test_police_work_the_incident_from_the_page(client_for, people, operator, incident,
                                                django_capture_on_commit_callbacks):
    client = client_for(people[Role.OFFICER])
    client.post(reverse("incidents:acknowledge", args=[incident.pk]))
    client.post(reverse("incidents:assign", args=[incident.pk]), {"assign-unit": "4-David-9"})
    client.post(reverse("incidents:status", args=[incident.pk]), {"status-status": "on_scene"})
    client.post(reverse("incidents:message", args=[incident.pk]), {"message-text": "We are at the door"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("incidents:close", args=[incident.pk]),
                    {"close-disposition": "gone_on_arrival", "close-outcome_summary": "Nobody there"})
    incident.refresh_from_db()
    assert (incident.status, incident.assigned_unit, incident.disposition) == ("closed", "4-David-9",
                                                                               "gone_on_arrival")
    kinds = list(incident.events.order_by("seq").values_list("kind", flat=True))
    assert kinds == ["opened", "status", "assigned", "status", "message", "outcome"]
    console = client_for(operator).get(reverse("incidents:console")).content.decode()
    assert "Nobody there" in console and "Gone on arrival" in console


def test_the_operator_messages_police_from_the_page(client_for, operator, incident):
    client_for(operator).post(reverse("incidents:message", args=[incident.pk]), {"message-text": "Back door open"})
    event = incident.events.order_by("-seq").first()
    assert (event.kind, event.side, event.text) == (IncidentEvent.Kind.MESSAGE, "operator", "Back door open")


def test_a_refused_police_action_says_why(client_for, people, incident):
    client = client_for(people[Role.OFFICER])
    client.post(reverse("incidents:status", args=[incident.pk]), {"status-status": "on_scene"})
    response = client.post(reverse("incidents:status", args=[incident.pk]), {"status-status": "dispatched"},
                           follow=True)
    assert b"only moves forward" in response.content


@pytest.mark.parametrize("name", ["acknowledge", "assign", "status", "close"])
def test_the_operator_cannot_post_police_actions(client_for, operator, incident, name):
    assert client_for(operator).post(reverse(f"incidents:{name}", args=[incident.pk]), {}).status_code == 403


@pytest.mark.parametrize("name", ["update", "snapshot_add", "withdraw"])
def test_police_cannot_post_operator_actions(client_for, people, incident, name):
    assert client_for(people[Role.OFFICER]).post(reverse(f"incidents:{name}", args=[incident.pk]),
                                                 {}).status_code == 403


def test_a_closed_incident_shows_its_outcome_and_no_forms(client_for, people, operator, agency, incident):
    from safecommons.incidents.services import police as police_services

    police_services.incident_close(actor=_officer_of(agency), incident=incident, disposition="report_taken",
                                   outcome_summary="Report 24-1234 taken")
    for user in (operator, people[Role.OFFICER]):
        text = client_for(user).get(reverse("incidents:detail", args=[incident.pk])).content.decode()
        assert "Report 24-1234 taken" in text and "This incident is closed." in text
        for name in ("update", "withdraw", "acknowledge", "assign", "close", "message"):
            assert reverse(f"incidents:{name}", args=[incident.pk]) not in text, name
