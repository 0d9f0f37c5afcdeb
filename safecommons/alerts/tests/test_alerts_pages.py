"""Alert pages and API: drills never public, update and cancel shown on the original, the Atom feed, the
CAP download, the composer without JavaScript, and refusals for everyone without the right role."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree as ET

from safecommons.alerts.models import Alert
from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import AlertDraft, InfoText
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db
ATOM = {"atom": "http://www.w3.org/2005/Atom"}


@pytest.fixture(autouse=True)
def _no_fanout(monkeypatch):
    monkeypatch.setattr(alert_services, "_queue_fanout", lambda alert: None)


def make(people, agency, *, publish=True, **changes) -> Alert:
    values = {"event": "Burglary series", "area_description": "Around Oak Street",
              "infos": {"en": InfoText("Garage break-ins", "Three garages.", "Lock up."),
                        "es": InfoText("Robos en garajes", "Tres garajes.", "Cierre con llave.")},
              "circles": [{"lat": 44.905, "lon": -93.295, "radius_m": 800}],
              "expires": timezone.now() + timedelta(hours=6)}
    values.update(changes)
    officer = actor_for_user(people[Role.OFFICER])
    alert = alert_services.alert_compose(actor=officer, agency=agency, draft=AlertDraft(**values))
    if publish:
        alert_services.alert_submit(actor=officer, alert=alert)
        if alert_services.alert_needs_approval(alert):
            alert_services.alert_approve(actor=actor_for_user(people[Role.SUPERVISOR]), alert=alert)
    alert.refresh_from_db()
    return alert


def feed_ids(client) -> list[str]:
    response = client.get(reverse("alerts:public_feed"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    # Each entry's id is the alert's absolute public page (…/alerts/<identifier>/): the identifiers, in order.
    return [entry.findtext("atom:id", namespaces=ATOM).rstrip("/").rsplit("/", 1)[-1]
            for entry in ET.fromstring(response.content).findall("atom:entry", ATOM)]


def test_a_public_alert_is_listed_paged_fed_and_downloadable_as_cap(people, agency):
    alert = make(people, agency)
    client = Client()
    listing = client.get(reverse("alerts:public_list"))
    assert alert.identifier in listing.content.decode() and b"Garage break-ins" in listing.content
    page = client.get(reverse("alerts:public_detail", args=[alert.identifier]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Garage break-ins" in html and "Robos en garajes" in html and 'id="alert-short"' in html
    cap = client.get(reverse("alerts:public_cap", args=[alert.identifier]))
    assert cap.status_code == 200 and cap["Content-Type"].startswith("application/cap+xml")
    assert alert.identifier.encode() in cap.content
    assert feed_ids(client) == [alert.identifier]
    api = client.get("/api/alerts/alerts").json()
    assert [item["identifier"] for item in api] == [alert.identifier]
    assert client.get(f"/api/alerts/alerts/{alert.identifier}/cap")["Content-Type"].startswith("application/cap+xml")


def test_the_feed_entry_links_the_page_and_the_cap_message(people, agency):
    alert = make(people, agency)
    entry = ET.fromstring(Client().get(reverse("alerts:public_feed")).content).find("atom:entry", ATOM)
    links = {link.get("type"): link.get("href") for link in entry.findall("atom:link", ATOM)}
    assert links[None].endswith(reverse("alerts:public_detail", args=[alert.identifier]))
    assert links["application/cap+xml"].endswith(reverse("alerts:public_cap", args=[alert.identifier]))
    assert entry.findtext("atom:title", namespaces=ATOM) == "Garage break-ins"


def test_the_page_is_in_the_readers_language_when_a_version_exists(people, agency):
    alert = make(people, agency)
    page = Client().get(reverse("alerts:public_detail", args=[alert.identifier]), HTTP_ACCEPT_LANGUAGE="es")
    html = page.content.decode()
    assert "<title>Robos en garajes" in html


@pytest.mark.parametrize("status", ["Exercise", "Test"])
def test_a_drill_is_never_public(people, agency, client_for, status):
    drill = make(people, agency, cap_status=status)
    assert drill.state == Alert.State.PUBLISHED
    for client in (Client(), client_for(people[Role.RESIDENT]), client_for(people[Role.PARTNER_ADMIN])):
        assert drill.identifier not in client.get(reverse("alerts:public_list")).content.decode()
        assert feed_ids(client) == []
        assert client.get(reverse("alerts:public_detail", args=[drill.identifier])).status_code == 404
        assert client.get(reverse("alerts:public_cap", args=[drill.identifier])).status_code == 404
        assert client.get("/api/alerts/alerts").json() == []
        assert client.get(f"/api/alerts/alerts/{drill.identifier}").status_code == 404
        assert client.get(f"/api/alerts/alerts/{drill.identifier}/cap").status_code == 404
    # Staff see it on their own pages, marked.
    staff = client_for(people[Role.ANALYST]).get(reverse("alerts:alert_staff_detail", args=[drill.identifier]))
    assert staff.status_code == 200 and status.encode() in staff.content


def test_a_draft_or_pending_alert_is_not_public(people, agency):
    alert = make(people, agency, publish=False)
    assert Client().get(reverse("alerts:public_detail", args=[alert.identifier])).status_code == 404


def test_a_restricted_alert_is_for_partner_and_agency_staff_only(people, agency, partner, client_for):
    from safecommons.partners.tests.factories import agreement_between

    agreement_between(agency, partner)
    alert = make(people, agency, scope="Restricted")
    url = reverse("alerts:public_detail", args=[alert.identifier])
    assert Client().get(url).status_code == 404
    assert client_for(people[Role.RESIDENT]).get(url).status_code == 404
    assert client_for(people[Role.PARTNER_MEMBER]).get(url).status_code == 200
    assert client_for(people[Role.OFFICER]).get(url).status_code == 200
    assert feed_ids(Client()) == []


def test_the_original_shows_its_update_and_cancellation_and_leaves_the_current_list(people, agency, client_for):
    original = make(people, agency)
    client = client_for(people[Role.OFFICER])
    response = client.post(reverse("alerts:alert_update", args=[original.identifier]))
    update = Alert.objects.get(references=original, msg_type=Alert.MsgType.UPDATE)
    assert response.url == reverse("alerts:alert_edit", args=[update.identifier])
    client.post(reverse("alerts:alert_submit", args=[update.identifier]))
    client_for(people[Role.SUPERVISOR]).post(reverse("alerts:alert_approve", args=[update.identifier]))
    page = Client().get(reverse("alerts:public_detail", args=[original.identifier])).content.decode()
    assert 'id="alert-updated"' in page and update.identifier in page
    assert feed_ids(Client()) == [update.identifier]

    client.post(reverse("alerts:alert_cancel", args=[update.identifier]), {"reason": "Arrest made."})
    cancel = Alert.objects.get(references=update, msg_type=Alert.MsgType.CANCEL)
    assert cancel.state == Alert.State.PUBLISHED
    page = Client().get(reverse("alerts:public_detail", args=[update.identifier])).content.decode()
    assert 'id="alert-cancelled"' in page
    assert 'id="no-alerts"' in Client().get(reverse("alerts:public_list")).content.decode()
    assert feed_ids(Client()) == [cancel.identifier]  # the cancellation stays in the feed for a day


def test_composing_without_javascript_with_a_typed_circle_and_spanish(people, agency, client_for):
    client = client_for(people[Role.LIAISON])
    expires = (timezone.localtime() + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("alerts:alert_compose"), {
        "cap_status": "Actual", "scope": "Public", "topic": "traffic", "event": "Road closed",
        "category": "Transport", "urgency": "Immediate", "severity": "Minor", "certainty": "Observed",
        "expires": expires, "area_description": "Main St at 5th", "circle_lat": "44.9", "circle_lon": "-93.3",
        "circle_radius_m": "300", "headline": "Main St closed", "description": "A crash blocks Main St.",
        "headline_es": "Main St cerrada", "description_es": "Un choque bloquea Main St."})
    assert response.status_code == 302, response.content.decode()[:2000]
    alert = Alert.objects.get()
    assert alert.area_circles == [{"lat": 44.9, "lon": -93.3, "radius_m": 300.0}]
    assert set(alert.infos.values_list("language", flat=True)) == {"en", "es"}
    assert alert.composed_by == people[Role.LIAISON]


def test_the_composer_shows_each_problem_beside_its_field(people, agency, client_for):
    client = client_for(people[Role.OFFICER])
    now = timezone.localtime()
    response = client.post(reverse("alerts:alert_compose"), {
        "cap_status": "Actual", "scope": "Public", "topic": "crime", "event": "X", "category": "Security",
        "urgency": "Expected", "severity": "Moderate", "certainty": "Likely",
        "onset": now.strftime("%Y-%m-%dT%H:%M"), "expires": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "area_description": "Somewhere", "headline": "H" * 161, "description": "Body",
        "polygons": json.dumps([[[-93.3, 44.9], [-93.29, 44.9], [-93.29, 44.91]]])})
    assert response.status_code == 400
    form = response.context["form"]
    assert "headline" in form.errors
    assert not Alert.objects.exists()
    response = client.post(reverse("alerts:alert_compose"), {
        "cap_status": "Actual", "scope": "Public", "topic": "crime", "event": "X", "category": "Security",
        "urgency": "Expected", "severity": "Moderate", "certainty": "Likely",
        "onset": now.strftime("%Y-%m-%dT%H:%M"), "expires": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "area_description": "Somewhere", "headline": "Headline", "description": "Body",
        "polygons": json.dumps([[[-93.3, 44.9], [-93.29, 44.9], [-93.29, 44.91]]])})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "expires" in errors and "area_description" in errors


def test_the_staff_list_and_detail_show_the_history(people, agency, client_for):
    alert = make(people, agency)
    listing = client_for(people[Role.SUPERVISOR]).get(reverse("alerts:alert_staff"))
    assert listing.status_code == 200 and alert.identifier in listing.content.decode()
    detail = client_for(people[Role.SUPERVISOR]).get(reverse("alerts:alert_staff_detail", args=[alert.identifier]))
    history = detail.content.decode().split('id="alert-history"')[1]
    assert "alert.compose" in history and "alert.approve" in history


# --- Refusals: everyone without the role, on every staff page and operation


NOT_STAFF = [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR, Role.OVERSIGHT]


@pytest.mark.parametrize("who", [*NOT_STAFF, Role.ANALYST, "anonymous"])
@pytest.mark.parametrize(("method", "name"), [
    ("get", "alert_compose"), ("post", "alert_compose"), ("get", "alert_edit"), ("post", "alert_edit"),
    ("post", "alert_submit"), ("post", "alert_update"), ("post", "alert_cancel"),
    ("post", "alert_approve"), ("post", "alert_reject"),
])
def test_people_who_may_not_compose_are_refused_every_composing_page(people, agency, client_for, who, method, name):
    draft = make(people, agency, publish=False)
    client = Client() if who == "anonymous" else client_for(people[who])
    args = [] if name == "alert_compose" else [draft.identifier]
    response = getattr(client, method)(reverse(f"alerts:{name}", args=args))
    if who == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign_in"))
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who", [*NOT_STAFF, "anonymous"])
@pytest.mark.parametrize("name", ["alert_staff", "alert_staff_detail"])
def test_people_outside_the_agency_cannot_open_the_staff_pages(people, agency, client_for, who, name):
    alert = make(people, agency, publish=False)
    client = Client() if who == "anonymous" else client_for(people[who])
    response = client.get(reverse(f"alerts:{name}", args=[] if name == "alert_staff" else [alert.identifier]))
    assert response.status_code == (302 if who == "anonymous" else 403)


@pytest.mark.parametrize("who", [Role.OFFICER, Role.LIAISON, Role.ANALYST])
def test_agency_staff_who_are_not_approvers_cannot_approve_or_send_back(people, agency, client_for, who):
    alert = make(people, agency, publish=False, )
    alert_services.alert_submit(actor=actor_for_user(people[Role.OFFICER]), alert=alert)
    for name in ("alert_approve", "alert_reject"):
        response = client_for(people[who]).post(reverse(f"alerts:{name}", args=[alert.identifier]), {"reason": "x"})
        assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.state == Alert.State.PENDING


@pytest.mark.parametrize("who", [*NOT_STAFF, Role.ANALYST, "anonymous"])
@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/alerts/alerts"), ("put", "/api/alerts/alerts/{id}"), ("post", "/api/alerts/alerts/{id}/submit"),
    ("post", "/api/alerts/alerts/{id}/approve"), ("post", "/api/alerts/alerts/{id}/reject"),
    ("post", "/api/alerts/alerts/{id}/update"), ("post", "/api/alerts/alerts/{id}/cancel"),
])
def test_the_api_refuses_people_who_may_not_compose(people, agency, client_for, who, method, path):
    alert = make(people, agency)
    client = Client() if who == "anonymous" else client_for(people[who])
    body = {"agency": agency.slug, "event": "X", "expires": (timezone.now() + timedelta(hours=1)).isoformat(),
            "area_description": "Here", "circles": [{"lat": 44.9, "lon": -93.3, "radius_m": 500}],
            "infos": [{"language": "en", "headline": "H", "description": "D"}], "reason": "x"}
    response = client.generic(method.upper(), path.replace("{id}", alert.identifier), json.dumps(body),
                              content_type="application/json")
    assert response.status_code == (401 if who == "anonymous" else 403), response.content


def test_the_api_composes_submits_and_the_composer_cannot_approve(people, agency, client_for):
    officer = client_for(people[Role.OFFICER])
    body = {"event": "Road closed", "expires": (timezone.now() + timedelta(hours=1)).isoformat(),
            "area_description": "Main St", "polygons": [[[-93.3, 44.9], [-93.29, 44.9], [-93.29, 44.91],
                                                         [-93.3, 44.9]]],
            "infos": [{"language": "en", "headline": "Main St closed", "description": "A crash."}]}
    created = officer.post("/api/alerts/alerts", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    identifier = created.json()["identifier"]
    assert officer.post(f"/api/alerts/alerts/{identifier}/submit").json()["state"] == "pending"
    assert officer.post(f"/api/alerts/alerts/{identifier}/approve").status_code == 403
    approved = client_for(people[Role.AGENCY_ADMIN]).post(f"/api/alerts/alerts/{identifier}/approve")
    assert approved.json()["state"] == "published"
    bad = officer.post("/api/alerts/alerts", json.dumps({**body, "polygons": [], "circles": []}),
                       content_type="application/json")
    assert bad.status_code == 400 and "area" in bad.json()["detail"]


def test_the_link_in_a_spanish_message_opens_the_page_in_spanish(client, people, agency):
    from urllib.parse import urlsplit

    from safecommons.alerts.messages import alert_message

    alert = make(people, agency)
    url = urlsplit(alert_message(alert, "es").url)
    assert url.query == "lang=es"
    page = client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200 and '<html lang="es"' in page.content.decode()
    assert '<html lang="en"' in client.get(url.path).content.decode()
