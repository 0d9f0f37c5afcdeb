"""The whole way, in real headless Chromium: a resident subscribes around their address, confirms by the link
in the email the local SMTP server received, and receives an alert that staff composed and a second person
approved; the alert's link opens its public page. No page asks any host but ours."""

import re
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from safecommons.alerts.models import Subscription
from safecommons.alerts.services import alerts as alert_services
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.places.addresses import street_key
from safecommons.places.models import AddressPoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = (44.9052, -93.2951)  # 120 Oak St in this test's gazetteer
FAR_AWAY = (44.98, -93.20)  # about 10 km north-east


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+", message.get_body(preferencelist=("plain",)).get_content())


@pytest.fixture
def site(settings, live_server, smtp_server):
    settings.SITE_URL = live_server.url
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    AddressPoint.objects.create(number="120", street="Oak St", street_key=street_key("Oak St"),
                                latitude=HOME[0], longitude=HOME[1])
    return live_server.url


def test_subscribe_confirm_by_the_emailed_link_and_receive_an_alert(site, smtp_server, browser, people, agency):
    ours = urlparse(site).netloc
    context = browser.new_context()
    page = context.new_page()
    others: list[str] = []
    page.on("request", lambda r: urlparse(r.url).netloc not in (ours, "") and others.append(r.url))

    page.goto(f"{site}/alerts/subscribe/")
    page.get_by_role("textbox", name="Address").fill("120 Oak St")
    page.get_by_role("combobox", name="Alerts within").select_option("1000")
    page.get_by_label("Crime alerts").check()
    page.get_by_role("textbox", name="Email").fill("neighbour@mail.example")
    page.get_by_role("button", name=re.compile("Subscribe")).click()
    page.wait_for_load_state()
    assert "neighbour@mail.example" in page.content()
    subscription = Subscription.objects.get(channels__address="neighbour@mail.example")
    assert subscription.status == Subscription.Status.PENDING

    [confirmation] = smtp_server.to("neighbour@mail.example")
    [confirm_link] = [link for link in links_in(confirmation) if "/alerts/confirm/" in link]
    page.goto(confirm_link)
    page.locator("#confirm-button").click()
    page.wait_for_load_state()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE

    # Someone far away, subscribed and confirmed, must get nothing.
    from safecommons.alerts.tests.factories import ChannelFactory, SubscriptionFactory

    ChannelFactory(subscription=SubscriptionFactory(agency=agency, lat=FAR_AWAY[0], lon=FAR_AWAY[1], radius_m=500),
                   address="far@mail.example")

    liaison, supervisor = (actor_for_user(people[role]) for role in (Role.LIAISON, Role.SUPERVISOR))
    now = timezone.now()
    alert = alert_services.alert_compose(actor=liaison, agency=agency, draft=alert_services.AlertDraft(
        event="Garage break-ins", area_description="Around Oak St", onset=now,
        expires=now + timezone.timedelta(days=1), circles=[{"lat": HOME[0], "lon": HOME[1] + 0.004, "radius_m": 600}],
        infos={"en": alert_services.InfoText("Garage break-ins around Oak St", "Four garages were broken into.",
                                             "Lock garage side doors.")}))
    alert_services.alert_submit(actor=liaison, alert=alert)
    alert_services.alert_approve(actor=supervisor, alert=alert)

    received = [m for m in smtp_server.to("neighbour@mail.example") if m is not confirmation]
    assert len(received) == 1
    [message] = received
    assert "Garage break-ins around Oak St" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp_server.to("far@mail.example") == []

    [public_link] = [link for link in links_in(message) if link.rstrip("/").endswith(alert.identifier)]
    page.goto(public_link)
    assert page.get_by_role("heading", name=re.compile("Garage break-ins around Oak St")).count() >= 1
    assert others == []
    context.close()
