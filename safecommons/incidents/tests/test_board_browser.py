"""The live board in real headless Chromium, served by a real ASGI server: a new incident and then its update
appear without a reload, and the page talks to no host but ours."""

from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from safecommons.core.roles import Role
from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import IncidentEvent, IncidentType
from safecommons.incidents.tests.factories import handoff_agreement, incident_opened

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer_session(transactional_db, people) -> str:
    from django.test import Client

    from safecommons.conftest import sign_in

    return sign_in(Client(), people[Role.OFFICER]).cookies["sessionid"].value


def test_the_board_shows_a_new_incident_and_its_update_without_reload(officer_session, asgi_server, browser,
                                                                      agency, security_company):
    handoff_agreement(security_company, agency)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": officer_session, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    others: list[str] = []
    page.on("request", lambda r: urlparse(r.url).netloc not in ("127.0.0.1:" + asgi_server.rsplit(":", 1)[1], "")
            and others.append(r.url))
    page.goto(f"{asgi_server}/incidents/board/")
    page.wait_for_selector("#board-status.live", timeout=10_000)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    incident = incident_opened(agency=agency, company=security_company, type=IncidentType.ROBBERY,
                               address="12 River Rd", weapons="handgun", priority=250)
    row = page.locator(f"#board-rows tr[data-incident='{incident.pk}']")
    row.wait_for(timeout=10_000)
    assert "Robbery" in row.inner_text()
    assert "New" in row.inner_text() and "Weapons" in row.inner_text()

    incident_event_append(incident=incident, kind=IncidentEvent.Kind.MOVEMENT, side=IncidentEvent.Side.OPERATOR,
                          actor_label="operator", text="Suspect heading north on River Rd")
    page.wait_for_function(
        "id => (document.querySelector(`#board-rows tr[data-incident='${id}']`) || {}).innerText"
        "?.includes('heading north')", arg=incident.pk, timeout=10_000)
    assert navigations == []  # no reload
    assert page.locator("#board-map .leaflet-interactive").count() >= 1
    assert others == []
    context.close()


def test_the_board_shows_times_in_the_sites_zone_whatever_the_browsers(officer_session, asgi_server, browser,
                                                                       agency, security_company):
    # A dispatcher's browser may be set to another zone; the board's times must match the rest of the site.
    handoff_agreement(security_company, agency)
    browser_zone = "Asia/Tokyo" if settings.TIME_ZONE != "Asia/Tokyo" else "Europe/Lisbon"
    context = browser.new_context(timezone_id=browser_zone, locale="en-GB")  # en-GB: a 24-hour clock
    context.add_cookies([{"name": "sessionid", "value": officer_session, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    page.goto(f"{asgi_server}/incidents/board/")
    page.wait_for_selector("#board-status.live", timeout=10_000)

    incident = incident_opened(agency=agency, company=security_company, type=IncidentType.TRESPASS,
                               address="3 Mill St")
    shown = page.locator(f"#board-rows tr[data-incident='{incident.pk}'] time")
    shown.wait_for(timeout=10_000)
    site_time = incident.received_at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%H:%M")
    browser_time = incident.received_at.astimezone(ZoneInfo(browser_zone)).strftime("%H:%M")
    assert site_time != browser_time
    assert shown.inner_text() == site_time
    context.close()
