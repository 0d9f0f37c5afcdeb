"""The demo city's live incidents: what the board, the console and an alarm center find after `make run`."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safecommons.accounts.models import User
from safecommons.conftest import sign_in
from safecommons.demo.city import EMAIL_DOMAIN, demo_city_load
from safecommons.incidents.demo import DEMO_ALARM_KEY
from safecommons.incidents.models import Commendation, Disposition, Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return demo_city_load()


def test_the_board_opens_on_a_dispatched_break_in_and_a_double_burglar_alarm(city):
    officer = sign_in(Client(), User.objects.get(email=f"officer@{EMAIL_DOMAIN}"))
    shown = officer.get(reverse("incidents:board")).context["incidents"]
    open_ones = [incident for incident in shown if incident["status"] != "closed"]
    assert [incident["type"] for incident in open_ones] == ["break_in", "burglar_alarm"]  # verified first
    break_in, alarm = open_ones
    assert break_in["status"] == "dispatched" and break_in["assigned_unit"] == "2-Baker-21"
    assert break_in["suspect_count"] == 2 and break_in["vehicle_count"] == 1
    assert alarm["alarm_count"] == 2 and alarm["status"] == "received"
    assert city.counts["live incidents"] == 4


def test_closed_incidents_carry_their_outcome_and_the_operator_is_commended_publicly(city):
    assert Incident.objects.filter(disposition=Disposition.FALSE_ALARM).count() == 1
    arrest = Incident.objects.get(disposition=Disposition.ARREST)
    assert "dock 4" in arrest.outcome_summary
    commendation = Commendation.objects.get()
    assert commendation.recipient.email == f"operator@{EMAIL_DOMAIN}" and commendation.public_consent is True
    assert commendation.title in Client().get(reverse("incidents:commendations_public")).content.decode()


def test_the_published_demo_key_sends_an_alarm_as_sentinels_monitoring_center(city):
    center = Client(headers={"Authorization": f"Bearer {DEMO_ALARM_KEY}"})
    response = center.post("/api/incidents/alarms", {
        "event_id": "README-1", "type": "FIRE", "permit_number": "RVT-AP-0102",
        "received_at": timezone.now().isoformat(), "zone": "2 site office"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Incident.objects.get(pk=response.json()["incident_id"]).type == "fire"
