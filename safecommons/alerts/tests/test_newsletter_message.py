"""The issue as every channel carries it: plain text and accessible HTML email bodies, the short text and the
archive link, in English and in Spanish; and delivered through the outbox to a real SMTP server."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from safecommons.alerts.models import Delivery, Newsletter, SafetyTip, Topic, topic_mask
from safecommons.alerts.services.newsletters import (
    newsletter_approve,
    newsletter_message,
    newsletter_prepare,
)
from safecommons.alerts.services.outbox import delivery_send_batch_run, newsletter_fanout_run
from safecommons.alerts.tests.factories import ChannelFactory, SubscriptionFactory
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

WEEK = date(2026, 6, 1)


@pytest.fixture
def issue(agency, people, settings):
    settings.SITE_URL = "https://safety.example"
    area = AreaFactory(agency=agency, name="Oak Hill")
    for i in range(6):
        CrimeRecordFactory(agency=agency, neighborhood=area, nibrs_code="23C",
                           occurred_at=datetime(2026, 6, 2, 9 + i, tzinfo=TZ))
    SafetyTip.objects.create(agency=agency, language="en", title="Lock your car", body="Take valuables with you.")
    SafetyTip.objects.create(agency=agency, language="es", title="Cierre su auto", body="Lleve sus objetos de valor.")
    with time_machine.travel(datetime(2026, 6, 10, 12, tzinfo=TZ), tick=False):
        return newsletter_prepare(actor=actor_for_user(people[Role.LIAISON]), area=area, period="weekly",
                                  period_start=WEEK)


def test_the_english_email_has_a_subject_text_html_with_a_real_table_and_the_archive_link(issue):
    message = newsletter_message(issue, "en")
    assert message.subject == "Oak Hill: the week of June 1, 2026"
    assert "Larceny / theft: 6" in message.text and "Lock your car" in message.text
    assert message.url == f"https://safety.example/alerts/newsletters/{issue.pk}/"
    assert message.url in message.text and message.url in message.html
    html = message.html
    assert '<html lang="en">' in html and "<caption" in html and '<th scope="col"' in html
    assert '<th scope="row"' in html and "<img" not in html and "<script" not in html
    assert "Larceny / theft" in html and "Take valuables with you." in html


def test_the_spanish_email_is_in_spanish_with_the_spanish_tip(issue):
    message = newsletter_message(issue, "es")
    assert '<html lang="es">' in message.html
    assert "Cierre su auto" in message.text and "Lock your car" not in message.text
    assert "junio" in message.subject  # the date in Spanish
    with translation.override("en"):
        assert newsletter_message(issue, "en").subject.endswith("June 1, 2026")


def test_the_short_text_fits_an_sms_with_the_link(issue):
    for language in ("en", "es"):
        short = newsletter_message(issue, language).short
        assert len(short) <= 280 and short.endswith(f"/alerts/newsletters/{issue.pk}/")
        assert "6" in short


def test_a_long_area_name_still_gives_a_short_text_of_at_most_280_characters(issue):
    issue.content["area"]["name"] = "Very long neighborhood name " * 12
    assert len(newsletter_message(issue, "en").short) <= 280


def test_the_sent_issue_reaches_a_subscriber_by_real_smtp_in_their_language(issue, agency, people, smtp_server):
    reader = SubscriptionFactory(agency=agency, language="es", topics=[Topic.NEWSLETTER.value],
                                 topic_mask=topic_mask([Topic.NEWSLETTER.value]), cell=None, radius_m=None)
    reader.areas.add(issue.area)
    ChannelFactory(subscription=reader, address="lectora@mail.example")
    newsletter_approve(actor=actor_for_user(people[Role.SUPERVISOR]), newsletter=issue)
    newsletter_fanout_run(newsletter_id=issue.pk)
    ids = list(Delivery.objects.filter(newsletter=issue).values_list("pk", flat=True))
    delivery_send_batch_run(delivery_ids=ids)
    [mail] = smtp_server.to("lectora@mail.example")
    assert "junio" in mail["Subject"] and "Oak Hill" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Cierre su auto" in text and "<caption" in html
    assert Newsletter.objects.get(pk=issue.pk).state == Newsletter.State.SENT
    assert Delivery.objects.get(pk=ids[0]).status == Delivery.Status.DELIVERED
    assert issue.period_end - issue.period_start == timedelta(days=6)
