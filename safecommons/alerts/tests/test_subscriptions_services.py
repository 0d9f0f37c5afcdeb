"""Subscription services: create, confirm, change, revoke links, unsubscribe (with the fatigue signal), the
test list, the purge of unconfirmed requests, and what is (not) stored of an address."""

import re
from datetime import time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from safecommons.alerts import links
from safecommons.alerts.models import Channel, Delivery, OptOut, Subscription, SubscriptionChannel, Topic
from safecommons.alerts.services import subscriptions as services
from safecommons.alerts.services.subscriptions import PushSubscriptionData, SubscriptionInput
from safecommons.alerts.tests.factories import AlertFactory, ChannelFactory, SubscriptionFactory, cell_at
from safecommons.core.errors import Refused
from safecommons.core.permissions import ANONYMOUS, actor_for_user
from safecommons.core.roles import Role
from safecommons.places.models import AddressPoint, AreaKind
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

HOME_LAT, HOME_LON = 44.90512, -93.29537


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def token_in(text: str, kind: str) -> str:
    """The token of the first /alerts/<kind>/<token>/ link in a message."""
    return re.search(rf"/alerts/{kind}/([^/\s]+)/", text).group(1)


def resident_input(**changes) -> SubscriptionInput:
    values = {"topics": [Topic.CRIME, Topic.EMERGENCY], "latitude": HOME_LAT, "longitude": HOME_LON,
              "radius_m": 500, "email": "ana@mail.example"}
    values.update(changes)
    return SubscriptionInput(**values)


def create(agency, **changes):
    return services.subscription_create(actor=ANONYMOUS, data=resident_input(**changes)).subscription


