"""An incident's page in real headless Chromium, served by a real ASGI server (`asgi_server` in conftest.py:
the test `live_server` speaks WSGI only, with no websockets): the operator's page shows a message police post
after it loaded, without a reload, and comes back up to date after its connection drops."""

import re
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from safecommons.core.roles import Role

OTHER_ZONE = "Asia/Tokyo"  # not the site's (tests run with the default, America/Chicago)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def handed_over(transactional_db, people, security_company, agency):
    """An incident handed over, and the operator's signed-in session (made before the browser's loop starts)."""
    from django.test import Client

    from safecommons.conftest import sign_in
    from safecommons.incidents.tests.factories import handoff_agreement
    from safecommons.incidents.tests.factories_workflow import hand_over

    handoff_agreement(security_company, agency)
    incident = hand_over(people[Role.SECURITY_OPERATOR], agency)
    session = sign_in(Client(), people[Role.SECURITY_OPERATOR]).cookies["sessionid"].value
    return incident, session


def police_message(people, incident, text):
    from safecommons.incidents.services import police as police_services
    from safecommons.incidents.tests.factories_workflow import actor

    police_services.incident_message_post(actor=actor(people[Role.OFFICER]), incident=incident, text=text)


def test_a_police_message_appears_on_the_operators_page_without_a_reload(handed_over, people, asgi_server,
                                                                         browser):
    from playwright.sync_api import expect

    incident, session = handed_over
    # A phone, set to a time zone other than the site's: the times it shows are still the site's.
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id=OTHER_ZONE)
    context.add_cookies([{"name": "sessionid", "value": session, "url": asgi_server}])
    page = context.new_page()
    origin = urlparse(asgi_server).netloc
    others: list[str] = []
    page.on("request", lambda r: urlparse(r.url).netloc not in (origin, "") and others.append(r.url))
    connections = []  # (the page's side, the server's side) of each websocket the page opens

    def connect(route):
        connections.append((route, route.connect_to_server()))

    page.route_web_socket(re.compile(r".*/ws/incidents/.*"), connect)

    page.goto(f"{asgi_server}/incidents/{incident.pk}/")
    expect(page.locator("#incident-live")).to_contain_text("Live:", timeout=10_000)
    page.evaluate("window.loadedOnce = true")
    assert page.locator("#timeline li").count() == 1

    police_message(people, incident, "Officers arriving at the north door")
    page.locator("#timeline li", has_text="Officers arriving at the north door").wait_for(timeout=10_000)
    assert page.evaluate("window.loadedOnce") is True  # the same page, not a reload
    last = page.locator("#timeline li").last
    assert "Police" in last.inner_text() and "Testville Police Department" in last.inner_text()
    posted = incident.events.order_by("-seq").first().created_at
    assert last.locator("time").inner_text() == posted.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%H:%M:%S")
    assert posted.astimezone(ZoneInfo(settings.TIME_ZONE)).hour != posted.astimezone(ZoneInfo(OTHER_ZONE)).hour
    assert page.locator("#timeline").get_attribute("data-last-event-id") == str(
        incident.events.order_by("-seq").first().seq)

    # The connection drops; what police post meanwhile arrives once the page is back (a second later), once.
    seen = incident.events.order_by("-seq").first().seq
    page_side, server_side = connections[-1]
    page_side.close(code=4000, reason="dropped")
    server_side.close()
    police_message(people, incident, "Suspect detained")
    page.locator("#timeline li", has_text="Suspect detained").wait_for(timeout=20_000)
    assert len(connections) == 2 and connections[1][0].url.endswith(f"&last_event_id={seen}")
    assert page.locator("#timeline li", has_text="Suspect detained").count() == 1
    assert page.locator("#timeline li", has_text="Officers arriving").count() == 1
    assert page.evaluate("window.loadedOnce") is True
    assert others == []
    context.close()
