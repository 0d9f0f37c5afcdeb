"""Subscription pages: subscribe (by address, map point or areas), confirm by the emailed link (through a
real SMTP server, in English and Spanish), manage by the signed link, one-click unsubscribe (RFC 8058),
My alerts, and the agency's test list."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from safecommons.alerts import links
from safecommons.alerts.models import Channel, OptOut, Subscription, Topic
from safecommons.alerts.tests.factories import ChannelFactory, SubscriptionFactory, cell_at
from safecommons.core.roles import Role
from safecommons.places.models import AddressPoint, AreaKind
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

HOME_LAT, HOME_LON = 44.90512, -93.29537


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def gazetteer(db):
    return AddressPoint.objects.create(number="1234", street="Oak St", street_key="oak st", longitude=HOME_LON,
                                       latitude=HOME_LAT)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def link_in(text: str, kind: str) -> str:
    return re.search(rf"https?://\S+/alerts/{kind}/[^/\s\"]+/", text).group(0)


def subscribe_form(**changes) -> dict:
    data = {"address": "1234 Oak Street", "radius_m": "500", "topics": [Topic.CRIME, Topic.EMERGENCY],
            "email": "ana@mail.example", "language": "en", "time_zone": "America/Chicago"}
    data.update(changes)
    return data


def test_the_subscribe_page_offers_every_choice_and_says_severe_alerts_break_quiet_hours(client, agency):
    AreaFactory(agency=agency, kind=AreaKind.NEIGHBORHOOD, name="Riverside")
    response = client.get(reverse("alerts:subscribe"))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("address", "radius_m", "areas", "topics", "email", "phone", "push_subscription", "language",
                 "quiet_start", "quiet_end"):
        assert f'name="{name}"' in html, name
    assert "Severe and extreme alerts" in html
    assert 'name="webhook_url"' not in html  # organisations only
    assert "data-vapid-key=" in html and "alerts/push-worker.js" in html
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", html)


def test_subscribing_by_address_mails_a_confirmation_and_keeps_no_address(
        client, agency, gazetteer, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("alerts:subscribe"), subscribe_form())
    assert response.status_code == 201, response.content.decode()
    assert b"We sent you an email" in response.content
    subscription = Subscription.objects.get()
    assert subscription.cell == cell_at(HOME_LAT, HOME_LON) and subscription.status == Subscription.Status.PENDING
    assert "1234" not in subscription.label and "_auth_user_id" not in client.session
    assert not any("Oak" in str(value) for value in client.session.values())

    [message] = smtp_server.to("ana@mail.example")
    assert message["Subject"] == "Confirm your Testville Police Department alerts"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    confirm = link_in(text, "confirm")
    assert confirm in html
    path = confirm.split("://", 1)[1].split("/", 1)[1]

    page = client.get("/" + path)
    assert page.status_code == 200 and b"confirm-button" in page.content
    assert Subscription.objects.get().status == Subscription.Status.PENDING  # a GET (a mail scanner) confirms nothing
    done = Client().post("/" + path)
    assert done.status_code == 200 and b'id="confirmed"' in done.content
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.channels.get().confirmed_at is not None


def test_the_confirmation_mail_is_in_spanish_for_a_spanish_subscription(client, agency, gazetteer, smtp_server,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("alerts:subscribe"), subscribe_form(language="es", email="luz@mail.example"))
    assert response.status_code == 201
    [message] = smtp_server.to("luz@mail.example")
    with translation.override("es"):  # the Spanish catalogue's words, whatever it holds today
        subject = gettext("Confirm your %(agency)s alerts") % {"agency": agency.name}
        wording = gettext("To confirm, open this link:")
    assert message["Subject"] == subject and message["Content-Language"] == "es"
    assert wording in message.get_body(("plain",)).get_content()
    assert '<html lang="es">' in message.get_body(("html",)).get_content()
    subscription = Subscription.objects.get()
    assert subscription.language == "es"
    assert links.confirm_target(token_of(link_in(message.get_body(("plain",)).get_content(), "confirm")))


def test_an_unknown_address_is_refused_with_a_clear_message(client, agency, gazetteer):
    response = client.post(reverse("alerts:subscribe"), subscribe_form(address="99 Nowhere Road"))
    assert response.status_code == 400
    assert b"We could not find that address" in response.content
    assert not Subscription.objects.exists()


def test_a_point_on_the_map_and_named_areas_also_make_a_place(client, agency):
    area = AreaFactory(agency=agency, kind=AreaKind.BEAT)
    response = client.post(reverse("alerts:subscribe"), subscribe_form(
        address="", lat="44.91", lon="-93.28", areas=[area.pk], radius_m="2000", phone="+1 612 555 0199", email=""))
    assert response.status_code == 201
    subscription = Subscription.objects.get()
    assert subscription.cell == cell_at(44.91, -93.28) and subscription.radius_m == 2000
    assert list(subscription.areas.all()) == [area]
    assert subscription.status == Subscription.Status.PENDING  # until the texted link is followed
    assert b'id="check-texts"' in response.content
    assert b'id="manage-link"' in response.content  # no email: the page is the only way to the manage link


def test_a_signed_in_resident_subscription_is_theirs_and_shown_under_my_alerts(client_for, people, agency,
                                                                             gazetteer):
    resident = people[Role.RESIDENT]
    client = client_for(resident)
    form = client.get(reverse("alerts:subscribe")).content.decode()
    assert resident.email in form  # prefilled
    response = client.post(reverse("alerts:subscribe"), subscribe_form(email=resident.email, label="Home"))
    assert response.status_code == 201
    subscription = Subscription.objects.get()
    assert subscription.user == resident
    mine = client.get(reverse("alerts:mine"))
    assert b"Home" in mine.content
    edit = client.post(reverse("alerts:mine_edit", args=[subscription.pk]), subscribe_form(
        address="", email=resident.email, topics=[Topic.TRAFFIC], radius_m="1000", label="Home"))
    assert edit.status_code == 200 and b'id="saved"' in edit.content
    subscription.refresh_from_db()
    assert subscription.topics == [Topic.TRAFFIC] and subscription.radius_m == 1000
    assert subscription.cell == cell_at(HOME_LAT, HOME_LON)  # no new address: the place stays


def test_another_persons_subscription_is_not_found(client_for, people, agency):
    theirs = SubscriptionFactory(agency=agency, user=people[Role.OFFICER])
    response = client_for(people[Role.RESIDENT]).get(reverse("alerts:mine_edit", args=[theirs.pk]))
    assert response.status_code == 404


def test_my_alerts_needs_signing_in(client):
    response = client.get(reverse("alerts:mine"))
    assert response.status_code == 302 and "sign-in" in response["Location"]


def test_a_partner_admin_subscribes_the_organisation_with_a_webhook_and_sees_the_secret_once(client_for, people,
                                                                                          partner, agency):
    client = client_for(people[Role.PARTNER_ADMIN])
    page = client.get(reverse("alerts:subscribe")).content.decode()
    assert 'name="webhook_url"' in page and 'name="organisation"' in page
    response = client.post(reverse("alerts:subscribe"), subscribe_form(
        address="", lat=str(HOME_LAT), lon=str(HOME_LON), email="", organisation=str(partner.pk),
        webhook_url="https://hooks.acme.example/alerts"))
    assert response.status_code == 201, response.content.decode()
    subscription = Subscription.objects.get()
    hook = subscription.channels.get(channel=Channel.WEBHOOK)
    assert hook.secret.encode() in response.content
    assert subscription.organisation == partner
    # Its other admins find it under My alerts; the secret is not shown again.
    edit = client.get(reverse("alerts:mine_edit", args=[subscription.pk])).content.decode()
    assert "hooks.acme.example" in edit and hook.secret not in edit


def test_managing_by_the_signed_link_changes_ends_and_rotates(client, agency):
    subscription = SubscriptionFactory(agency=agency)
    ChannelFactory(subscription=subscription, address="ana@mail.example")
    url = links.manage_url(subscription)
    page = client.get(url)
    assert page.status_code == 200 and b"ana@mail.example" in page.content
    saved = client.post(url, subscribe_form(address="", email="ana@mail.example", topics=[Topic.EVENTS],
                                            language="es", action="save"))
    assert saved.status_code == 200, saved.content.decode()
    subscription.refresh_from_db()
    assert subscription.topics == [Topic.EVENTS] and subscription.language == "es"

    rotated = client.post(url, {"action": "new_link"})
    assert rotated.status_code == 200
    assert client.get(url).status_code == 404  # the old link is revoked
    subscription.refresh_from_db()
    new_url = links.manage_url(subscription)
    ended = client.post(new_url, {"action": "end"})
    assert ended.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ENDED
    assert OptOut.objects.filter(subscription=subscription, channel="").count() == 1


def test_an_altered_link_gets_the_bad_link_page(client, agency):
    subscription = SubscriptionFactory(agency=agency)
    channel = ChannelFactory(subscription=subscription)
    for url in (links.manage_url(subscription), links.unsubscribe_url(channel), links.confirm_url(channel)):
        token = token_of(url)
        altered = url.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
        response = client.get(altered)
        assert response.status_code == 404 and b"This link is not valid" in response.content
    # a manage token is no unsubscribe token
    manage_token = token_of(links.manage_url(subscription))
    assert client.post(reverse("alerts:unsubscribe", args=[manage_token])).status_code == 404


def test_unsubscribe_get_only_asks_and_the_one_click_post_needs_no_cookie_nor_csrf(agency):
    subscription = SubscriptionFactory(agency=agency)
    channel = ChannelFactory(subscription=subscription)
    url = links.unsubscribe_url(channel)
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200 and b"unsubscribe-button" in page.content
    channel.refresh_from_db()
    assert channel.active  # a GET (a link scanner) unsubscribes nobody

    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(url, "List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not response.cookies
    channel.refresh_from_db()
    subscription.refresh_from_db()
    assert not channel.active and subscription.status == Subscription.Status.ENDED
    assert OptOut.objects.get().one_click is True
    again = mail_client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert again.status_code == 200 and OptOut.objects.count() == 1


def test_an_agency_admin_keeps_the_test_list(client_for, people, agency):
    client = client_for(people[Role.AGENCY_ADMIN])
    response = client.post(reverse("alerts:test_list"), {"agency": agency.pk, "email": "drill@pd.example",
                                                         "label": "Sgt Lee", "language": "en"})
    assert response.status_code == 302
    page = client.get(reverse("alerts:test_list"))
    assert page.status_code == 200 and b"drill@pd.example" in page.content
    subscription = Subscription.objects.get(test_list=True)
    removed = client.post(reverse("alerts:test_list_remove", args=[subscription.pk]))
    assert removed.status_code == 302
    assert b"drill@pd.example" not in client.get(reverse("alerts:test_list")).content


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.SUPERVISOR, Role.OFFICER, Role.PARTNER_ADMIN])
def test_others_cannot_reach_the_test_list(client_for, people, agency, role):
    client = client_for(people[role])
    assert client.get(reverse("alerts:test_list")).status_code == 403
    subscription = SubscriptionFactory(agency=agency, test_list=True)
    assert client.post(reverse("alerts:test_list_remove", args=[subscription.pk])).status_code == 403
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_the_test_list_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("alerts:test_list"))
    assert response.status_code == 302 and "sign-in" in response["Location"]


@pytest.mark.parametrize("who", [*Role, "anonymous"])
@pytest.mark.parametrize("endpoint", ["GET /alerts/test-list/", "GET /alerts/mine/", "GET /api/alerts/subscriptions"])
def test_every_role_gets_what_the_access_table_says(client_for, people, agency, who, endpoint):
    from safecommons.alerts.tests.access_subscriptions import ACCESS

    client = Client() if who == "anonymous" else client_for(people[who])
    response = client.get(endpoint.split(" ", 1)[1])
    if who in ACCESS[endpoint]:
        assert response.status_code == 200
    elif who == "anonymous":
        assert response.status_code == (401 if "/api/" in endpoint else 302)
    else:
        assert response.status_code == 403


def test_one_network_cannot_flood_strangers_with_subscriptions(client, settings, agency):
    settings.ALERT_SUBSCRIPTIONS_PER_HOUR = 2
    form = {"address": "", "lat": "44.905", "lon": "-93.295", "radius_m": "500", "topics": ["crime"],
            "language": "en"}
    mistakes = [client.post(reverse("alerts:subscribe"), {**form, "topics": []}).status_code for _ in range(3)]
    assert mistakes == [400, 400, 400]  # a form sent back with a mistake does not count
    answers = [client.post(reverse("alerts:subscribe"), {**form, "email": f"stranger{n}@mail.example"}).status_code
               for n in range(3)]
    assert answers == [201, 201, 429]
    assert Subscription.objects.count() == 2


def test_an_address_gets_a_few_confirmation_mails_a_day_whoever_asks(client, settings, smtp_server, agency,
                                                                      django_capture_on_commit_callbacks):
    from safecommons.alerts.services.subscriptions import CONFIRMATIONS_PER_ADDRESS_PER_DAY

    settings.ALERT_SUBSCRIPTIONS_PER_HOUR = 100
    form = {"address": "", "lat": "44.905", "lon": "-93.295", "radius_m": "500", "topics": ["crime"],
            "language": "en", "email": "victim@mail.example"}
    for n in range(CONFIRMATIONS_PER_ADDRESS_PER_DAY + 2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("alerts:subscribe"), form, REMOTE_ADDR=f"198.51.100.{n}")
    assert len(smtp_server.to("victim@mail.example")) == CONFIRMATIONS_PER_ADDRESS_PER_DAY
