"""Camera coverage geometry, checked against an oracle that shares nothing with the module: positions become
3-D unit vectors, distance is the angle between two of them, and bearing is read off the camera's local
east/north axes. Plain functions, no database."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from safecommons.cameras import geometry
from safecommons.cameras.geometry import Sighting

FAST = settings(max_examples=300, deadline=None)

# Restated rather than imported, so that the oracle owes nothing to the module under test.
ORACLE_RADIUS_M = 6_371_008.8
# Cases closer than this (relative) to a range, angle or 1 m edge are left out: there either answer is right.
EDGE = 1e-6

CITY_CENTRES = [
    (-93.27, 44.98),  # Minneapolis
    (151.2, -33.87),  # Sydney, southern hemisphere
    (-0.1, 51.5),  # London, across the prime meridian
    (139.7, 35.7),  # Tokyo
    (179.95, -16.8),  # Taveuni (Fiji), across the antimeridian
    (18.96, 69.65),  # Tromsø, far north
]
CORNER = (-93.2650, 44.9778)  # a street corner in downtown Minneapolis


# --- the oracle: vectors, not trigonometry on latitude and longitude ---------------------------------------

def _unit(lon, lat):
    lam, phi = math.radians(lon), math.radians(lat)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _east_north(lon, lat):
    lam, phi = math.radians(lon), math.radians(lat)
    east = (-math.sin(lam), math.cos(lam), 0.0)
    north = (-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi))
    return east, north


def oracle_distance(a, b):
    """Metres between two (lon, lat) positions: the radius times the angle between their unit vectors."""
    u, v = _unit(*a), _unit(*b)
    return ORACLE_RADIUS_M * math.atan2(math.hypot(*_cross(u, v)), _dot(u, v))


def oracle_bearing(a, b):
    """Degrees clockwise from north of the great circle from a towards b, from b's components along a's axes."""
    east, north = _east_north(*a)
    v = _unit(*b)
    return math.degrees(math.atan2(_dot(v, east), _dot(v, north))) % 360.0


def destination(origin, bearing, distance):
    """The position `distance` metres from `origin` along the great circle leaving it at `bearing`."""
    u = _unit(*origin)
    east, north = _east_north(*origin)
    theta, delta = math.radians(bearing), distance / ORACLE_RADIUS_M
    direction = [math.cos(theta) * n + math.sin(theta) * e for n, e in zip(north, east, strict=True)]
    p = [math.cos(delta) * c + math.sin(delta) * d for c, d in zip(u, direction, strict=True)]
    return math.degrees(math.atan2(p[1], p[0])), math.degrees(math.atan2(p[2], math.hypot(p[0], p[1])))


def off_axis(camera_bearing, direction):
    return abs((direction - camera_bearing + 180.0) % 360.0 - 180.0)


def oracle_view(*, camera, bearing, fov, range_m, point, point_radius=0.0):
    """(seen, distance, off-axis, clear of every edge) by the coverage rules, computed the oracle's way."""
    distance = oracle_distance(camera, point)
    angle = off_axis(bearing, oracle_bearing(camera, point))
    edges = [(distance - point_radius, range_m), (distance, 1.0)]
    if point_radius > 0:
        edges.append((distance, point_radius))
    if distance - point_radius > range_m:
        seen = False
    elif distance < 1.0:
        seen, angle = True, 0.0
    elif fov >= 360 or distance <= point_radius:
        seen = True
    else:
        # Napier's rule in the right spherical triangle camera / disc centre / point where a sight line
        # grazes the disc: sin(half-width) = sin(disc radius) / sin(distance), both as angles at the centre.
        ratio = math.sin(point_radius / ORACLE_RADIUS_M) / math.sin(distance / ORACLE_RADIUS_M)
        allowed = fov / 2 + math.degrees(math.asin(min(1.0, ratio)))
        seen = angle <= allowed
        edges.append((angle, allowed))
    clear = all(abs(value - edge) > EDGE * max(abs(edge), 1.0) for value, edge in edges)
    return seen, distance, angle, clear


