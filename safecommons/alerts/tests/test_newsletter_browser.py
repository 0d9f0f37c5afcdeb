"""In real headless Chromium: a liaison prepares an issue, previews it in Spanish, approves it; once the
fan-out has run, anyone finds it on the public archive. No request leaves our host."""

from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone

from safecommons.alerts.models import Newsletter, SafetyTip
from safecommons.alerts.selectors.newsletters import last_ended_start
from safecommons.alerts.services.outbox import newsletter_fanout_run
from safecommons.core.roles import Role
from safecommons.places.tests.factories import AreaFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_liaison_prepares_previews_and_approves_and_the_public_reads_it(live_server, browser, agency, people):
    from safecommons.conftest import sign_in

    AreaFactory(agency=agency, name="Oak Hill")
    SafetyTip.objects.create(agency=agency, language="es", title="Cierre su auto", body="Siempre.")
    session = sign_in(Client(), people[Role.LIAISON]).cookies["sessionid"].value
    week = last_ended_start(period="weekly", today=timezone.localdate())
    ours = urlparse(live_server.url).netloc
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": session, "domain": "localhost", "path": "/"},
                         {"name": "sessionid", "value": session, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(f"{live_server.url}/alerts/staff/newsletters/")
    page.select_option("#prepare-area", label="Oak Hill")
    page.select_option("#prepare-period", "weekly")
    page.fill("#prepare-start", week.isoformat())
    with page.expect_navigation():
        page.click("#prepare-form button[type=submit]")
    assert "Oak Hill" in page.inner_text("h1")

    page.select_option("select[name=language]", "es")
    with page.expect_navigation():
        page.click("main form.filters button[type=submit]")
    assert "Cierre su auto" in page.inner_text("pre.newsletter-text")

    with page.expect_navigation():
        page.click("text=Approve and send")
    issue = Newsletter.objects.get()
    assert issue.state == Newsletter.State.APPROVED
    newsletter_fanout_run(newsletter_id=issue.pk)

    public = browser.new_context().new_page()
    public.goto(f"{live_server.url}/alerts/newsletters/")
    with public.expect_navigation():
        public.click("main li a")
    assert "Crime reported" in public.content()

    others = [url for url in requests if urlparse(url).netloc not in (ours, "")]
    assert others == [], others
    context.close()
