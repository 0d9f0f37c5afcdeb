"""Matching: who an alert reaches, by place, topic, agency, test list and scope; and the index staying fresh."""

import numpy as np
import pytest
from django.utils import timezone

from safecommons.alerts.geometry import alert_area_shape, circle
from safecommons.alerts.matching import Query, Rows, Snapshot, alert_matches, newsletter_matches, subscription_index
from safecommons.alerts.models import Alert, Newsletter, Subscription, Topic, topic_mask
from safecommons.alerts.tests.factories import AlertFactory, SubscriptionFactory, cell_at
from safecommons.core.sphere import distance_m
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.tests.factories import AreaFactory, square

pytestmark = pytest.mark.django_db

NEAR = {"lat": 44.905, "lon": -93.295}  # the factories' alert centre
FAR = {"lat": 44.95, "lon": -93.295}  # 5 km north


def ids(array) -> set[int]:
    return {int(i) for i in array}


def published(**kwargs) -> Alert:
    return AlertFactory(state=Alert.State.PUBLISHED, sent_at=timezone.now(), **kwargs)


def test_a_circle_is_round_on_the_ground():
    shape = circle(lat=44.9, lon=-93.3, radius_m=1000)
    for lon, lat in list(shape.exterior.coords)[::7]:
        assert distance_m(-93.3, 44.9, lon, lat) == pytest.approx(1000, rel=0.005)


def test_the_area_is_the_union_of_polygons_circles_and_named_areas(agency):
    area = AreaFactory(agency=agency, lon=-93.20, lat=44.90)
    alert = AlertFactory(agency=agency, area_polygons=[square(-93.25, 44.90)], area_circles=[
        {"lat": 44.905, "lon": -93.295, "radius_m": 500}])
    alert.areas.add(area)
    shape = alert_area_shape(alert)
    assert len(shape.geoms) == 3
    assert shape.contains(circle(lat=44.905, lon=-93.295, radius_m=400).centroid)


def test_a_subscriber_near_the_alert_matches_and_one_far_away_does_not(agency):
    near = SubscriptionFactory(agency=agency, **NEAR)
    SubscriptionFactory(agency=agency, **FAR)
    assert ids(alert_matches(published(agency=agency))) == {near.pk}


def test_a_disk_that_only_reaches_into_the_area_matches(agency):
    # 1.6 km from the centre: outside the 1 km circle, but its 1 km disk reaches in. 2.2 km away, 250 m
    # (and the cell margin) falls short.
    reaching = SubscriptionFactory(agency=agency, lat=44.9194, lon=-93.295, radius_m=1000)
    SubscriptionFactory(agency=agency, lat=44.9248, lon=-93.295, radius_m=250)
    assert ids(alert_matches(published(agency=agency))) == {reaching.pk}


def test_the_wrong_topic_another_agency_and_inactive_subscriptions_do_not_match(agency):
    SubscriptionFactory(agency=agency, topics=[Topic.TRAFFIC], **NEAR)
    SubscriptionFactory(agency=OrganisationFactory(kind="agency"), **NEAR)
    SubscriptionFactory(agency=agency, status=Subscription.Status.PENDING, **NEAR)
    SubscriptionFactory(agency=agency, status=Subscription.Status.ENDED, **NEAR)
    both = SubscriptionFactory(agency=agency, topics=[Topic.TRAFFIC, Topic.CRIME], **NEAR)
    assert ids(alert_matches(published(agency=agency))) == {both.pk}


def test_a_drill_reaches_only_the_test_list(agency):
    SubscriptionFactory(agency=agency, **NEAR)
    tester = SubscriptionFactory(agency=agency, test_list=True, **NEAR)
    for status in (Alert.CapStatus.EXERCISE, Alert.CapStatus.TEST):
        assert ids(alert_matches(published(agency=agency, cap_status=status))) == {tester.pk}
    assert len(alert_matches(published(agency=agency))) == 2


def test_a_restricted_alert_reaches_only_organisations(agency, partner):
    SubscriptionFactory(agency=agency, **NEAR)
    held = SubscriptionFactory(agency=agency, organisation=partner, **NEAR)
    assert ids(alert_matches(published(agency=agency, scope=Alert.Scope.RESTRICTED))) == {held.pk}


def test_named_areas_match_when_they_intersect_the_area_or_are_named(agency):
    inside = AreaFactory(agency=agency, lon=-93.30, lat=44.90)
    elsewhere = AreaFactory(agency=agency, lon=-93.10, lat=44.80)
    by_area = SubscriptionFactory(agency=agency, cell=None, radius_m=None)
    by_area.areas.add(inside)
    by_named = SubscriptionFactory(agency=agency, cell=None, radius_m=None)
    by_named.areas.add(elsewhere)
    alert = published(agency=agency)
    assert ids(alert_matches(alert)) == {by_area.pk}
    subscription_index().snapshot = None
    alert.areas.add(elsewhere)
    assert ids(alert_matches(alert)) == {by_area.pk, by_named.pk}


