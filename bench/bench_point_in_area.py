"""Benchmark: point-in-area lookup through AreaIndex against a brute-force loop over polygons.

Run from the repository root:  .venv/bin/python bench/bench_point_in_area.py

Prints one JSON line on stdout; details (data shape, timings, correctness checks) go to stderr.
Needs no database: the areas and points are generated here from a fixed seed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import shapely

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

SEED = 20261122
N_POINTS = 1_000_000
GRID_X, GRID_Y = 40, 25  # 1,000 cells
HALF_SIZE_KM = 10.0  # the region is 20 km x 20 km
CENTER_LON, CENTER_LAT = -93.27, 44.98
OUTSIDE_MARGIN = 0.01  # points are drawn from the box grown by 1 % on each side (about 4 % fall outside)
NODE_JITTER = 0.2  # grid corners move by up to 20 % of a cell
EDGE_WOBBLE = 0.08  # edge vertices move sideways by up to 8 % of a cell
EDGE_VERTICES = (2, 9)  # extra vertices per edge, so each cell has 4 + 4*2 = 12 to 4 + 4*9 = 40
BEST_OF = 3
CHECK_POINTS = 20_000
PEER_SUBSET = 50_000
PEER_FULL_LIMIT_S = 60.0
BOUNDARY_PROBES = 2_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def km_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    km_per_deg_lat = 111.32
    km_per_deg_lon = 111.32 * np.cos(np.radians(CENTER_LAT))
    return CENTER_LON + x / km_per_deg_lon, CENTER_LAT + y / km_per_deg_lat


def make_areas(rng: np.random.Generator) -> list[tuple[int, dict]]:
    """A jittered GRID_X x GRID_Y grid whose shared edges wobble; neighbours share their border vertices."""
    cell_w = 2 * HALF_SIZE_KM / GRID_X
    cell_h = 2 * HALF_SIZE_KM / GRID_Y
    nx = np.linspace(-HALF_SIZE_KM, HALF_SIZE_KM, GRID_X + 1)[:, None].repeat(GRID_Y + 1, axis=1)
    ny = np.linspace(-HALF_SIZE_KM, HALF_SIZE_KM, GRID_Y + 1)[None, :].repeat(GRID_X + 1, axis=0)
    jx = rng.uniform(-NODE_JITTER, NODE_JITTER, nx.shape) * cell_w
    jy = rng.uniform(-NODE_JITTER, NODE_JITTER, ny.shape) * cell_h
    jx[0, :] = jx[-1, :] = 0.0  # nodes on the left and right sides only slide along them
    jy[:, 0] = jy[:, -1] = 0.0  # nodes on the bottom and top sides likewise
    nx += jx
    ny += jy

    def edge(x0: float, y0: float, x1: float, y1: float, outer: bool) -> np.ndarray:
        """Vertices strictly between two nodes, in order from the first to the second."""
        k = int(rng.integers(EDGE_VERTICES[0], EDGE_VERTICES[1] + 1))
        t = np.sort(rng.uniform(0.1, 0.9, k))
        px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        if not outer:  # the outer border stays straight so the areas cover the whole box
            length = np.hypot(x1 - x0, y1 - y0)
            nxu, nyu = -(y1 - y0) / length, (x1 - x0) / length
            offset = rng.uniform(-1, 1, k) * EDGE_WOBBLE * min(cell_w, cell_h) * np.sin(np.pi * t)
            px, py = px + offset * nxu, py + offset * nyu
        return np.column_stack([px, py])

    horizontal = {
        (i, j): edge(nx[i, j], ny[i, j], nx[i + 1, j], ny[i + 1, j], j in (0, GRID_Y))
        for i in range(GRID_X)
        for j in range(GRID_Y + 1)
    }
    vertical = {
        (i, j): edge(nx[i, j], ny[i, j], nx[i, j + 1], ny[i, j + 1], i in (0, GRID_X))
        for i in range(GRID_X + 1)
        for j in range(GRID_Y)
    }

    rows = []
    for j in range(GRID_Y):
        for i in range(GRID_X):
            ring = np.concatenate(
                [
                    [[nx[i, j], ny[i, j]]],
                    horizontal[i, j],
                    [[nx[i + 1, j], ny[i + 1, j]]],
                    vertical[i + 1, j],
                    [[nx[i + 1, j + 1], ny[i + 1, j + 1]]],
                    horizontal[i, j + 1][::-1],
                    [[nx[i, j + 1], ny[i, j + 1]]],
                    vertical[i, j][::-1],
                    [[nx[i, j], ny[i, j]]],
                ]
            )
            lon, lat = km_to_lonlat(ring[:, 0], ring[:, 1])
            coords = np.column_stack([lon, lat]).tolist()
            area_id = 1001 + j * GRID_X + i  # ids unlike positions, so a mix-up would show
            rows.append((area_id, {"type": "Polygon", "coordinates": [coords]}))
    return rows


def brute_force(geoms, area_ids, xs, ys, predicate) -> tuple[np.ndarray, np.ndarray]:
    """Every polygon tested against every point; same output shape as AreaIndex.containing_many."""
    point_parts, id_parts = [], []
    for geom, area_id in zip(geoms, area_ids, strict=True):
        hit = np.flatnonzero(predicate(geom, xs, ys))
        if hit.size:
            point_parts.append(hit)
            id_parts.append(np.full(hit.size, area_id, dtype=np.int64))
    if not point_parts:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int64)
    return np.concatenate(point_parts), np.concatenate(id_parts)


def sorted_pairs(points: np.ndarray, ids: np.ndarray) -> np.ndarray:
    pairs = np.column_stack([np.asarray(points, dtype=np.int64), np.asarray(ids, dtype=np.int64)])
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def same_pairs(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    """Equal as multisets of (point, area id) pairs (so a duplicated pair also counts as a difference)."""
    return np.array_equal(sorted_pairs(*a), sorted_pairs(*b))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safecommons.settings")
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON line only
        import django

        django.setup()
        from safecommons.places.geoindex import AreaIndex

    rng = np.random.default_rng(SEED)

    # Data ---------------------------------------------------------------------------------
    rows = make_areas(rng)
    geoms = np.array([shapely.geometry.shape(g) for _, g in rows], dtype=object)
    area_ids = np.array([area_id for area_id, _ in rows], dtype=np.int64)
    invalid = int((~shapely.is_valid(geoms)).sum())
    if invalid:
        log(f"FAIL: {invalid} generated polygons are invalid")
        return 1
    vertices = shapely.get_num_coordinates(geoms) - 1  # minus the closing vertex
    corners_km = np.array([-HALF_SIZE_KM, HALF_SIZE_KM])
    box_lon, box_lat = km_to_lonlat(corners_km, corners_km)
    box = shapely.box(box_lon[0], box_lat[0], box_lon[1], box_lat[1])
    area_sum = float(shapely.area(geoms).sum())
    union_area = float(shapely.area(shapely.coverage_union_all(geoms)))
    if abs(area_sum - box.area) > 1e-9 * box.area or abs(union_area - box.area) > 1e-9 * box.area:
        log(f"FAIL: areas overlap or leave gaps (sum {area_sum}, union {union_area}, box {box.area})")
        return 1
    log(
        f"areas: {len(rows)} valid polygons, {int(vertices.min())}-{int(vertices.max())} vertices "
        f"(mean {vertices.mean():.1f}), tiling a {2 * HALF_SIZE_KM:.0f} x {2 * HALF_SIZE_KM:.0f} km box "
        f"around ({CENTER_LON}, {CENTER_LAT}) without overlap or gaps"
    )

    pad_lon = OUTSIDE_MARGIN * (box_lon[1] - box_lon[0])
    pad_lat = OUTSIDE_MARGIN * (box_lat[1] - box_lat[0])
    lons = rng.uniform(box_lon[0] - pad_lon, box_lon[1] + pad_lon, N_POINTS)
    lats = rng.uniform(box_lat[0] - pad_lat, box_lat[1] + pad_lat, N_POINTS)
    outside = int((~shapely.contains_xy(box, lons, lats)).sum())
    share = 100 * outside / N_POINTS
    log(f"points: {N_POINTS:,} uniform random, {outside:,} ({share:.1f} %) outside the region")

    # Ours: build, then containing_many over every point -------------------------------------
    start = time.perf_counter()
    index = AreaIndex.build(rows)
    build_s = time.perf_counter() - start
    log(f"ours: AreaIndex.build over {len(rows)} areas took {build_s * 1000:.1f} ms")

    ours_times = []
    for _ in range(BEST_OF):
        start = time.perf_counter()
        ours = index.containing_many(lons, lats)
        ours_times.append(time.perf_counter() - start)
    ours_s = min(ours_times)
    value = N_POINTS / ours_s
    matched = np.bincount(ours[0], minlength=N_POINTS)
    log(
        f"ours: containing_many over {N_POINTS:,} points, best of {BEST_OF}: {ours_s:.3f} s "
        f"(runs {', '.join(f'{t:.3f}' for t in ours_times)} s) = {value:,.0f} points/s; "
        f"{ours[0].size:,} pairs, points in 0/1/2+ areas: "
        f"{int((matched == 0).sum()):,}/{int((matched == 1).sum()):,}/{int((matched >= 2).sum()):,}"
    )

    # Correctness: ours against brute force ------------------------------------------------
    peer_geoms = np.array([shapely.geometry.shape(g) for _, g in rows], dtype=object)
    shapely.prepare(peer_geoms)

    check_rng = np.random.default_rng(SEED + 1)
    check_idx = np.sort(check_rng.choice(N_POINTS, CHECK_POINTS, replace=False))
    position = np.full(N_POINTS, -1, dtype=np.int64)
    position[check_idx] = np.arange(CHECK_POINTS)
    keep = position[ours[0]] >= 0
    ours_check = (position[ours[0][keep]], ours[1][keep])  # taken from the timed run itself

    # Boundary probes: vertices of the polygons, which lie on one, two, three or four borders.
    all_coords = shapely.get_coordinates(geoms)
    probe = all_coords[check_rng.choice(len(all_coords), BOUNDARY_PROBES, replace=False)]
    ours_probe = index.containing_many(probe[:, 0], probe[:, 1])

    agreement = {}
    rates = {}
    for name, predicate in (("contains_xy", shapely.contains_xy), ("intersects_xy", shapely.intersects_xy)):
        start = time.perf_counter()
        brute = brute_force(peer_geoms, area_ids, lons[check_idx], lats[check_idx], predicate)
        rates[name] = CHECK_POINTS / (time.perf_counter() - start)
        brute_probe = brute_force(peer_geoms, area_ids, probe[:, 0], probe[:, 1], predicate)
        agreement[name] = (same_pairs(ours_check, brute), same_pairs(ours_probe, brute_probe))
        log(
            f"check: brute force with {name} on {CHECK_POINTS:,} random points: "
            f"{'same' if agreement[name][0] else 'DIFFERENT'} pairs as ours ({brute[0].size:,} pairs; "
            f"{rates[name]:,.0f} points/s); on {BOUNDARY_PROBES:,} polygon vertices: "
            f"{'same' if agreement[name][1] else 'DIFFERENT'} ({brute_probe[0].size:,} pairs vs ours "
            f"{ours_probe[0].size:,})"
        )
    if not agreement["intersects_xy"][0] or not agreement["intersects_xy"][1]:
        log("FAIL: AreaIndex.containing_many disagrees with the brute force (intersects_xy)")
        return 1
    if all(agreement["contains_xy"]):
        peer_name, peer_predicate = "contains_xy", shapely.contains_xy
    else:
        peer_name, peer_predicate = "intersects_xy", shapely.intersects_xy
        log("check: contains_xy leaves out points on borders, which ours counts; the peer uses intersects_xy")

    # Peer: brute force over all points if that fits in about a minute, else a fixed subset --
    estimate_s = N_POINTS / rates[peer_name]
    if estimate_s <= PEER_FULL_LIMIT_S:
        peer_n, peer_lons, peer_lats, peer_runs = N_POINTS, lons, lats, 1
    else:
        peer_idx = np.sort(np.random.default_rng(SEED + 2).choice(N_POINTS, PEER_SUBSET, replace=False))
        peer_n, peer_lons, peer_lats, peer_runs = PEER_SUBSET, lons[peer_idx], lats[peer_idx], BEST_OF
    peer_times = []
    for _ in range(peer_runs):
        start = time.perf_counter()
        brute_force(peer_geoms, area_ids, peer_lons, peer_lats, peer_predicate)
        peer_times.append(time.perf_counter() - start)
    peer_s = min(peer_times)
    peer_value = peer_n / peer_s
    log(
        f"peer: brute force ({peer_name} on {len(rows)} prepared polygons) over {peer_n:,} of the "
        f"{N_POINTS:,} points (all of them would take about {estimate_s:.0f} s), best of {peer_runs}: "
        f"{peer_s:.3f} s = {peer_value:,.0f} points/s"
    )

    ratio = value / peer_value
    log(f"ratio: {ratio:.1f}x (target >= 10x): {'met' if ratio >= 10 else 'NOT met'}")
    result = {
        "name": "point_in_area",
        "value": round(value),
        "unit": "points/s",
        "peer": "brute force (every polygon tested per point, shapely vectorised)",
        "peer_value": round(peer_value),
        "ratio": round(ratio, 1),
        "target": ">= 10x peer",
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
