"""The alert map in real headless Chromium: a headline shown in a shape's tooltip is text, never markup."""

from datetime import timedelta

import pytest
from django.utils import timezone

from safecommons.alerts.services import alerts as alert_services
from safecommons.alerts.services.alerts import AlertDraft, InfoText
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEADLINE = '<img src="/x.png" id="injected"><b id="bold">Gas</b>'


def test_a_headline_in_a_map_tooltip_is_shown_as_text_not_markup(live_server, browser, people, agency, monkeypatch):
    monkeypatch.setattr(alert_services, "_queue_fanout", lambda alert: None)
    officer = actor_for_user(people[Role.OFFICER])
    alert = alert_services.alert_compose(actor=officer, agency=agency, draft=AlertDraft(
        event="Gas leak", area_description="Oak Street", infos={"en": InfoText(HEADLINE, "Keep away.")},
        circles=[{"lat": 44.905, "lon": -93.295, "radius_m": 800}], expires=timezone.now() + timedelta(hours=6)))
    alert_services.alert_submit(actor=officer, alert=alert)
    alert_services.alert_approve(actor=actor_for_user(people[Role.SUPERVISOR]), alert=alert)

    page = browser.new_page()
    for url in (f"{live_server.url}/alerts/{alert.identifier}/", f"{live_server.url}/alerts/"):
        page.goto(url)
        page.wait_for_selector("#alerts-map[data-shapes='1']")
        box = page.locator("#alerts-map").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = page.wait_for_selector(".leaflet-tooltip", timeout=5_000)
        assert tooltip.text_content() == HEADLINE
        assert page.locator("#alerts-map #injected, #alerts-map #bold").count() == 0
        page.mouse.move(0, 0)
    page.close()