def test_an_email_subscription_waits_for_confirmation_and_keeps_only_the_cell(agency, mailoutbox,
                                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscription = create(agency)
    assert subscription.status == Subscription.Status.PENDING
    assert subscription.agency == agency
    assert subscription.cell == cell_at(HOME_LAT, HOME_LON)
    assert subscription.radius_m == 500
    assert subscription.topic_mask and subscription.topics == [Topic.CRIME, Topic.EMERGENCY]
    email = subscription.channels.get()
    assert email.channel == Channel.EMAIL and email.confirmed_at is None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ana@mail.example"]
    assert links.confirm_target(token_in(mailoutbox[0].body, "confirm")) == email


def test_no_address_or_coordinates_are_stored_anywhere_in_the_subscription_rows(agency):
    AddressPoint.objects.create(number="1234", street="Oak St", street_key="oak st", longitude=HOME_LON,
                                latitude=HOME_LAT)
    from safecommons.places import selectors as place_selectors

    located, _ = place_selectors.address_locate(text="1234 Oak St")
    subscription = create(agency, latitude=located.latitude, longitude=located.longitude)
    rows = []
    with connection.cursor() as cursor:
        for table in (Subscription._meta.db_table, SubscriptionChannel._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (table names from our models)
            rows += [" ".join(str(value) for value in row) for row in cursor.fetchall()]
    text = " ".join(rows).upper()
    assert "OAK" not in text and "1234" not in text
    assert f"{HOME_LAT:.3f}" not in text and f"{HOME_LON:.3f}" not in text
    assert str(HOME_LAT)[:6] not in text and str(HOME_LON)[:7] not in text
    field_names = {f.name for f in Subscription._meta.get_fields()}
    assert not field_names & {"address", "latitude", "longitude", "lat", "lon", "location", "point"}
    assert subscription.cell == cell_at(HOME_LAT, HOME_LON)


def test_confirming_activates_the_subscription_and_is_idempotent(agency):
    subscription = create(agency)
    channel = subscription.channels.get()
    services.subscription_confirm(channel=channel)
    services.subscription_confirm(channel=channel)
    subscription.refresh_from_db()
    channel.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE and subscription.confirmed_at is not None
    assert channel.confirmed_at is not None


def test_push_starts_at_once_while_the_email_and_the_phone_wait_for_their_links(agency):
    push = PushSubscriptionData(endpoint="https://push.example/abc", p256dh="key", auth="secret")
    subscription = create(agency, push=push, phone="+1 (612) 555-0123")
    assert subscription.status == Subscription.Status.ACTIVE
    channels = {c.channel: c for c in subscription.channels.all()}
    assert channels[Channel.SMS].address == "+16125550123" and channels[Channel.SMS].confirmed_at is None
    assert channels[Channel.WEB_PUSH].push_keys == {"p256dh": "key", "auth": "secret"}
    assert channels[Channel.EMAIL].confirmed_at is None


@pytest.mark.parametrize("phone", ["612 555 0123", "+0123456789", "+1 555", "call me"])
def test_a_phone_number_without_country_code_or_malformed_is_refused(agency, phone):
    with pytest.raises(Refused, match="country code"):
        create(agency, email=None, phone=phone)


def test_a_subscription_needs_a_place_a_topic_and_a_channel(agency):
    with pytest.raises(Refused, match="Choose a place"):
        create(agency, latitude=None, longitude=None)
    with pytest.raises(Refused, match="topic"):
        create(agency, topics=[])
    with pytest.raises(Refused, match="at least one way"):
        create(agency, email=None)
    with pytest.raises(Refused, match="distance"):
        create(agency, radius_m=123)
    assert not Subscription.objects.exists()


def test_named_areas_alone_are_a_place_and_give_the_agency(agency):
    neighborhood = AreaFactory(agency=agency, kind=AreaKind.NEIGHBORHOOD)
    subscription = create(agency, latitude=None, longitude=None, radius_m=None, area_ids=[neighborhood.pk])
    assert subscription.cell is None and list(subscription.areas.all()) == [neighborhood]


def test_a_jurisdiction_decides_the_agency_when_there_are_several(agency):
    from safecommons.partners.tests.factories import OrganisationFactory

    other = OrganisationFactory(kind="agency", name="Other PD")
    AreaFactory(agency=other, kind=AreaKind.JURISDICTION, lon=-93.4, lat=44.8, size=0.5)
    subscription = create(agency)
    assert subscription.agency == other


def test_webhooks_are_for_partner_organisations_and_their_secret_is_given_once(agency, partner, people):
    admin = actor_for_user(people[Role.PARTNER_ADMIN])
    with pytest.raises(Refused, match="partner organisations"):
        services.subscription_create(actor=admin, user=people[Role.PARTNER_ADMIN],
                                     data=resident_input(email=None, webhook_url="https://hooks.acme.example/in"))
    created = services.subscription_create(actor=admin, organisation=partner, data=resident_input(
        email=None, webhook_url="https://hooks.acme.example/in"))
    hook = created.subscription.channels.get()
    assert created.webhook_secret and hook.secret == created.webhook_secret
    assert created.subscription.organisation == partner and created.subscription.user is None
    member = actor_for_user(people[Role.PARTNER_MEMBER])
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=member, organisation=partner,
                                     data=resident_input(email=None, webhook_url="https://hooks.acme.example/in"))


@pytest.mark.parametrize("url", ["http://hooks.example/in", "https://127.0.0.1/in", "https://localhost/x",
                                 "https://[::1]/x"])
def test_a_webhook_must_be_https_to_a_named_host(url):
    with pytest.raises(Refused):
        services.webhook_url_check(url)


def test_changing_place_topics_language_quiet_hours_and_email(agency, mailoutbox, django_capture_on_commit_callbacks):
    subscription = create(agency)
    services.subscription_confirm(channel=subscription.channels.get())
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_update(subscription=subscription, data=resident_input(
            topics=[Topic.TRAFFIC], latitude=44.95, longitude=-93.2, radius_m=2000, language="es",
            quiet_start=time(22), quiet_end=time(7), time_zone="America/Chicago", email="new@mail.example"))
    subscription.refresh_from_db()
    assert subscription.cell == cell_at(44.95, -93.2) and subscription.radius_m == 2000
    assert subscription.topics == [Topic.TRAFFIC] and subscription.language == "es"
    assert (subscription.quiet_start, subscription.quiet_end) == (time(22), time(7))
    email = subscription.channels.get(channel=Channel.EMAIL)
    assert email.address == "new@mail.example" and email.confirmed_at is None  # confirmed again first
    assert subscription.status == Subscription.Status.PENDING
    assert [m.to for m in mailoutbox] == [["new@mail.example"]]


def test_quiet_hours_need_both_ends(agency):
    with pytest.raises(Refused, match="both"):
        create(agency, quiet_start=time(22))


def test_rotating_the_key_revokes_every_old_link_and_mails_the_new_one(agency, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    subscription = SubscriptionFactory(agency=agency)
    channel = ChannelFactory(subscription=subscription)
    old_manage, old_unsubscribe = links.manage_url(subscription), links.unsubscribe_url(channel)
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_links_rotate(subscription=subscription)
    subscription.refresh_from_db()
    for old in (old_manage, old_unsubscribe):
        with pytest.raises(links.BadLink):
            (links.manage_target if "manage" in old else links.unsubscribe_target)(old.rstrip("/").rsplit("/", 1)[1])
    assert links.manage_target(links.manage_url(subscription).rstrip("/").rsplit("/", 1)[1]) == subscription
    assert len(mailoutbox) == 1 and links.manage_target(token_in(mailoutbox[0].body, "manage")) == subscription


def test_unsubscribing_a_channel_records_the_last_alert_delivered_and_is_idempotent(agency):
    subscription = SubscriptionFactory(agency=agency)
    email = ChannelFactory(subscription=subscription)
    sms = ChannelFactory(subscription=subscription, channel=Channel.SMS, address="+16125550123")
    older, newer, failed = AlertFactory(agency=agency), AlertFactory(agency=agency), AlertFactory(agency=agency)
    now = timezone.now()
    Delivery.objects.create(alert=older, target=email, channel=Channel.EMAIL, status=Delivery.Status.DELIVERED,
                            delivered_at=now - timedelta(hours=2))
    Delivery.objects.create(alert=newer, target=sms, channel=Channel.SMS, status=Delivery.Status.DELIVERED,
                            delivered_at=now - timedelta(hours=1))
    Delivery.objects.create(alert=failed, target=email, channel=Channel.EMAIL, status=Delivery.Status.FAILED)

    services.subscription_unsubscribe(target=email, one_click=True)
    services.subscription_unsubscribe(target=email, one_click=True)

    email.refresh_from_db()
    subscription.refresh_from_db()
    assert not email.active and subscription.status == Subscription.Status.ACTIVE  # the SMS stays on
    opt_out = OptOut.objects.get()
    assert (opt_out.after_alert, opt_out.channel, opt_out.one_click) == (newer, Channel.EMAIL, True)

    services.subscription_unsubscribe(target=sms, one_click=False)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ENDED and subscription.ended_at is not None
    assert OptOut.objects.count() == 2


def test_ending_the_whole_subscription_records_one_opt_out(agency):
    subscription = SubscriptionFactory(agency=agency)
    ChannelFactory(subscription=subscription)
    services.subscription_unsubscribe(target=subscription, one_click=False)
    services.subscription_unsubscribe(target=subscription, one_click=False)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ENDED
    assert not subscription.channels.filter(active=True).exists()
    opt_out = OptOut.objects.get()
    assert opt_out.channel == "" and opt_out.after_alert is None


def test_an_ended_subscription_cannot_be_confirmed_by_an_old_link(agency):
    subscription = create(agency)
    channel = subscription.channels.get()
    services.subscription_unsubscribe(target=subscription, one_click=False)
    with pytest.raises(Refused, match="ended"):
        services.subscription_confirm(channel=channel)


def test_the_test_list_is_kept_by_agency_admins_only(agency, people):
    admin = actor_for_user(people[Role.AGENCY_ADMIN])
    subscription = services.test_list_add(actor=admin, agency=agency, email="Drill@PD.example", label="Sgt Lee")
    assert subscription.test_list and subscription.status == Subscription.Status.ACTIVE
    assert subscription.channels.get().confirmed_at is not None
    assert subscription.channels.get().address == "drill@pd.example"
    with pytest.raises(Refused, match="already"):
        services.test_list_add(actor=admin, agency=agency, email="drill@pd.example")
    for role in (Role.SUPERVISOR, Role.RESIDENT, Role.PARTNER_ADMIN):
        with pytest.raises(PermissionDenied):
            services.test_list_add(actor=actor_for_user(people[role]), agency=agency, email="x@pd.example")
        with pytest.raises(PermissionDenied):
            services.test_list_remove(actor=actor_for_user(people[role]), subscription=subscription)
    services.test_list_remove(actor=admin, subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ENDED


def test_unconfirmed_subscriptions_older_than_a_week_are_purged(agency):
    old = create(agency)
    Subscription.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    recent = create(agency, email="recent@mail.example")
    confirmed = SubscriptionFactory(agency=agency)
    Subscription.objects.filter(pk=confirmed.pk).update(created_at=timezone.now() - timedelta(days=30))
    was_active = SubscriptionFactory(agency=agency, status=Subscription.Status.PENDING)  # awaiting a new address
    Subscription.objects.filter(pk=was_active.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert services.subscriptions_purge_pending() == 1
    assert set(Subscription.objects.values_list("pk", flat=True)) == {recent.pk, confirmed.pk, was_active.pk}


class TextsSent:
    """An SMS provider that keeps what it was given (SMS_BACKEND may name any class like this)."""

    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str, idempotency_key: str) -> None:
        TextsSent.sent.append((to, text))


def test_a_phone_number_gets_only_a_confirmation_link_until_it_is_followed(agency, settings,
                                                                           django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = f"{__name__}.TextsSent"
    TextsSent.sent = []
    with django_capture_on_commit_callbacks(execute=True):
        subscription = create(agency, email=None, phone="+1 612 555 0123")
    assert subscription.status == Subscription.Status.PENDING
    [(to, text)] = TextsSent.sent
    assert to == "+16125550123"
    [link] = re.findall(r"https?://\S+/alerts/confirm/\S+/", text)
    token = link.rstrip("/").rsplit("/", 1)[1]
    services.subscription_confirm(channel=links.confirm_target(token))
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_a_confirmation_link_sent_to_one_address_does_not_confirm_the_address_that_replaced_it(agency):
    subscription = create(agency, email="mine@mail.example")
    old_link_token = links.confirm_url(subscription.channels.get(channel=Channel.EMAIL)).rstrip("/").rsplit("/", 1)[1]
    services.subscription_update(subscription=subscription, data=SubscriptionInput(
        topics=["crime"], email="stranger@mail.example", place_given=False))
    with pytest.raises(links.BadLink):
        links.confirm_target(old_link_token)
    fresh = links.confirm_url(subscription.channels.get(channel=Channel.EMAIL)).rstrip("/").rsplit("/", 1)[1]
    assert links.confirm_target(fresh).address == "stranger@mail.example"


def test_a_place_outside_the_agencys_jurisdiction_is_refused(agency):
    AreaFactory(agency=agency, kind=AreaKind.JURISDICTION, lon=-93.4, lat=44.8, size=0.3)
    assert create(agency, latitude=44.905, longitude=-93.295).agency == agency
    with pytest.raises(Refused, match="No police agency"):
        create(agency, latitude=10.0, longitude=10.0)


def test_an_opt_out_after_a_newsletter_is_not_blamed_on_the_alert_before_it(agency):
    from safecommons.alerts.models import Newsletter
    from safecommons.places.tests.factories import AreaFactory as Areas

    subscription = SubscriptionFactory(agency=agency)
    email = ChannelFactory(subscription=subscription)
    now = timezone.now()
    Delivery.objects.create(alert=AlertFactory(agency=agency), target=email, channel=Channel.EMAIL,
                            status=Delivery.Status.DELIVERED, delivered_at=now - timedelta(days=3))
    issue = Newsletter.objects.create(agency=agency, area=Areas(agency=agency), period=Newsletter.Period.WEEKLY,
                                      period_start=now.date() - timedelta(days=14),
                                      period_end=now.date() - timedelta(days=8), state=Newsletter.State.SENT)
    Delivery.objects.create(newsletter=issue, target=email, channel=Channel.EMAIL, status=Delivery.Status.DELIVERED,
                            delivered_at=now - timedelta(hours=1))
    services.subscription_unsubscribe(target=email, one_click=True)
    assert OptOut.objects.get().after_alert is None


def test_a_new_link_for_a_subscription_still_waiting_sends_a_new_confirmation(agency, smtp_server,
                                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscription = create(agency, email="late@mail.example")
    [first] = smtp_server.to("late@mail.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_links_rotate(subscription=subscription)
    [_, second] = smtp_server.to("late@mail.example")
    [link] = re.findall(r"https?://\S+/alerts/confirm/\S+/", second.get_body(preferencelist=("plain",)).get_content())
    channel = links.confirm_target(link.rstrip("/").rsplit("/", 1)[1])
    services.subscription_confirm(channel=channel)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