# --- strategies: city scale -----------------------------------------------------------------------------

bearings = st.one_of(st.sampled_from([0.0, 359.999, 360.0, 90.0, 180.0, 270.0]), st.floats(0, 360))
fovs = st.one_of(st.sampled_from([1.0, 10.0, 90.0, 179.0, 180.0, 359.999, 360.0]), st.floats(1, 360))
ranges = st.floats(10, 500)
point_radii = st.one_of(st.just(0.0), st.floats(0.1, 100))
directions = st.floats(0, 360, exclude_max=True)


def spread(low, high):
    """Floats from low to high, crowding both ends: Hypothesis on its own crowds the low end only."""
    return st.one_of(st.floats(low, high), st.floats(low, high).map(lambda x: low + high - x))


@st.composite
def city_positions(draw):
    """A position within about 15 km of one of the city centres."""
    centre = draw(st.sampled_from(CITY_CENTRES))
    return destination(centre, draw(directions), draw(st.floats(0, 15_000)))


@st.composite
def scenes(draw, point_radius=point_radii):
    """A camera in a city and a point somewhere around it, often within its reach, sometimes far off."""
    camera = draw(city_positions())
    range_m, radius = draw(ranges), draw(point_radius)
    reach = spread(1.5, 1.5 * (range_m + radius))
    how_far = draw(st.one_of(reach, reach, reach, reach, spread(1.5, 3000), st.floats(0, 1.5)))
    point = destination(camera, draw(directions), how_far)
    return {"camera": camera, "bearing": draw(bearings), "fov": draw(fovs), "range_m": range_m,
            "point": point, "point_radius": radius}


def sees(*, camera, bearing, fov, range_m, point, point_radius=0.0):
    return geometry.camera_sees(camera_lon=camera[0], camera_lat=camera[1], bearing_deg=bearing, fov_deg=fov,
                                range_m=range_m, point_lon=point[0], point_lat=point[1],
                                point_radius_m=point_radius)


# --- distance, bearing and angles -----------------------------------------------------------------------

@FAST
@given(city_positions(), directions, st.floats(0, 5000))
def test_distance_agrees_with_the_angle_between_unit_vectors(a, direction, how_far):
    b = destination(a, direction, how_far)
    assert geometry.distance_m(*a, *b) == pytest.approx(oracle_distance(a, b), rel=1e-9, abs=1e-6)


@FAST
@given(city_positions(), city_positions(), city_positions())
def test_distance_is_zero_to_itself_symmetric_and_obeys_the_triangle_inequality(a, b, c):
    assert geometry.distance_m(*a, *a) == 0.0
    assert geometry.distance_m(*a, *b) == pytest.approx(geometry.distance_m(*b, *a), rel=1e-12, abs=1e-9)
    assert geometry.distance_m(*a, *c) <= geometry.distance_m(*a, *b) + geometry.distance_m(*b, *c) + 1e-6


@FAST
@given(city_positions(), directions, st.floats(1, 5000))
def test_bearing_agrees_with_the_direction_in_the_local_east_north_frame(a, direction, how_far):
    b = destination(a, direction, how_far)
    bearing = geometry.initial_bearing_deg(*a, *b)
    assert 0.0 <= bearing < 360.0
    assert off_axis(bearing, oracle_bearing(a, b)) < 1e-6


def test_bearings_point_the_right_way():
    assert off_axis(geometry.initial_bearing_deg(*CORNER, *destination(CORNER, 0, 100)), 0) < 1e-9
    assert geometry.initial_bearing_deg(*CORNER, *destination(CORNER, 90, 100)) == pytest.approx(90)
    assert geometry.initial_bearing_deg(*CORNER, *destination(CORNER, 270, 100)) == pytest.approx(270)
    # Just west of north is 359.9..., never negative; a hair west of north rounds to north (0), never to 360.
    assert geometry.initial_bearing_deg(*CORNER, *destination(CORNER, 359.9, 100)) == pytest.approx(359.9)
    assert geometry.initial_bearing_deg(0.0, 0.0, -1e-20, 0.001) == 0.0


