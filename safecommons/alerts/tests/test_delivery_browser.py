"""The delivery page in real headless Chromium: its numbers follow the outbox while sending goes on, and
the page settles on the final figures when nothing is left to send; no host but ours is called."""

from urllib.parse import urlparse

import pytest
from django.utils import timezone

from safecommons.alerts.models import Alert, Delivery
from safecommons.alerts.tests.factories import AlertFactory, ChannelFactory, SubscriptionFactory
from safecommons.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_delivery_numbers_refresh_until_sending_is_finished(live_server, browser, people, agency):
    from django.test import Client

    from safecommons.conftest import sign_in

    alert = AlertFactory(agency=agency, state=Alert.State.PUBLISHED, sent_at=timezone.now(),
                         fanout=Alert.Fanout.DONE, matched=2)
    rows = [Delivery.objects.create(alert=alert, target=ChannelFactory(subscription=SubscriptionFactory(agency=agency)),
                                    channel="email") for _ in range(2)]
    session = sign_in(Client(), people[Role.OFFICER]).cookies["sessionid"].value
    ours = urlparse(live_server.url).netloc
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": session, "domain": ours.split(":")[0], "path": "/"}])
    page = context.new_page()
    others: list[str] = []
    page.on("request", lambda r: urlparse(r.url).netloc not in (ours, "") and others.append(r.url))
    page.goto(f"{live_server.url}/alerts/staff/{alert.pk}/delivery/")
    delivered = page.locator('tbody tr[data-channel="email"] td[data-field="delivered"]')
    assert delivered.inner_text() == "0"

    Delivery.objects.filter(pk=rows[0].pk).update(status=Delivery.Status.DELIVERED, attempts=1)
    page.wait_for_function("""() => document.querySelector('tbody tr[data-channel="email"] td[data-field="delivered"]')
                              .textContent === '1'""", timeout=15_000)
    assert page.locator("#delivery-report[data-polling]").count() == 1

    Delivery.objects.filter(pk=rows[1].pk).update(status=Delivery.Status.DELIVERED, attempts=1)
    page.wait_for_selector("#delivery-report:not([data-polling])", timeout=15_000)
    assert "Sending is finished." in page.locator("#delivery-status").inner_text()
    assert delivered.inner_text() == "2"
    assert others == []
    context.close()
