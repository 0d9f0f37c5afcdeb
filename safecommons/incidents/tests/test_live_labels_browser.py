"""Live updates in real headless Chromium (served by `asgi_server`): the board says a withdrawn incident's
label once, and an incident's page keeps its priority and flags up to date with the timeline and flashes the
entries that arrive."""

import re

import pytest

from safecommons.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sessions(transactional_db, people, security_company, agency):
    """The officer's and operator's signed-in sessions (made before the browser's loop starts)."""
    from django.test import Client

    from safecommons.conftest import sign_in
    from safecommons.incidents.tests.factories import handoff_agreement

    handoff_agreement(security_company, agency)
    return {role: sign_in(Client(), people[role]).cookies["sessionid"].value
            for role in (Role.OFFICER, Role.SECURITY_OPERATOR)}


def signed_in_page(browser, asgi_server, session):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": session, "url": asgi_server}])
    return context, context.new_page()


def test_the_board_says_withdrawn_once_for_a_withdrawn_incident(sessions, people, agency, asgi_server, browser):
    from safecommons.incidents.services import operator as operator_services
    from safecommons.incidents.tests.factories_workflow import actor, hand_over

    context, page = signed_in_page(browser, asgi_server, sessions[Role.OFFICER])
    page.goto(f"{asgi_server}/incidents/board/")
    page.wait_for_selector("#board-status.live", timeout=10_000)
    incident = hand_over(people[Role.SECURITY_OPERATOR], agency, address="8 Quay St")
    operator_services.incident_withdraw(actor=actor(people[Role.SECURITY_OPERATOR]), incident=incident,
                                        reason="Cleaning crew on camera")
    row = page.locator(f"#board-rows tr[data-incident='{incident.pk}']")
    page.wait_for_function(
        "id => (document.querySelector(`#board-rows tr[data-incident='${id}']`) || {}).innerText"
        "?.includes('Cleaning crew')", arg=incident.pk, timeout=10_000)
    latest = row.locator("td").nth(5).inner_text()
    assert latest == "Withdrawn: Cleaning crew on camera"
    context.close()


def test_the_incident_page_keeps_priority_and_flags_current_and_flashes_new_entries(sessions, people, agency,
                                                                                    asgi_server, browser):
    from playwright.sync_api import expect

    from safecommons.incidents.services import operator as operator_services
    from safecommons.incidents.tests.factories_workflow import actor, hand_over

    operator = people[Role.SECURITY_OPERATOR]
    incident = hand_over(operator, agency, verification="unverified")
    context, page = signed_in_page(browser, asgi_server, sessions[Role.OFFICER])
    page.goto(f"{asgi_server}/incidents/{incident.pk}/")
    expect(page.locator("#incident-live")).to_contain_text("Live:", timeout=10_000)
    priority = page.locator("[data-incident-priority]")
    assert priority.inner_text() == f"Priority {incident.priority}"
    assert "Weapons" not in page.locator("[data-incident-flags]").first.inner_text()

    operator_services.incident_update_post(actor=actor(operator), incident_id=incident.pk, kind="observation",
                                           text="One has a knife", weapons="knife", persons_at_risk=True,
                                           verification="video")
    entry = page.locator("#timeline li", has_text="One has a knife")
    entry.wait_for(timeout=10_000)
    assert "flash" in entry.get_attribute("class")
    incident.refresh_from_db()
    expect(priority).to_have_text(f"Priority {incident.priority}")
    flags = page.locator("[data-incident-flags]").first.inner_text()
    assert re.search(r"Persons at risk\s+Weapons\s+Verified: Video — knife", flags), flags

    operator_services.incident_update_post(actor=actor(operator), incident_id=incident.pk, kind="observation",
                                           weapons="", persons_at_risk=False)
    page.locator("#timeline li", has_text="No weapons seen after all").wait_for(timeout=10_000)
    flags = page.locator("[data-incident-flags]").first.inner_text()
    assert "Weapons" not in flags and "knife" not in flags and "Persons at risk" not in flags
    assert "Verified: Video" in flags
    context.close()


def test_a_stand_down_request_shows_on_the_officers_page_without_a_reload(sessions, people, agency, asgi_server,
                                                                          browser):
    from playwright.sync_api import expect

    from safecommons.incidents.models import Incident
    from safecommons.incidents.services import operator as operator_services
    from safecommons.incidents.services import police as police_services
    from safecommons.incidents.tests.factories_workflow import actor, hand_over

    incident = hand_over(people[Role.SECURITY_OPERATOR], agency)
    police_services.incident_status_set(actor=actor(people[Role.OFFICER]), incident=incident,
                                        status=Incident.Status.DISPATCHED)
    context, page = signed_in_page(browser, asgi_server, sessions[Role.OFFICER])
    page.goto(f"{asgi_server}/incidents/{incident.pk}/")
    expect(page.locator("#incident-live")).to_contain_text("Live:", timeout=10_000)
    notice = page.locator("#stand-down-live")
    expect(notice).to_be_hidden()

    operator_services.incident_withdraw(actor=actor(people[Role.SECURITY_OPERATOR]), incident=incident,
                                        reason="Owner on camera")

    expect(notice).to_be_visible(timeout=10_000)
    expect(notice).to_contain_text("Police are asked to stand down.")
    expect(notice.locator("a")).to_have_text("Reload to close it in one step.")
    context.close()
