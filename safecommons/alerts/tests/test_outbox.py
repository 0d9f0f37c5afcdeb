"""The outbox end to end on a real SMTP server: fan-out, the email itself in both languages, retries with
backoff, quiet hours, skipped deliveries and idempotent fan-out."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from safecommons.alerts import links
from safecommons.alerts.models import Alert, AlertInfo, Channel, Delivery, Severity, Subscription
from safecommons.alerts.services.channels import message_id
from safecommons.alerts.services.outbox import (
    alert_fanout_queue,
    alert_fanout_run,
    deliveries_sweep,
    delivery_send_batch_run,
    quiet_hours_end,
)
from safecommons.alerts.tests.factories import AlertFactory, ChannelFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

FAR = {"lat": 44.95, "lon": -93.295}


def published(agency, **kwargs) -> Alert:
    return AlertFactory(agency=agency, state=Alert.State.PUBLISHED, sent_at=timezone.now(), **kwargs)


def subscriber(agency, address: str, *, language: str = "en", channel=Channel.EMAIL, **kwargs):
    subscription = SubscriptionFactory(agency=agency, language=language, **kwargs)
    return ChannelFactory(subscription=subscription, channel=channel, address=address)


def send_all(alert: Alert):
    ids = list(Delivery.objects.filter(alert=alert).values_list("id", flat=True))
    return delivery_send_batch_run(delivery_ids=ids)


def test_publishing_queues_the_fan_out_with_the_transaction(agency):
    from django_tasks_db.models import DBTaskResult

    alert = published(agency)
    alert_fanout_queue(alert=alert)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "safecommons.alerts.tasks.alert_fanout"
    assert queued.args_kwargs["args"] == [alert.pk]


def test_an_english_subscriber_gets_the_alert_with_one_click_unsubscribe_headers(agency, smtp_server, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)  # the signed links carry the time
    target = subscriber(agency, "ann@mail.example")
    alert = published(agency)
    assert alert_fanout_run(alert_id=alert.pk) == 1
    alert.refresh_from_db()
    assert (alert.fanout, alert.matched) == (Alert.Fanout.DONE, 1)
    assert send_all(alert).as_dict()["delivered"] == 1
    [mail] = smtp_server.to("ann@mail.example")
    delivery = Delivery.objects.get()
    assert mail["Subject"] == "Garage break-ins near Oak Street"
    assert mail["List-Unsubscribe"].strip() == f"<{links.unsubscribe_url(target)}>"  # long: folded
    assert mail["List-Unsubscribe"].strip().startswith("<http")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Message-ID"] == message_id(delivery)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Three garages were broken into overnight." in text
    assert "Lock garage doors" in html
    assert links.manage_url(target.subscription) in text
    assert links.manage_url(target.subscription).replace("&", "&amp;") in html
    assert f"/alerts/{alert.identifier}/" in text
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DELIVERED, 1)


def test_a_spanish_subscriber_gets_the_spanish_words(agency, smtp_server):
    subscriber(agency, "bea@mail.example", language="es")
    subscriber(agency, "carl@mail.example")
    alert = published(agency)
    AlertInfo.objects.create(alert=alert, language="es", headline="Robos en garajes cerca de Oak Street",
                             description="Entraron a tres garajes durante la noche.",
                             instruction="Cierre con llave la puerta del garaje.")
    alert_fanout_run(alert_id=alert.pk)
    send_all(alert)
    [spanish] = smtp_server.to("bea@mail.example")
    [english] = smtp_server.to("carl@mail.example")
    assert spanish["Subject"] == "Robos en garajes cerca de Oak Street"
    assert "Entraron a tres garajes" in spanish.get_body(("plain",)).get_content()
    assert "Three garages" not in spanish.get_body(("plain",)).get_content()
    assert english["Subject"] == "Garage break-ins near Oak Street"
    assert spanish["Message-ID"] != english["Message-ID"]


def test_outside_the_area_or_of_another_topic_gets_nothing(agency, smtp_server):
    subscriber(agency, "far@mail.example", **FAR)
    subscriber(agency, "traffic@mail.example", topics=["traffic"])
    near = subscriber(agency, "near@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    send_all(alert)
    assert Delivery.objects.get().target == near
    assert [r for rs in smtp_server.recipients for r in rs] == ["near@mail.example"]


def test_a_drill_reaches_only_the_test_list_and_says_so(agency, smtp_server):
    subscriber(agency, "public@mail.example")
    subscriber(agency, "tester@mail.example", test_list=True)
    alert = published(agency, cap_status=Alert.CapStatus.EXERCISE)
    alert_fanout_run(alert_id=alert.pk)
    send_all(alert)
    assert smtp_server.to("public@mail.example") == []
    [mail] = smtp_server.to("tester@mail.example")
    assert mail["Subject"].startswith("DRILL — ")


def test_unconfirmed_inactive_and_ended_channels_get_no_delivery(agency):
    subscriber(agency, "ok@mail.example")
    ChannelFactory(subscription=SubscriptionFactory(agency=agency), address="new@mail.example", confirmed_at=None)
    ChannelFactory(subscription=SubscriptionFactory(agency=agency), address="off@mail.example", active=False)
    alert = published(agency)
    assert alert_fanout_run(alert_id=alert.pk) == 1


def test_fan_out_twice_writes_one_delivery_per_channel(agency):
    target = subscriber(agency, "ann@mail.example")
    ChannelFactory(subscription=target.subscription, channel=Channel.SMS, address="+15550100")
    alert = published(agency)
    assert alert_fanout_run(alert_id=alert.pk) == 2
    assert alert_fanout_run(alert_id=alert.pk) == 2  # the same pending rows queued again, none added
    assert Delivery.objects.filter(alert=alert).count() == 2
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["email", "sms"]


def test_a_draft_alert_is_not_fanned_out(agency):
    subscriber(agency, "ann@mail.example")
    alert = AlertFactory(agency=agency)
    assert alert_fanout_run(alert_id=alert.pk) == 0
    assert not Delivery.objects.exists()


def test_a_refusing_mail_server_is_tried_again_with_backoff(agency, smtp_server, settings, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)
    settings.ALERT_RETRY_SECONDS, settings.ALERT_MAX_ATTEMPTS = 30, 3
    accept = smtp_server.handle_DATA
    refusals = []

    async def refuse_twice(server, session, envelope):
        if len(refusals) < 2:
            refusals.append(envelope)
            return "451 4.3.0 Try again later"
        return await accept(server, session, envelope)

    smtp_server.handle_DATA = refuse_twice
    subscriber(agency, "ann@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["retrying"] == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert "451" in delivery.last_error
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=30) <= first_wait <= timedelta(seconds=33)
    assert send_all(alert).as_dict()["not_claimed"] == 1  # not due yet
    time_machine.shift(first_wait)
    send_all(alert)
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=60) <= second_wait <= timedelta(seconds=66)
    time_machine.shift(second_wait)
    assert send_all(alert).as_dict()["delivered"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.DELIVERED, 3, "")
    assert len(smtp_server.to("ann@mail.example")) == 1


def test_a_delivery_fails_for_good_after_the_last_attempt(agency, smtp_server, settings, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)
    settings.ALERT_MAX_ATTEMPTS = 2

    async def refuse(server, session, envelope):
        return "554 5.7.1 Rejected"

    smtp_server.handle_DATA = refuse
    subscriber(agency, "ann@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    send_all(alert)
    time_machine.shift(timedelta(minutes=5))
    assert send_all(alert).as_dict()["failed"] == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Delivery.Status.FAILED, 2, None)


def test_quiet_hours_end_in_the_subscriber_time_zone():
    subscription = Subscription(quiet_start=time(22), quiet_end=time(7), time_zone="America/Chicago")
    evening = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 22:30 in Chicago
    assert quiet_hours_end(subscription, evening) == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    early = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # 05:00
    assert quiet_hours_end(subscription, early) == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert quiet_hours_end(subscription, datetime(2026, 12, 2, 18, 0, tzinfo=UTC)) is None
    daytime = Subscription(quiet_start=time(9), quiet_end=time(17), time_zone="UTC")
    assert quiet_hours_end(daytime, datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) == datetime(2026, 12, 2, 17, tzinfo=UTC)


def test_quiet_hours_defer_an_sms_but_a_severe_alert_goes_through(agency, settings, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 4, 30, tzinfo=UTC), tick=False)  # 22:30 in Chicago
    settings.SMS_BACKEND = "console"
    quiet = dict(quiet_start=time(22), quiet_end=time(7), time_zone="America/Chicago")
    subscriber(agency, "+15550100", channel=Channel.SMS, **quiet)
    moderate = published(agency)
    alert_fanout_run(alert_id=moderate.pk)
    assert send_all(moderate).as_dict()["deferred"] == 1
    delivery = Delivery.objects.get(alert=moderate)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)
    assert delivery.next_attempt_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    severe = published(agency, severity=Severity.SEVERE)
    alert_fanout_run(alert_id=severe.pk)
    assert send_all(severe).as_dict()["delivered"] == 1
    time_machine.move_to(datetime(2026, 12, 2, 13, 1, tzinfo=UTC), tick=False)
    assert send_all(moderate).as_dict()["delivered"] == 1


def test_quiet_hours_do_not_hold_back_email(agency, smtp_server, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 4, 30, tzinfo=UTC), tick=False)
    subscriber(agency, "ann@mail.example", quiet_start=time(22), quiet_end=time(7), time_zone="America/Chicago")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["delivered"] == 1


def test_an_expired_or_cancelled_alert_is_skipped(agency, smtp_server):
    subscriber(agency, "ann@mail.example")
    expired = published(agency, expires=timezone.now() - timedelta(minutes=1))
    cancelled = published(agency)
    for alert in (expired, cancelled):
        alert_fanout_run(alert_id=alert.pk)
    published(agency, msg_type=Alert.MsgType.CANCEL, references=cancelled)
    assert send_all(expired).as_dict()["skipped"] == 1
    assert send_all(cancelled).as_dict()["skipped"] == 1
    assert smtp_server.messages == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SKIPPED}
    assert "cancelled" in Delivery.objects.get(alert=cancelled).last_error


def test_an_unsubscribe_after_fan_out_skips_the_delivery(agency, smtp_server):
    target = subscriber(agency, "ann@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    Subscription.objects.filter(pk=target.subscription_id).update(status=Subscription.Status.ENDED)
    assert send_all(alert).as_dict()["skipped"] == 1
    assert smtp_server.messages == []


def test_a_row_held_by_a_live_lease_is_not_taken_but_a_lapsed_one_is(agency, smtp_server, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)
    subscriber(agency, "ann@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    lease = timezone.now() + timedelta(seconds=120)
    Delivery.objects.update(status=Delivery.Status.SENDING, lease_until=lease, attempts=1)
    assert send_all(alert).as_dict()["not_claimed"] == 1
    time_machine.shift(timedelta(seconds=121))
    assert send_all(alert).as_dict()["delivered"] == 1
    assert Delivery.objects.get().attempts == 2


def test_the_sweep_queues_lapsed_leases_lost_tasks_and_unfinished_fan_outs(agency, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)
    from django_tasks_db.models import DBTaskResult

    subscriber(agency, "ann@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    stalled = published(agency)
    Delivery.objects.update(status=Delivery.Status.SENDING, lease_until=timezone.now() + timedelta(seconds=120))
    DBTaskResult.objects.all().delete()
    assert deliveries_sweep() == {"fanouts": 0, "deliveries": 0}
    time_machine.shift(timedelta(minutes=5))
    assert deliveries_sweep() == {"fanouts": 1, "deliveries": 1}
    paths = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == ["safecommons.alerts.tasks.alert_fanout", "safecommons.alerts.tasks.delivery_send_batch"]
    assert stalled.pk in DBTaskResult.objects.get(task_path__endswith="alert_fanout").args_kwargs["args"]


def test_an_approved_newsletter_reaches_its_area_by_email_and_is_marked_sent(agency, people, smtp_server,
                                                                             time_machine):
    from datetime import date

    from safecommons.alerts.models import Newsletter, Topic
    from safecommons.alerts.services.newsletters import newsletter_prepare
    from safecommons.alerts.services.outbox import newsletter_fanout_run
    from safecommons.core.permissions import actor_for_user
    from safecommons.core.roles import Role
    from safecommons.places.tests.factories import AreaFactory

    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)  # the signed links carry the time
    area = AreaFactory(agency=agency, lon=-93.30, lat=44.90)
    reader = subscriber(agency, "reader@mail.example", topics=[Topic.NEWSLETTER])
    subscriber(agency, "crime-only@mail.example")
    newsletter = newsletter_prepare(actor=actor_for_user(people[Role.LIAISON]), area=area, period="weekly",
                                    period_start=date(2026, 11, 23), today=date(2026, 12, 1))
    Newsletter.objects.filter(pk=newsletter.pk).update(state=Newsletter.State.APPROVED)
    assert newsletter_fanout_run(newsletter_id=newsletter.pk) == 1
    newsletter.refresh_from_db()
    assert newsletter.state == Newsletter.State.SENT and newsletter.sent_at is not None
    ids = list(Delivery.objects.filter(newsletter=newsletter).values_list("id", flat=True))
    assert delivery_send_batch_run(delivery_ids=ids).as_dict()["delivered"] == 1
    [mail] = smtp_server.to("reader@mail.example")
    assert mail["List-Unsubscribe"].strip() == f"<{links.unsubscribe_url(reader)}>"
    assert mail["Message-ID"].startswith("<newsletter-delivery-")
    assert smtp_server.to("crime-only@mail.example") == []


def test_a_row_is_claimed_by_one_worker_only(agency):
    from safecommons.alerts.services.outbox import delivery_claim

    subscriber(agency, "ann@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert delivery_claim(delivery_id=delivery.pk, now=now) is not None
    assert delivery_claim(delivery_id=delivery.pk, now=now) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENDING, 1)


def test_the_sweep_runs_every_minute_on_the_schedule():
    from safecommons.core.schedule import SCHEDULE

    assert SCHEDULE["alerts.deliveries_sweep"] == ("safecommons.alerts.tasks.deliveries_sweep", timedelta(minutes=1))


def test_the_database_holds_a_drill_to_the_test_list_even_if_the_index_is_stale(agency):
    from unittest import mock

    import numpy as np

    public = subscriber(agency, "public@mail.example")
    tester = subscriber(agency, "tester@mail.example", test_list=True)
    drill = published(agency, cap_status=Alert.CapStatus.TEST)
    stale = np.array(sorted([public.subscription_id, tester.subscription_id]))
    with mock.patch("safecommons.alerts.matching.alert_matches", return_value=stale):
        assert alert_fanout_run(alert_id=drill.pk) == 1
    assert Delivery.objects.get().target == tester


def test_an_update_reaches_everyone_who_heard_the_original_even_when_its_area_moved(agency):
    near = subscriber(agency, "near@mail.example")  # at the factory's default place, inside the original
    original = published(agency)
    alert_fanout_run(alert_id=original.pk)
    send_all(original)
    moved = published(agency, references=original, msg_type=Alert.MsgType.UPDATE, lat=44.99, lon=-93.10)
    far_from_update = subscriber(agency, "new@mail.example", lat=44.99, lon=-93.10)
    alert_fanout_run(alert_id=moved.pk)
    reached = set(Delivery.objects.filter(alert=moved).values_list("target_id", flat=True))
    assert reached == {near.pk, far_from_update.pk}


def test_a_drill_reaches_an_address_put_on_the_test_list_by_the_service(agency, people, smtp_server):
    from safecommons.alerts.services import subscriptions as subscription_services
    from safecommons.core.permissions import actor_for_user
    from safecommons.core.roles import Role

    subscriber(agency, "public@mail.example")
    subscription_services.test_list_add(actor=actor_for_user(people[Role.AGENCY_ADMIN]), agency=agency,
                                        email="drill@pd.example")  # no place, no areas: the test list is all
    for scope in (Alert.Scope.PUBLIC, Alert.Scope.RESTRICTED):
        drill = published(agency, cap_status=Alert.CapStatus.EXERCISE, scope=scope)
        assert alert_fanout_run(alert_id=drill.pk) == 1
        assert send_all(drill).as_dict()["delivered"] == 1
    assert len(smtp_server.to("drill@pd.example")) == 2
    assert smtp_server.to("public@mail.example") == []


def test_a_follow_up_of_an_extreme_alert_goes_through_quiet_hours_as_the_original_did(agency, settings,
                                                                                        time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 4, 30, tzinfo=UTC), tick=False)  # 22:30 in Chicago
    settings.SMS_BACKEND = "console"
    subscriber(agency, "+15550100", channel=Channel.SMS, quiet_start=time(22), quiet_end=time(7),
               time_zone="America/Chicago")
    original = published(agency, severity=Severity.EXTREME)
    alert_fanout_run(alert_id=original.pk)
    assert send_all(original).as_dict()["delivered"] == 1
    update = published(agency, references=original, msg_type=Alert.MsgType.UPDATE, severity=Severity.MINOR)
    alert_fanout_run(alert_id=update.pk)
    assert send_all(update).as_dict()["delivered"] == 1
    cancel = published(agency, references=update, msg_type=Alert.MsgType.CANCEL, severity=Severity.MINOR)
    alert_fanout_run(alert_id=cancel.pk)
    assert send_all(cancel).as_dict()["delivered"] == 1
    unrelated = published(agency, severity=Severity.MINOR)  # no severe message in its chain: it waits
    alert_fanout_run(alert_id=unrelated.pk)
    assert send_all(unrelated).as_dict()["deferred"] == 1


def test_a_pending_delivery_of_an_alert_superseded_by_an_update_is_skipped(agency, smtp_server):
    subscriber(agency, "ann@mail.example")
    original = published(agency)
    alert_fanout_run(alert_id=original.pk)
    AlertFactory(agency=agency, msg_type=Alert.MsgType.UPDATE, references=original)  # a draft: changes nothing yet
    assert send_all(original).as_dict()["delivered"] == 1
    second = published(agency)
    alert_fanout_run(alert_id=second.pk)
    published(agency, msg_type=Alert.MsgType.UPDATE, references=second)
    assert send_all(second).as_dict()["skipped"] == 1
    assert len(smtp_server.messages) == 1
    assert "superseded by an update" in Delivery.objects.get(alert=second).last_error


def test_a_restricted_alert_reaches_only_organisations_in_an_agreement_in_force_with_the_agency(
        agency, partner, smtp_server):
    from safecommons.partners.models import Agreement
    from safecommons.partners.tests.factories import OrganisationFactory, agreement_between

    agreement_between(agency, partner)
    lapsed = OrganisationFactory()
    agreement_between(agency, lapsed, effective_from=timezone.localdate() - timedelta(days=60),
                      expires_on=timezone.localdate() - timedelta(days=1))
    terminated_later = OrganisationFactory()
    later = agreement_between(agency, terminated_later)
    subscriber(agency, "partner@mail.example", organisation=partner)
    subscriber(agency, "stranger@mail.example", organisation=OrganisationFactory())
    subscriber(agency, "lapsed@mail.example", organisation=lapsed)
    subscriber(agency, "later@mail.example", organisation=terminated_later)
    subscriber(agency, "public@mail.example")
    alert = published(agency, scope=Alert.Scope.RESTRICTED)
    assert alert_fanout_run(alert_id=alert.pk) == 2
    alert.refresh_from_db()
    assert alert.matched == 2
    Agreement.objects.filter(pk=later.pk).update(status=Agreement.Status.TERMINATED)  # between fan-out and send
    assert send_all(alert).as_dict() == {"delivered": 1, "retrying": 0, "failed": 0, "skipped": 1,
                                         "deferred": 0, "not_claimed": 0}
    assert [r for rs in smtp_server.recipients for r in rs] == ["partner@mail.example"]
    assert "agreement" in Delivery.objects.get(status=Delivery.Status.SKIPPED).last_error


def test_a_row_that_used_up_its_attempts_is_failed_when_claimed_not_sent_again(agency, smtp_server, settings):
    settings.ALERT_MAX_ATTEMPTS = 3
    subscriber(agency, "ann@mail.example")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    # The worker died while sending its last attempt: the lease lapsed and the sweep hands the row out again.
    Delivery.objects.update(status=Delivery.Status.SENDING, attempts=3,
                            lease_until=timezone.now() - timedelta(seconds=1))
    assert deliveries_sweep()["deliveries"] == 1
    assert send_all(alert).as_dict()["failed"] == 1
    assert smtp_server.messages == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 3)
    assert delivery.last_error == "gave up after 3 attempts"
    assert deliveries_sweep()["deliveries"] == 0


def test_the_mail_server_timeout_is_set_below_the_lease_and_a_stalled_server_is_tried_again(agency, settings):
    import socket
    import time as clock

    from django.conf import settings as configured

    assert configured.EMAIL_TIMEOUT is not None
    assert 0 < configured.EMAIL_TIMEOUT < configured.ALERT_LEASE_SECONDS
    with socket.socket() as silent:  # accepts the connection, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
        settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 1
        subscriber(agency, "ann@mail.example")
        alert = published(agency)
        alert_fanout_run(alert_id=alert.pk)
        started = clock.monotonic()
        assert send_all(alert).as_dict()["retrying"] == 1
        assert clock.monotonic() - started < 10
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_a_drills_messages_carry_no_link_to_a_page_the_public_never_sees(agency):
    from safecommons.alerts.messages import alert_message

    message = alert_message(published(agency, cap_status=Alert.CapStatus.EXERCISE), "en")
    assert message.url == "" and "/alerts/" not in message.text and "/alerts/" not in message.short
    assert message.subject.startswith("DRILL")