@FAST
@given(st.floats(-720, 720), st.floats(-720, 720), st.integers(-3, 3))
def test_angle_between_is_the_smallest_turn_from_one_bearing_to_the_other(a, b, turns):
    angle = geometry.angle_between_deg(a, b)
    assert 0.0 <= angle <= 180.0
    assert angle == pytest.approx(geometry.angle_between_deg(b, a), abs=1e-9)
    assert angle == pytest.approx(geometry.angle_between_deg(a + 360 * turns, b), abs=1e-9)
    assert angle == pytest.approx(off_axis(a, b), abs=1e-9)


def test_angle_between_wraps_at_north():
    assert geometry.angle_between_deg(359, 3) == pytest.approx(4)
    assert geometry.angle_between_deg(0, 360) == 0
    assert geometry.angle_between_deg(10, 190) == 180


# --- what one camera sees -------------------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(scenes())
def test_camera_sees_agrees_with_the_oracle(scene):
    seen, distance, angle, clear = oracle_view(**scene)
    assume(clear)
    sighting = sees(**scene)
    assert (sighting is not None) == seen
    if sighting:
        assert sighting.distance_m == pytest.approx(distance, rel=1e-9, abs=1e-6)
        assert sighting.off_axis_deg == pytest.approx(angle, abs=1e-6)


@FAST
@given(scenes(point_radius=st.just(0.0)), st.floats(1, 179.9))
def test_a_camera_facing_away_never_sees_a_point_behind_it(scene, fov):
    assume(oracle_distance(scene["camera"], scene["point"]) > 1.01)
    away = (oracle_bearing(scene["camera"], scene["point"]) + 180.0) % 360.0
    assert sees(**{**scene, "bearing": away, "fov": fov}) is None


@FAST
@given(scenes(point_radius=st.just(0.0)), st.floats(1, 359), st.floats(0, 1), st.sampled_from([-1, 1]))
def test_it_never_sees_a_point_outside_its_angle(scene, fov, beyond, side):
    assume(oracle_distance(scene["camera"], scene["point"]) > 1.01)
    turn = fov / 2 + 1e-3 + beyond * (180 - fov / 2 - 1e-3)
    bearing = (oracle_bearing(scene["camera"], scene["point"]) + side * turn) % 360.0
    assert sees(**{**scene, "bearing": bearing, "fov": fov}) is None


@FAST
@given(city_positions(), bearings, fovs, ranges, point_radii, directions, st.floats(1e-5, 5))
def test_it_never_sees_a_point_beyond_its_range(camera, bearing, fov, range_m, radius, direction, beyond):
    point = destination(camera, direction, (range_m + radius) * (1 + beyond))
    assert sees(camera=camera, bearing=bearing, fov=fov, range_m=range_m, point=point, point_radius=radius) is None


@FAST
@given(city_positions(), bearings, fovs, ranges, st.floats(-0.999, 0.999), st.floats(1.01, 1e6))
def test_it_sees_every_point_inside_its_sector_at_the_angle_it_is_off_axis(
        camera, bearing, fov, range_m, turn_fraction, how_far):
    turn = turn_fraction * min(fov, 360) / 2
    point = destination(camera, (bearing + turn) % 360.0, min(how_far, range_m * (1 - 1e-5)))
    sighting = sees(camera=camera, bearing=bearing, fov=fov, range_m=range_m, point=point)
    assert sighting is not None
    assert sighting.off_axis_deg == pytest.approx(abs(turn), abs=1e-6)


@FAST
@given(city_positions(), st.one_of(st.sampled_from([0.0, 360.0, 359.999]), st.floats(350, 360)),
       st.floats(2, 40), ranges, st.floats(-0.99, 0.99), st.floats(1.5, 500))
