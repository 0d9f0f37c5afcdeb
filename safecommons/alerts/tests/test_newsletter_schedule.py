"""The scheduled preparation: on a Monday the week just ended, on the 1st the month just ended, for the
neighborhoods with a newsletter subscriber only; running it again changes nothing."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.module_loading import import_string

from safecommons.alerts.models import Newsletter, Topic, topic_mask
from safecommons.alerts.services.newsletters import newsletters_prepare_scheduled
from safecommons.alerts.tasks import newsletters_prepare_due
from safecommons.alerts.tests.factories import SubscriptionFactory
from safecommons.core.schedule import SCHEDULE
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("America/Chicago")


@pytest.fixture
def neighborhoods(agency):
    read = AreaFactory(agency=agency, name="Oak Hill", lon=-93.30, lat=44.90)
    unread = AreaFactory(agency=agency, name="Elm Park", lon=-93.20, lat=44.90)
    named = SubscriptionFactory(agency=agency, topics=[Topic.NEWSLETTER.value],
                                topic_mask=topic_mask([Topic.NEWSLETTER.value]), cell=None, radius_m=None)
    named.areas.add(read)
    # Subscribed to crime alerts only, in Elm Park: no newsletter for it.
    SubscriptionFactory(agency=agency, lat=44.905, lon=-93.195)
    return read, unread


def issues():
    return sorted((n.area.name, n.period, n.period_start) for n in Newsletter.objects.select_related("area"))


def test_on_a_monday_the_week_and_month_just_ended_are_prepared_for_subscribed_neighborhoods(neighborhoods):
    with time_machine.travel(datetime(2026, 6, 8, 6, 0, tzinfo=TZ), tick=False):  # Monday
        written = newsletters_prepare_scheduled()
    assert len(written) == 2
    assert issues() == [("Oak Hill", "monthly", date(2026, 5, 1)), ("Oak Hill", "weekly", date(2026, 6, 1))]
    assert all(n.state == Newsletter.State.DRAFT and n.prepared_by is None for n in Newsletter.objects.all())


def test_running_again_is_idempotent_and_leaves_a_draft_as_staff_saw_it(neighborhoods):
    with time_machine.travel(datetime(2026, 6, 8, 6, 0, tzinfo=TZ), tick=False):
        newsletters_prepare_scheduled()
        before = {n.pk: n.updated_at for n in Newsletter.objects.all()}
        assert newsletters_prepare_scheduled() == []
    with time_machine.travel(datetime(2026, 6, 8, 18, 0, tzinfo=TZ), tick=False):
        assert newsletters_prepare_scheduled() == []
    assert {n.pk: n.updated_at for n in Newsletter.objects.all()} == before


def test_an_issue_already_approved_or_sent_is_left_alone(neighborhoods):
    with time_machine.travel(datetime(2026, 6, 8, 6, 0, tzinfo=TZ), tick=False):
        newsletters_prepare_scheduled()
        Newsletter.objects.update(state=Newsletter.State.SENT)
        assert newsletters_prepare_scheduled() == []
    assert set(Newsletter.objects.values_list("state", flat=True)) == {Newsletter.State.SENT}


def test_on_the_first_of_the_month_the_month_just_ended_is_prepared(neighborhoods):
    with time_machine.travel(datetime(2026, 6, 8, 6, 0, tzinfo=TZ), tick=False):
        newsletters_prepare_scheduled()
    with time_machine.travel(datetime(2026, 7, 1, 6, 0, tzinfo=TZ), tick=False):  # a Wednesday
        written = newsletters_prepare_scheduled()
    added = [(n.period, n.period_start) for n in Newsletter.objects.filter(pk__in=written)]
    assert ("monthly", date(2026, 6, 1)) in added
    assert ("weekly", date(2026, 6, 22)) in added  # the last whole week, caught up as well


def test_a_subscription_by_place_counts_for_the_neighborhood_it_lies_in(agency):
    area = AreaFactory(agency=agency, name="Pine Row", lon=-93.30, lat=44.90, size=0.02)
    SubscriptionFactory(agency=agency, lat=44.91, lon=-93.29, topics=[Topic.NEWSLETTER.value],
                        topic_mask=topic_mask([Topic.NEWSLETTER.value]))
    with time_machine.travel(datetime(2026, 6, 8, 6, 0, tzinfo=TZ), tick=False):
        newsletters_prepare_scheduled()
    assert {n.area_id for n in Newsletter.objects.all()} == {area.pk}


def test_the_task_is_on_the_schedule_and_runs_the_service(neighborhoods):
    path, _every = SCHEDULE["alerts.newsletters_prepare"]
    assert import_string(path) is newsletters_prepare_due
    with time_machine.travel(datetime(2026, 6, 8, 6, 0, tzinfo=TZ), tick=False):
        assert len(newsletters_prepare_due.call()) == 2
