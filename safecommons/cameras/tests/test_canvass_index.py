"""The canvass index finds the same cameras as testing every camera, before and after changes."""

import numpy as np
import pytest

from safecommons.cameras import geometry
from safecommons.cameras.index import Cameras, Snapshot

NOW = 1_800_000_000.0
DAY = 86_400.0


def city(rng, count, first_id=1):
    """Cameras in a 6 km x 5 km box around downtown, every range tier represented."""
    lon = -93.27 + rng.uniform(-0.04, 0.04, count)
    lat = 44.98 + rng.uniform(-0.025, 0.025, count)
    ranges = rng.choice([3, 10, 24, 25, 26, 45, 60, 99, 150, 300, 450, 1000], count)
    rows = [(first_id + i, lon[i], lat[i], rng.uniform(0, 360), rng.uniform(1, 360), ranges[i], rng.integers(0, 30),
             rng.choice(["active", "active", "active", "paused"]), 0) for i in range(count)]
    return Cameras.from_rows(rows)


def brute_force(cameras, lon, lat, radius, age_days):
    usable = np.flatnonzero((cameras.status == 0) & (cameras.retention_days > age_days))
    picked = cameras.take(usable)
    seen, distances, off_axis = geometry.cameras_seeing(
        lons=picked.lon, lats=picked.lat, bearings=picked.bearing, fovs=picked.fov, ranges=picked.range,
        point_lon=lon, point_lat=lat, point_radius_m=radius)
    order = geometry.rank(distances_m=distances, off_axis_deg=off_axis, ranges_m=picked.range[seen],
                          fovs_deg=picked.fov[seen])
    return picked.ids[seen][order]


def assert_same_as_brute_force(snapshot, cameras, rng, queries=150):
    for _ in range(queries):
        lon, lat = -93.27 + rng.uniform(-0.04, 0.04), 44.98 + rng.uniform(-0.025, 0.025)
        radius, age = float(rng.choice([0, 20, 200])), float(rng.uniform(0, 20))
        found = snapshot.query(lon=lon, lat=lat, radius_m=radius, window_end_ts=NOW - age * DAY, now_ts=NOW)
        expected = brute_force(cameras, lon, lat, radius, age)
        # Cameras with equal scores may come out in either order.
        assert sorted(found.ids.tolist()) == sorted(expected.tolist())


def test_the_index_finds_what_testing_every_camera_finds():
    rng = np.random.default_rng(7)
    cameras = city(rng, 30_000)
    assert_same_as_brute_force(Snapshot.build(cameras), cameras, rng)


@pytest.mark.parametrize("overlay_limit", [50_000, 100])
def test_changes_applied_to_the_index_match_a_rebuild(monkeypatch, overlay_limit):
    from safecommons.cameras import index

    monkeypatch.setattr(index, "OVERLAY_LIMIT", overlay_limit)  # 100: the overlay is merged on the way
    rng = np.random.default_rng(11)
    cameras = city(rng, 20_000)
    snapshot = Snapshot.build(cameras)
    moved = city(rng, 500, first_id=1)  # the first 500 cameras move, turn, pause...
    added = city(rng, 300, first_id=50_001)
    removed = np.arange(1_001, 1_201)
    snapshot = snapshot.upsert(moved.concat(added), removed)
    keep = ~np.isin(cameras.ids, np.concatenate([moved.ids, removed]))
    current = cameras.take(np.flatnonzero(keep)).concat(moved).concat(added)
    assert len(snapshot) == len(current)
    assert_same_as_brute_force(snapshot, current, rng)


def test_ranking_puts_the_nearer_and_more_central_view_first():
    # Two cameras 10 m and 30 m south of the point, both looking north; the nearer is first.
    rows = [(1, -93.27, 44.98 - 30 / 111_195, 0, 90, 50, 10, "active", 0),
            (2, -93.27, 44.98 - 10 / 111_195, 0, 90, 50, 10, "active", 0)]
    found = Snapshot.build(Cameras.from_rows(rows)).query(lon=-93.27, lat=44.98, radius_m=0,
                                                          window_end_ts=NOW - DAY, now_ts=NOW)
    assert found.ids.tolist() == [2, 1]
    assert np.allclose(found.distances_m, [10, 30], atol=0.01)