def test_the_field_of_view_wraps_across_north(camera, bearing, fov, range_m, turn_fraction, how_far):
    direction = (bearing + turn_fraction * fov / 2) % 360.0  # either side of north, most of the time
    point = destination(camera, direction, min(how_far, range_m * (1 - 1e-5)))
    assert sees(camera=camera, bearing=bearing, fov=fov, range_m=range_m, point=point) is not None
    outside = destination(camera, (bearing + math.copysign(fov / 2 + 1, turn_fraction)) % 360.0, range_m / 2)
    assert sees(camera=camera, bearing=bearing, fov=fov, range_m=range_m, point=outside) is None


@FAST
@given(city_positions(), bearings, st.sampled_from([360.0, 400.0]), ranges, directions, st.floats(0, 1 - 1e-5))
def test_an_all_around_camera_sees_everything_in_range(camera, bearing, fov, range_m, direction, how_far):
    point = destination(camera, direction, how_far * range_m)
    assert sees(camera=camera, bearing=bearing, fov=fov, range_m=range_m, point=point) is not None


@FAST
@given(city_positions(), bearings, fovs, ranges, st.floats(-0.999, 0.999), st.floats(0, 1 - 1e-5),
       point_radii, directions, st.floats(0, 0.999))
def test_a_canvass_area_never_misses_a_camera_that_sees_part_of_it(
        camera, bearing, fov, range_m, turn_fraction, how_far, radius, direction, off_centre):
    """The disc rule is conservative: if any point of the disc is in the sector, the camera counts."""
    inside = destination(camera, (bearing + turn_fraction * min(fov, 360) / 2) % 360.0, how_far * range_m)
    centre = destination(inside, direction, off_centre * radius)
    assert sees(camera=camera, bearing=bearing, fov=fov, range_m=range_m, point=centre, point_radius=radius)


# --- many cameras at once -------------------------------------------------------------------------------

@st.composite
def fleets(draw):
    """A point in a city and up to 40 cameras within 800 m of it (some right on it)."""
    point = draw(city_positions())
    cameras = draw(st.lists(
        st.tuples(directions, st.one_of(spread(0, 800), st.sampled_from([0.0, 0.5])), bearings, fovs, ranges),
        min_size=0, max_size=40,
    ))
    rows = [(*destination(point, direction, how_far), bearing, fov, range_m)
            for direction, how_far, bearing, fov, range_m in cameras]
    return point, rows, draw(point_radii)


@FAST
@given(fleets())
def test_the_vectorised_version_matches_camera_sees_camera_by_camera(fleet):
    point, rows, radius = fleet
    expected = [(i, sighting) for i, (lon, lat, bearing, fov, range_m) in enumerate(rows)
                if (sighting := sees(camera=(lon, lat), bearing=bearing, fov=fov, range_m=range_m, point=point,
                                     point_radius=radius))]
    lons, lats, bearing_array, fov_array, range_array = (np.array(column, dtype=float) for column in
                                                         (zip(*rows, strict=True) if rows else [[]] * 5))
    indices, distances, angles = geometry.cameras_seeing(
        lons=lons, lats=lats, bearings=bearing_array, fovs=fov_array, ranges=range_array,
        point_lon=point[0], point_lat=point[1], point_radius_m=radius,
    )
    assert indices.tolist() == [i for i, _ in expected]
    np.testing.assert_allclose(distances, [s.distance_m for _, s in expected], rtol=0, atol=1e-6)
    np.testing.assert_allclose(angles, [s.off_axis_deg for _, s in expected], rtol=0, atol=1e-9)


def test_the_vectorised_version_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="equal length"):
        geometry.cameras_seeing(lons=[0.0, 1.0], lats=[0.0], bearings=[0.0], fovs=[90.0], ranges=[10.0],
                                point_lon=0.0, point_lat=0.0)


# --- the index prefilter --------------------------------------------------------------------------------

