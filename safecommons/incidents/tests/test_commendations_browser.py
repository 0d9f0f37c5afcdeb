"""In real headless Chromium: a resident opens the commendation they were emailed about, agrees to show it,
and finds it on the public list with its certificate."""

import pytest
from django.test import Client
from django.urls import reverse

from safecommons.conftest import sign_in
from safecommons.core.roles import Role
from safecommons.incidents.tests.factories_commendations import CommendationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_agrees_to_show_their_commendation(people, agency, live_server, browser):
    resident = people[Role.RESIDENT]
    commendation = CommendationFactory(agency=agency, recipient=resident, issued_by=people[Role.SUPERVISOR],
                                       title="For calling it in at once")
    session = sign_in(Client(), resident).cookies["sessionid"].value
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()

    page.goto(live_server.url + reverse("incidents:commendation_detail", args=[commendation.pk]))
    page.get_by_label("Yes, show it publicly").check()
    page.get_by_role("button", name="Save my answer").click()
    page.wait_for_load_state()
    assert page.get_by_text("It is shown publicly.").is_visible()

    page.goto(live_server.url + reverse("incidents:commendations_public"))
    card = page.get_by_role("article").filter(has_text="For calling it in at once")
    assert card.get_by_text(resident.display_name).is_visible()
    with page.expect_download() as download:
        card.get_by_role("link", name="Certificate (PDF)").click()
    assert download.value.suggested_filename == f"commendation-{commendation.number}.pdf"
    context.close()