def test_the_index_catches_up_with_new_changed_and_ended_subscriptions(agency):
    first = SubscriptionFactory(agency=agency, **NEAR)
    alert = published(agency=agency)
    assert ids(alert_matches(alert)) == {first.pk}
    second = SubscriptionFactory(agency=agency, **NEAR)
    assert ids(alert_matches(alert)) == {first.pk, second.pk}
    first.status = Subscription.Status.ENDED
    first.save(update_fields=["status", "updated_at"])
    second.cell = cell_at(**FAR)
    second.save(update_fields=["cell", "updated_at"])
    assert ids(alert_matches(alert)) == set()
    second.cell = cell_at(**NEAR)
    second.topics, second.topic_mask = [Topic.TRAFFIC], topic_mask([Topic.TRAFFIC])
    second.save()
    assert ids(alert_matches(alert)) == set()


def test_the_index_answers_as_a_rebuilt_one_after_many_changes():
    rows = [(n, 1, 1, False, None, cell_at(44.9 + n * 1e-4, -93.3), 500) for n in range(1, 200)]
    snapshot = Snapshot.build(Rows.from_rows(rows, [(5, 77)]))
    changed = [(n, 1, 1, False, None, cell_at(44.95, -93.3), 500) for n in range(1, 100)]
    updated = snapshot.upsert(Rows.from_rows(changed, []), np.arange(1, 100))
    rebuilt = Snapshot.build(Rows.from_rows(changed + rows[99:], []))
    query = Query(shape=circle(lat=44.905, lon=-93.3, radius_m=800), hit_areas=np.array([77]),
                  agency_id=1, topic_bit=1)
    assert ids(updated.match(query)) == ids(rebuilt.match(query))
    assert 5 not in ids(updated.match(query))  # its area row went with its update


def test_a_newsletter_reaches_subscribers_of_its_area_and_disks_inside_it(agency):
    area = AreaFactory(agency=agency, lon=-93.30, lat=44.90)
    topics = [Topic.NEWSLETTER]
    named = SubscriptionFactory(agency=agency, cell=None, radius_m=None, topics=topics)
    named.areas.add(area)
    disk = SubscriptionFactory(agency=agency, topics=topics, **NEAR)
    SubscriptionFactory(agency=agency, **NEAR)  # crime alerts only
    SubscriptionFactory(agency=agency, topics=topics, **FAR)
    newsletter = Newsletter.objects.create(agency=agency, area=area, period="weekly", period_start="2026-11-23",
                                           period_end="2026-11-29", state=Newsletter.State.APPROVED)
    assert ids(newsletter_matches(newsletter)) == {named.pk, disk.pk}


def test_the_cell_margin_covers_every_corner_of_a_resolution_9_cell():
    import h3

    from safecommons.alerts.matching import CELL_MARGIN_M

    cells = set(h3.grid_disk(h3.latlng_to_cell(44.905, -93.295, 9), 20))
    for pentagon in h3.get_pentagons(9):  # where cells are most distorted
        cells.update(h3.grid_disk(pentagon, 2))
    for cell in cells:
        centre = h3.cell_to_latlng(cell)
        assert max(h3.great_circle_distance(centre, corner, unit="m") for corner in h3.cell_to_boundary(cell)) \
            < CELL_MARGIN_M


def test_a_home_near_a_cell_corner_is_reached_by_an_alert_within_its_radius(agency):
    import h3

    from safecommons.alerts.geometry import METRES_PER_DEGREE

    cell = h3.latlng_to_cell(44.905, -93.295, 9)
    (centre_lat, centre_lon), corners = h3.cell_to_latlng(cell), h3.cell_to_boundary(cell)
    corner_lat, corner_lon = max(corners, key=lambda c: distance_m(centre_lon, centre_lat, c[1], c[0]))
    home_lat = centre_lat + (corner_lat - centre_lat) * 0.97
    home_lon = centre_lon + (corner_lon - centre_lon) * 0.97
    assert h3.latlng_to_cell(home_lat, home_lon, 9) == cell
    # The alert: a 50 m circle whose edge is 200 m from the home, on the side away from the cell's centre.
    north, east = ((home_lat - centre_lat) * METRES_PER_DEGREE,
                   (home_lon - centre_lon) * METRES_PER_DEGREE * np.cos(np.radians(home_lat)))
    unit = np.hypot(north, east)
    alert_lat = home_lat + 250 * north / unit / METRES_PER_DEGREE
    alert_lon = home_lon + 250 * east / unit / (METRES_PER_DEGREE * np.cos(np.radians(home_lat)))
    assert distance_m(home_lon, home_lat, alert_lon, alert_lat) == pytest.approx(250, abs=2)
    home = SubscriptionFactory(agency=agency, lat=home_lat, lon=home_lon, radius_m=250)
    alert = published(agency=agency, lat=alert_lat, lon=alert_lon, radius_m=50)
    assert ids(alert_matches(alert)) == {home.pk}


def test_the_catch_up_window_moves_forward_while_subscriptions_keep_changing(agency, time_machine):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    changing = SubscriptionFactory(agency=agency, **NEAR)
    alert = published(agency=agency)
    assert ids(alert_matches(alert)) == {changing.pk}
    for minute in range(3, 31, 3):  # a change every three minutes: never a quiet window
        time_machine.move_to(start + timedelta(minutes=minute), tick=False)
        changing.radius_m = 500 + minute
        changing.save()
        assert ids(alert_matches(alert)) == {changing.pk}
    assert subscription_index().sync.since >= start + timedelta(minutes=30) - timedelta(minutes=2)
    late = SubscriptionFactory(agency=agency, **NEAR)  # still seen after the window moved
    assert ids(alert_matches(alert)) == {changing.pk, late.pk}