anywhere = st.tuples(
    st.one_of(st.floats(-180, 180), st.sampled_from([-180.0, 180.0, 179.999, -179.999, 0.0])),
    st.one_of(st.floats(-90, 90), st.sampled_from([-90.0, 90.0, 89.99, -89.99, 89.9999, 0.0])),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(city_positions(), anywhere), st.floats(0, 50_000), directions,
       st.one_of(st.floats(0, 1), st.just(1.0)))
def test_the_bounding_box_contains_every_point_within_the_radius(centre, radius, direction, fraction):
    min_lon, min_lat, max_lon, max_lat = geometry.bounding_box(*centre, radius)
    point = destination(centre, direction, fraction * radius)
    assert -180.0 <= min_lon <= max_lon <= 180.0 and -90.0 <= min_lat <= max_lat <= 90.0
    assert min_lat <= point[1] <= max_lat
    assert min_lon <= point[0] <= max_lon


@FAST
@given(city_positions(), st.floats(1, 50_000))
def test_the_bounding_box_is_no_bigger_than_it_needs_to_be_in_a_city(centre, radius):
    min_lon, min_lat, max_lon, max_lat = geometry.bounding_box(*centre, radius)
    angular_radius_deg = math.degrees(radius / ORACLE_RADIUS_M)
    assert max_lat - min_lat <= 2 * angular_radius_deg * (1 + 1e-6)
    if max_lon - min_lon < 360:  # unless the circle crosses the antimeridian
        assert max_lon - min_lon <= 2 * angular_radius_deg / math.cos(math.radians(centre[1])) * 1.001
        # and it is tight: the circle reaches the box's east edge
        assert destination(centre, 90, radius)[0] == pytest.approx(max_lon, abs=(max_lon - min_lon) * 1e-2)


def test_a_box_that_reaches_a_pole_spans_every_longitude():
    assert geometry.bounding_box(10.0, 89.9999, 100.0)[::2] == (-180.0, 180.0)
    assert geometry.bounding_box(10.0, 89.9999, 100.0)[3] == 90.0
    assert geometry.bounding_box(10.0, -90.0, 1.0) == (-180.0, -90.0, 180.0, pytest.approx(-90.0, abs=1e-4))


def test_a_box_that_crosses_the_antimeridian_spans_every_longitude_rather_than_wrapping():
    min_lon, _, max_lon, _ = geometry.bounding_box(179.9999, -16.8, 500.0)
    assert (min_lon, max_lon) == (-180.0, 180.0)


# --- examples, for the reader ---------------------------------------------------------------------------

def test_a_camera_on_a_corner_facing_east_sees_the_shop_east_of_it_not_the_one_west():
    camera = {"camera": CORNER, "bearing": 90.0, "fov": 90.0, "range_m": 60.0}
    sighting = sees(**camera, point=destination(CORNER, 90, 40))
    assert sighting == Sighting(distance_m=pytest.approx(40), off_axis_deg=pytest.approx(0, abs=1e-6))
    assert sees(**camera, point=destination(CORNER, 270, 40)) is None


def test_a_north_facing_camera_sees_either_side_of_north():
    camera = {"camera": CORNER, "bearing": 0.0, "fov": 90.0, "range_m": 100.0}
    assert sees(**camera, point=destination(CORNER, 350, 50)).off_axis_deg == pytest.approx(10)
    assert sees(**camera, point=destination(CORNER, 40, 50)).off_axis_deg == pytest.approx(40)
    assert sees(**camera, point=destination(CORNER, 310, 50)) is None  # 50 degrees west of its axis
    nearly_north = {**camera, "bearing": 359.0, "fov": 10.0}
    assert sees(**nearly_north, point=destination(CORNER, 3, 50)).off_axis_deg == pytest.approx(4)
    assert sees(**nearly_north, point=destination(CORNER, 5, 50)) is None


def test_a_point_a_metre_beyond_range_is_not_seen_and_a_metre_inside_is():
    camera = {"camera": CORNER, "bearing": 180.0, "fov": 60.0, "range_m": 100.0}
    assert sees(**camera, point=destination(CORNER, 180, 101)) is None
    assert sees(**camera, point=destination(CORNER, 180, 99)).distance_m == pytest.approx(99)


