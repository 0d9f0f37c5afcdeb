"""The incident's page as a tester drove it: an observation from a page older than the last update changes no
flag it did not set; a withdrawal once police are on the way says it is a request, and police act on it in
one step; what is sent as the incident closes says so and keeps the text; a form that does not go through
comes back with its errors by its fields and what was typed."""

import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safecommons.core.roles import Role
from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import Disposition, Incident, IncidentEvent
from safecommons.incidents.services import operator as operator_services
from safecommons.incidents.services import police as police_services
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_workflow import actor, hand_over, other_company_with_operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(people, security_company, agency):
    handoff_agreement(security_company, agency)
    return people[Role.SECURITY_OPERATOR]


@pytest.fixture
def officer(people):
    return people[Role.OFFICER]


@pytest.fixture
def incident(operator, agency):
    return hand_over(operator, agency)


def detail(incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])


class _FormReader(HTMLParser):
    """What a browser would send from the form holding `marker` (a hidden input's value) if only `typed` is
    typed into it: every input's value, checked boxes, each select's selected (or first) option."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker, self.forms, self.current, self.select, self.first_option = marker, [], None, None, None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {}
        elif self.current is None:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            self.current[attrs["name"]] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.current[self.textarea] = ""
        elif tag == "select":
            self.select, self.first_option = attrs["name"], None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = attrs.get("value", "")
                self.current.setdefault(self.select, self.first_option)
            if "selected" in attrs:
                self.current[self.select] = attrs.get("value", "")

    def handle_data(self, data):
        if self.textarea:
            self.current[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.current[self.textarea] = self.current[self.textarea].removeprefix("\n")
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None

    def form(self) -> dict[str, str]:
        return next(form for form in self.forms if self.marker in form.values())


def as_the_page_sends_it(html: str, kind: str, **typed) -> dict[str, str]:
    reader = _FormReader(kind)
    reader.feed(html)
    data = reader.form()
    data.pop("csrfmiddlewaretoken", None)
    return {**data, **typed}


# --- 1. An observation changes only the flags the operator sets


def test_a_note_alone_from_a_page_rendered_before_a_weapons_update_leaves_the_flags_as_they_are(
        client_for, operator, incident):
    client = client_for(operator)
    stale_page = client.get(detail(incident)).content.decode()
    # A colleague (or another tab) reports a knife and people at risk after the page was rendered.
    operator_services.incident_update_post(actor=actor(operator), incident_id=incident.pk, kind="observation",
                                           text="Knife seen", weapons="knife", persons_at_risk=True)
    data = as_the_page_sends_it(stale_page, "observation", **{"observation-text": "Still at the back door"})
    response = client.post(reverse("incidents:update", args=[incident.pk]), data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.weapons, incident.persons_at_risk, incident.verification) == ("knife", True, "video")
    last = incident.events.order_by("-seq").first()
    assert last.text == "Still at the back door" and "changes" not in last.data


def test_weapons_are_cleared_only_by_saying_there_were_none(client_for, operator, incident):
    operator_services.incident_update_post(actor=actor(operator), incident_id=incident.pk, kind="observation",
                                           weapons="knife")
    client = client_for(operator)
    url = reverse("incidents:update", args=[incident.pk])
    client.post(url, {"kind": "observation", "observation-text": "Closer look", "observation-weapons": ""})
    incident.refresh_from_db()
    assert incident.weapons == "knife"
    client.post(url, {"kind": "observation", "observation-no_weapons": "on"})
    incident.refresh_from_db()
    assert incident.weapons == ""
    assert incident.events.order_by("-seq").first().text == "No weapons seen after all"


def test_persons_at_risk_and_the_verification_change_when_chosen(client_for, operator, incident):
    client = client_for(operator)
    url = reverse("incidents:update", args=[incident.pk])
    client.post(url, {"kind": "observation", "observation-persons_at_risk": "on",
                      "observation-verification": "eyewitness"})
    incident.refresh_from_db()
    assert (incident.persons_at_risk, incident.verification) == (True, "eyewitness")
    client.post(url, {"kind": "observation", "observation-persons_at_risk": "off"})
    incident.refresh_from_db()
    assert (incident.persons_at_risk, incident.verification) == (False, "eyewitness")


def test_naming_weapons_and_saying_there_were_none_at_once_is_refused(client_for, operator, incident):
    response = client_for(operator).post(reverse("incidents:update", args=[incident.pk]), {
        "kind": "observation", "observation-weapons": "bat", "observation-no_weapons": "on"})
    assert response.status_code == 400 and b"not both" in response.content
    assert incident.events.count() == 1


def test_the_page_shows_the_flags_recorded_next_to_the_observation_form(client_for, operator, incident):
    operator_services.incident_update_post(actor=actor(operator), incident_id=incident.pk, kind="observation",
                                           weapons="crowbar", persons_at_risk=True)
    html = client_for(operator).get(detail(incident)).content.decode()
    recorded = re.search(r'<p id="flags-now">(.*?)</p>', html, re.S).group(1)
    assert "Persons at risk" in recorded and "Weapons" in recorded and "crowbar" in recorded
    assert 'name="observation-weapons"' in html and 'value="crowbar"' not in html  # nothing pre-filled


# --- 2. Withdrawing once police are on the way asks them to stand down


@pytest.fixture
def dispatched(incident, officer):
    return police_services.incident_assign(actor=actor(officer), incident=incident, unit="2-Adam-14")


def test_withdrawing_a_dispatched_incident_says_police_are_asked_not_that_it_is_withdrawn(
        client_for, operator, dispatched):
    response = client_for(operator).post(reverse("incidents:withdraw", args=[dispatched.pk]),
                                         {"withdraw-reason": "Cleaning crew on camera"}, follow=True)
    html = response.content.decode()
    assert "Police have been asked to stand down; they will close the incident." in html
    assert "Incident withdrawn." not in html and "Withdrawn because" not in html
    assert "Stand-down requested" in html and 'id="stand-down"' in html and "Cleaning crew on camera" in html
    dispatched.refresh_from_db()
    assert dispatched.status == Incident.Status.DISPATCHED


def test_withdrawing_before_dispatch_still_says_withdrawn(client_for, operator, incident):
    response = client_for(operator).post(reverse("incidents:withdraw", args=[incident.pk]),
                                         {"withdraw-reason": "Staff member"}, follow=True)
    assert b"Incident withdrawn." in response.content and b"Withdrawn because" in response.content


def test_police_see_the_request_after_a_reload_and_close_as_withdrawn_in_one_step(client_for, operator, officer,
                                                                                   dispatched):
    operator_services.incident_withdraw(actor=actor(operator), incident=dispatched, reason="Cleaning crew")
    client = client_for(officer)
    html = client.get(detail(dispatched)).content.decode()
    notice = re.search(r'<div id="stand-down".*?</div>', html, re.S).group(0)
    assert "Police are asked to stand down." in notice and "Cleaning crew" in notice
    one_step = as_the_page_sends_it(notice, "withdrawn")
    assert one_step["close-disposition"] == "withdrawn"
    assert '<option value="withdrawn">Withdrawn by the operator</option>' in html  # and in the close form
    response = client.post(reverse("incidents:close", args=[dispatched.pk]), one_step)
    assert response.status_code == 302
    dispatched.refresh_from_db()
    assert (dispatched.status, dispatched.disposition) == ("closed", Disposition.WITHDRAWN)
    assert dispatched.outcome_summary


def test_without_a_request_police_cannot_close_as_withdrawn_or_cancelled(client_for, officer, dispatched):
    assert police_services.incident_closing_dispositions(dispatched) == police_services.CLOSING_DISPOSITIONS
    response = client_for(officer).post(reverse("incidents:close", args=[dispatched.pk]), {
        "close-disposition": "withdrawn", "close-outcome_summary": "Done"})
    assert response.status_code == 400 and b'<details open>' in response.content
    dispatched.refresh_from_db()
    assert dispatched.is_open


def test_an_alarm_centers_cancellation_request_offers_cancelled_by_the_alarm_company(officer, dispatched):
    dispatched.cancel_requested_at = dispatched.dispatched_at
    dispatched.save(update_fields=["cancel_requested_at"])
    incident_event_append(incident=dispatched, kind=IncidentEvent.Kind.CANCEL_REQUESTED,
                          side=IncidentEvent.Side.ALARM_CENTER, text="The alarm company asks to cancel.")
    dispositions = police_services.incident_closing_dispositions(dispatched)
    assert Disposition.CANCELLED in dispositions and Disposition.WITHDRAWN not in dispositions
    police_services.incident_close(actor=actor(officer), incident=dispatched, disposition="cancelled",
                                   outcome_summary="Keyholder gave the passcode")
    dispatched.refresh_from_db()
    assert dispatched.disposition == Disposition.CANCELLED


# --- 3. Sent just as the incident closed


def _close(officer, incident):
    police_services.incident_close(actor=actor(officer), incident=incident, disposition="no_crime",
                                   outcome_summary="Nothing found")


def test_a_message_sent_as_police_closed_the_incident_says_so_and_keeps_the_text(client_for, operator, officer,
                                                                                incident):
    _close(officer, incident)
    response = client_for(operator).post(reverse("incidents:message", args=[incident.pk]),
                                         {"message-text": "They left through the north gate"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "This incident is closed; your message was not sent." in html
    assert "They left through the north gate" in html
    assert not incident.events.filter(kind=IncidentEvent.Kind.MESSAGE).exists()


def test_an_update_sent_as_the_incident_was_withdrawn_says_so_and_keeps_the_text(client_for, operator, incident):
    operator_services.incident_withdraw(actor=actor(operator), incident=incident, reason="Other tab")
    response = client_for(operator).post(reverse("incidents:update", args=[incident.pk]), {
        "kind": "observation", "observation-text": "Third person at the gate"})
    assert response.status_code == 409
    assert b"This incident is closed; your update was not sent." in response.content
    assert b"Third person at the gate" in response.content


def test_police_messaging_a_closed_incident_are_told_so(client_for, operator, officer, incident):
    operator_services.incident_withdraw(actor=actor(operator), incident=incident, reason="False alarm")
    response = client_for(officer).post(reverse("incidents:message", args=[incident.pk]),
                                        {"message-text": "Unit on the way"})
    assert response.status_code == 409 and b"Unit on the way" in response.content


def test_who_may_not_see_a_closed_incident_is_still_refused(client_for, people, agency, officer, incident):
    _close(officer, incident)
    _, stranger = other_company_with_operator(agency)
    for user in (stranger, people[Role.RESIDENT]):
        client = client_for(user)
        assert client.post(reverse("incidents:message", args=[incident.pk]),
                           {"message-text": "hello"}).status_code == 403
        assert client.post(reverse("incidents:update", args=[incident.pk]),
                           {"kind": "observation", "observation-text": "hello"}).status_code == 403


# --- 4. A form that does not go through comes back with what was typed


def _open_section(html: str) -> str:
    return re.search(r"<details open>\s*<summary>([^<]+)</summary>", html).group(1)


def test_a_movement_with_a_heading_of_720_comes_back_with_the_error_by_the_field(client_for, operator, incident):
    response = client_for(operator).post(reverse("incidents:update", args=[incident.pk]), {
        "kind": "movement", "movement-latitude": "44.99", "movement-longitude": "-93.28",
        "movement-heading_deg": "720", "movement-text": "Running toward the river"})
    html = response.content.decode()
    assert response.status_code == 400 and _open_section(html) == "Movement"
    heading = re.search(r'<label for="id_movement-heading_deg".*?<label', html, re.S).group(0)
    assert "less than or equal to 360" in heading and 'value="720"' in heading and 'aria-invalid="true"' in heading
    assert 'value="44.99"' in html and "Running toward the river" in html
    assert incident.events.count() == 1


def test_an_empty_vehicle_comes_back_saying_why_with_the_note_kept(client_for, operator, incident):
    response = client_for(operator).post(reverse("incidents:update", args=[incident.pk]), {
        "kind": "vehicle", "vehicle-direction": "west on 5th", "vehicle-text": "Fast"})
    html = response.content.decode()
    assert response.status_code == 400 and _open_section(html) == "A vehicle"
    assert "Describe the vehicle" in html and 'value="west on 5th"' in html


def test_a_snapshot_that_is_no_picture_comes_back_with_the_caption_kept(client_for, operator, incident):
    response = client_for(operator).post(reverse("incidents:snapshot_add", args=[incident.pk]), {
        "snapshot-image": SimpleUploadedFile("notes.txt", b"not a picture", content_type="text/plain"),
        "snapshot-caption": "Rear door"})
    html = response.content.decode()
    assert response.status_code == 400 and _open_section(html) == "A snapshot"
    assert 'value="Rear door"' in html and not incident.snapshots.exists()


def test_an_empty_withdraw_reason_comes_back_saying_why(client_for, operator, incident):
    response = client_for(operator).post(reverse("incidents:withdraw", args=[incident.pk]), {"withdraw-reason": ""})
    html = response.content.decode()
    assert response.status_code == 400 and _open_section(html) == "Withdraw the incident"
    assert "Say why you are withdrawing the incident." in html
    incident.refresh_from_db()
    assert incident.is_open
