"""The Atom feed of current alerts: each entry's id is an IRI (RFC 4287), the alert's absolute public page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import AlertDraft, InfoText
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db
ATOM = {"atom": "http://www.w3.org/2005/Atom"}


@pytest.fixture(autouse=True)
def _no_fanout(monkeypatch):
    monkeypatch.setattr(alert_services, "_queue_fanout", lambda alert: None)


def test_each_entry_id_is_the_absolute_public_page_of_its_alert(people, agency, settings):
    settings.SITE_URL = "https://alerts.testville.example"
    officer = actor_for_user(people[Role.OFFICER])
    alert = alert_services.alert_compose(actor=officer, agency=agency, draft=AlertDraft(
        event="Burglary", area_description="Oak Street", infos={"en": InfoText("Garage break-ins", "Three.")},
        circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}], expires=timezone.now() + timedelta(hours=6)))
    alert_services.alert_submit(actor=officer, alert=alert)
    alert_services.alert_approve(actor=actor_for_user(people[Role.SUPERVISOR]), alert=alert)

    response = Client().get(reverse("alerts:public_feed"))
    entries = etree.fromstring(response.content).findall("atom:entry", ATOM)
    assert [entry.findtext("atom:id", namespaces=ATOM) for entry in entries] == [
        f"https://alerts.testville.example/alerts/{alert.identifier}/"]