def test_a_canvass_radius_widens_the_reach_and_the_angle():
    camera = {"camera": CORNER, "bearing": 0.0, "fov": 60.0, "range_m": 100.0}
    far = destination(CORNER, 0, 110)
    assert sees(**camera, point=far) is None
    assert sees(**camera, point=far, point_radius=15).distance_m == pytest.approx(110)  # its near edge is at 95 m
    aside = destination(CORNER, 35, 80)  # 5 degrees outside the 60-degree view
    assert sees(**camera, point=aside) is None
    assert sees(**camera, point=aside, point_radius=10).off_axis_deg == pytest.approx(35)  # disc spans +-7.2


def test_a_camera_standing_in_the_canvass_area_counts_whichever_way_it_faces():
    behind = destination(CORNER, 180, 5)
    assert sees(camera=CORNER, bearing=0.0, fov=10.0, range_m=30.0, point=behind) is None
    assert sees(camera=CORNER, bearing=0.0, fov=10.0, range_m=30.0, point=behind, point_radius=20) is not None


def test_a_point_at_the_camera_is_seen_by_any_camera():
    sighting = sees(camera=CORNER, bearing=0.0, fov=1.0, range_m=10.0, point=destination(CORNER, 180, 0.5))
    assert sighting == Sighting(distance_m=pytest.approx(0.5), off_axis_deg=0.0)


@pytest.mark.parametrize("bad", [{"fov": 0.0}, {"range_m": -1.0}, {"point_radius": -1.0}])
def test_it_refuses_a_nonsensical_camera_or_radius(bad):
    values = {"camera": CORNER, "bearing": 0.0, "fov": 90.0, "range_m": 30.0, "point": CORNER, **bad}
    with pytest.raises(ValueError):
        sees(**values)


# --- ranking --------------------------------------------------------------------------------------------

def test_ranking_puts_the_nearest_most_head_on_view_first():
    # Close and head-on; close but at the edge of the frame; far and head-on; far at the edge.
    order = geometry.rank(distances_m=[20, 20, 90, 90], off_axis_deg=[0, 44, 0, 44], ranges_m=[100] * 4,
                          fovs_deg=[90] * 4)
    assert order.tolist() == [0, 1, 2, 3]


def test_ranking_measures_distance_against_each_camera_s_own_range():
    # 100 m from a 500 m camera beats 25 m from a 30 m doorbell camera.
    order = geometry.rank(distances_m=[25, 100], off_axis_deg=[0, 0], ranges_m=[30, 500], fovs_deg=[90, 90])
    assert order.tolist() == [1, 0]


def test_ranking_keeps_equal_views_in_input_order():
    order = geometry.rank(distances_m=[50, 50, 10], off_axis_deg=[5, 5, 5], ranges_m=[100, 100, 100],
                          fovs_deg=[90, 90, 90])
    assert order.tolist() == [2, 0, 1]


@FAST
@given(fleets())
def test_ranking_orders_every_sighting_by_score(fleet):
    point, rows, radius = fleet
    assume(rows)
    columns = [np.array(column, dtype=float) for column in zip(*rows, strict=True)]
    indices, distances, angles = geometry.cameras_seeing(
        lons=columns[0], lats=columns[1], bearings=columns[2], fovs=columns[3], ranges=columns[4],
        point_lon=point[0], point_lat=point[1], point_radius_m=radius,
    )
    ranges_m, fovs_deg = columns[4][indices], columns[3][indices]
    order = geometry.rank(distances_m=distances, off_axis_deg=angles, ranges_m=ranges_m, fovs_deg=fovs_deg)
    assert sorted(order.tolist()) == list(range(indices.size))
    scores = geometry.coverage_score(distances_m=distances, off_axis_deg=angles, ranges_m=ranges_m,
                                     fovs_deg=fovs_deg)[order]
    assert np.all(np.diff(scores) >= 0)
