"""The canvass index: every camera that can be canvassed, in memory, bucketed on a grid so that a canvass
looks only at the cameras near the incident.

Layout
------
Cameras are kept in numpy arrays (id, position, bearing, field of view, range, retention, status, owner
organisation), sorted by one integer key per camera: its *range tier* and the grid cell it stands in. A
camera can only see a point within its own range, and most cameras see 15-60 m, so each tier has cells as
wide as the longest range in it: a doorbell camera is looked for within a few dozen metres of the incident,
a long-range one within a kilometre. For each tier a query takes the cells of the box around the point
(``sphere.bounding_box`` of the tier's range plus the canvass radius), one contiguous slice of the sorted
keys per row of cells, found by one ``searchsorted`` over every row of every tier. The candidates then go
through ``geometry.cameras_seeing`` (the exact sector test on the sphere) and ``geometry.rank``.

Staying fresh in every process
------------------------------
Each process builds the index from the database on first use (a full read, never per request) and then,
before each canvass, catches up on the cameras whose ``updated_at`` is recent: the registry's services
(register, edit, pause, withdraw, CSV import) all move ``updated_at``. The check is one aggregate over the
``camera_updated`` index (count, newest ``updated_at``, sum of ids) of the rows changed in a window that
reaches back a little before the previous check (``CATCH_UP_MARGIN``: a transaction that stamped its rows
earlier but committed later, or a web server whose clock is a little behind, is still seen). Only when that
signature moves are the window's rows re-read, and applied as upserts: a changed camera is masked out of
the sorted arrays and kept in a small unsorted *overlay*, which every query also scans, until the overlay
grows past ``OVERLAY_LIMIT`` and is merged in memory. A camera deleted outright leaves no row to see; the
selector checks the found cameras against the database anyway and drops the missing ones (``forget``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Sum
from django.utils import timezone

from safecommons.cameras import geometry
from safecommons.cameras.models import Camera
from safecommons.core.sphere import bounding_box

# Range tiers (metres): a camera belongs to the first tier at least as long as its range.
TIERS_M = (25.0, 50.0, 100.0, 200.0, 400.0, 1000.0)
METRES_PER_DEGREE = 111_195.0  # along a meridian, on the mean-radius sphere
_TIER_SHIFT = 44  # keys: tier << 44 | row * columns + column (a 25 m grid needs under 2**41 cells)
CATCH_UP_MARGIN = timedelta(minutes=2)
OVERLAY_LIMIT = 20_000
STATUS_CODES = {Camera.Status.ACTIVE: 0, Camera.Status.PAUSED: 1, Camera.Status.WITHDRAWN: 2}
ACTIVE = 0
SECONDS_PER_DAY = 86_400.0

_COLUMNS = ("id", "longitude", "latitude", "bearing_deg", "fov_deg", "range_m", "retention_days", "status",
            "owner_organisation_id")


@dataclass(frozen=True)
class Cameras:
    """Columns of cameras, all of one length. ``owner_org`` is 0 for a resident's camera."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    bearing: np.ndarray
    fov: np.ndarray
    range: np.ndarray
    retention_days: np.ndarray
    status: np.ndarray
    owner_org: np.ndarray

    @classmethod
    def empty(cls) -> Cameras:
        return cls.from_rows([])

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> Cameras:
        """From (id, lon, lat, bearing, fov, range, retention_days, status, owner_organisation_id) tuples."""
        count = len(rows)

        def column(index: int, dtype, convert=None) -> np.ndarray:
            values = (row[index] for row in rows) if convert is None else (convert(row[index]) for row in rows)
            return np.fromiter(values, dtype=dtype, count=count)

        return cls(
            ids=column(0, np.int64), lon=column(1, np.float64), lat=column(2, np.float64),
            bearing=column(3, np.float64), fov=column(4, np.float64), range=column(5, np.float64),
            retention_days=column(6, np.float64), status=column(7, np.int8, lambda s: STATUS_CODES.get(s, 2)),
            owner_org=column(8, np.int64, lambda o: o or 0),
        )

    def __len__(self) -> int:
        return int(self.ids.size)

    def take(self, positions: np.ndarray) -> Cameras:
        return Cameras(**{name: getattr(self, name)[positions] for name in self.__dataclass_fields__})

    def concat(self, other: Cameras) -> Cameras:
        return Cameras(**{name: np.concatenate([getattr(self, name), getattr(other, name)])
                          for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class Found:
    """A canvass's cameras, best view first: ids with how far each is from the point and how far off its axis."""

    ids: np.ndarray
    distances_m: np.ndarray
    off_axis_deg: np.ndarray
    owner_org: np.ndarray  # 0 for a resident's camera
    candidates: int = 0  # cameras looked at (for the benchmark's report)


def _tier_of(ranges: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(np.asarray(TIERS_M), ranges, side="left"), len(TIERS_M) - 1)


def _cell_degrees(tier: int) -> float:
    return TIERS_M[tier] / METRES_PER_DEGREE


def _columns(cell_deg: float) -> int:
    return math.ceil(360.0 / cell_deg) + 2


def _keys(cameras: Cameras) -> np.ndarray:
    tiers = _tier_of(cameras.range)
    keys = np.empty(len(cameras), dtype=np.int64)
    for tier in range(len(TIERS_M)):
        mine = tiers == tier
        if not mine.any():
            continue
        cell = _cell_degrees(tier)
        rows = np.floor((cameras.lat[mine] + 90.0) / cell).astype(np.int64)
        cols = np.floor((cameras.lon[mine] + 180.0) / cell).astype(np.int64)
        keys[mine] = (np.int64(tier) << _TIER_SHIFT) + rows * _columns(cell) + cols
    return keys


@dataclass(frozen=True)
class Snapshot:
    """An immutable state of the index; a catch-up makes a new one, so a query never sees half an update."""

    base: Cameras  # sorted by key
    keys: np.ndarray
    alive: np.ndarray  # False where the overlay holds a newer version of the camera, or it was removed
    ids_order: np.ndarray  # argsort of base.ids, to find a camera's position
    overlay: Cameras  # cameras changed since the base was sorted, scanned in full

    @classmethod
    def build(cls, cameras: Cameras) -> Snapshot:
        keys = _keys(cameras)
        order = np.argsort(keys, kind="stable")
        base = cameras.take(order)
        return cls(base=base, keys=keys[order], alive=np.ones(len(base), dtype=bool),
                   ids_order=np.argsort(base.ids, kind="stable"), overlay=Cameras.empty())

    def __len__(self) -> int:
        return int(self.alive.sum()) + len(self.overlay)

    def base_positions(self, ids: np.ndarray) -> np.ndarray:
        """Positions in the base of the given camera ids that are there (any order)."""
        if not len(self.base) or not ids.size:
            return np.empty(0, dtype=np.int64)
        sorted_ids = self.base.ids[self.ids_order]
        where = np.searchsorted(sorted_ids, ids)
        where = np.minimum(where, sorted_ids.size - 1)
        hit = sorted_ids[where] == ids
        return self.ids_order[where[hit]]

    def upsert(self, changed: Cameras, removed_ids: np.ndarray) -> Snapshot:
        """A new snapshot with the changed cameras replaced (or added) and the removed ones gone."""
        touched = np.concatenate([changed.ids, removed_ids])
        alive = self.alive.copy()
        alive[self.base_positions(touched)] = False
        overlay = self.overlay
        if len(overlay):
            overlay = overlay.take(np.flatnonzero(~np.isin(overlay.ids, touched)))
        overlay = overlay.concat(changed)
        if len(overlay) > OVERLAY_LIMIT or (~alive).sum() > OVERLAY_LIMIT:
            return Snapshot.build(self.base.take(np.flatnonzero(alive)).concat(overlay))
        return Snapshot(base=self.base, keys=self.keys, alive=alive, ids_order=self.ids_order, overlay=overlay)

    def candidates(self, lon: float, lat: float, radius_m: float) -> np.ndarray:
        """Positions in the base of the live cameras in the cells that a camera seeing the disc can stand in."""
        starts, ends = [], []
        for tier, reach in enumerate(TIERS_M):
            cell = _cell_degrees(tier)
            columns = _columns(cell)
            min_lon, min_lat, max_lon, max_lat = bounding_box(lon, lat, reach + radius_m)
            first_row, last_row = (int(math.floor((v + 90.0) / cell)) for v in (min_lat, max_lat))
            first_col, last_col = (int(math.floor((v + 180.0) / cell)) for v in (min_lon, max_lon))
            rows = np.arange(first_row, last_row + 1, dtype=np.int64)
            base = (np.int64(tier) << _TIER_SHIFT) + rows * columns
            starts.append(base + first_col)
            ends.append(base + last_col + 1)
        starts_keys, ends_keys = np.concatenate(starts), np.concatenate(ends)
        lows = np.searchsorted(self.keys, starts_keys, side="left")
        highs = np.searchsorted(self.keys, ends_keys, side="left")
        lengths = highs - lows
        total = int(lengths.sum())
        if not total:
            return np.empty(0, dtype=np.int64)
        # The concatenation of every range lows[i]..highs[i], without a Python loop.
        steps = np.ones(total, dtype=np.int64)
        nonempty = lengths > 0
        firsts = np.cumsum(lengths) - lengths
        starts_nonempty = lows[nonempty]
        steps[firsts[nonempty]] = starts_nonempty - np.concatenate([[0], (highs[nonempty] - 1)[:-1]])
        positions = np.cumsum(steps)
        return positions[self.alive[positions]]

    def query(self, *, lon: float, lat: float, radius_m: float, window_end_ts: float, now_ts: float) -> Found:
        """The core query: active cameras whose sector reaches the disc and whose footage of the end of the
        window is not yet overwritten, ranked best view first."""
        picked = self.base.take(self.candidates(lon, lat, radius_m))
        if len(self.overlay):
            min_lon, min_lat, max_lon, max_lat = bounding_box(lon, lat, TIERS_M[-1] + radius_m)
            overlay = self.overlay
            near = ((overlay.lon >= min_lon) & (overlay.lon <= max_lon) & (overlay.lat >= min_lat)
                    & (overlay.lat <= max_lat))
            picked = picked.concat(overlay.take(np.flatnonzero(near)))
        candidates = len(picked)
        # Footage of window_end is still held while window_end > now - retention.
        age_days = (now_ts - window_end_ts) / SECONDS_PER_DAY
        usable = np.flatnonzero((picked.status == ACTIVE) & (picked.retention_days > age_days))
        picked = picked.take(usable)
        seen, distances, off_axis = geometry.cameras_seeing(
            lons=picked.lon, lats=picked.lat, bearings=picked.bearing, fovs=picked.fov, ranges=picked.range,
            point_lon=lon, point_lat=lat, point_radius_m=radius_m)
        order = geometry.rank(distances_m=distances, off_axis_deg=off_axis, ranges_m=picked.range[seen],
                              fovs_deg=picked.fov[seen])
        return Found(ids=picked.ids[seen][order], distances_m=distances[order], off_axis_deg=off_axis[order],
                     owner_org=picked.owner_org[seen][order], candidates=candidates)


@dataclass
class _Sync:
    """Where the catch-up stands: the start of the window of recent changes it watches, and the window's
    signature (count, newest ``updated_at``, sum of ids) when every row in it had been applied."""

    since: datetime | None = None
    signature: tuple | None = None


@dataclass
class CameraIndex:
    """The process's index. ``snapshot`` is replaced whole on every change; reads need no lock."""

    snapshot: Snapshot | None = None
    sync: _Sync = field(default_factory=_Sync)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fresh(self) -> Snapshot:
        """The snapshot, built on first use and caught up with the database's latest changes."""
        with self.lock:
            if self.snapshot is None:
                self._build()
            else:
                self._catch_up()
            return self.snapshot

    def forget(self, ids) -> None:
        """Cameras found by the index but gone from the database (deleted outright)."""
        ids = np.asarray(list(ids), dtype=np.int64)
        if not ids.size:
            return
        with self.lock:
            if self.snapshot is not None:
                self.snapshot = self.snapshot.upsert(Cameras.empty(), ids)

    def _build(self) -> None:
        # The window's signature is taken before the full read: a change committed during the read moves it,
        # and the next check reads the window again.
        since = timezone.now() - CATCH_UP_MARGIN
        signature = _signature(since)
        self.snapshot = Snapshot.build(Cameras.from_rows(_camera_rows(exclude_withdrawn=True)))
        self.sync = _Sync(since=since, signature=signature)

    def _catch_up(self) -> None:
        """Apply the rows changed in the window if its signature moved; then let the window slide forward.

        A row not yet applied carries an ``updated_at`` no older than the last check minus the margin (the
        longest a transaction may take to commit after stamping its rows, or a clock may lag), so the
        window need only reach back that far. Its start is moved on once it is twice the margin old, and
        only after a check found nothing new in it: the newer, smaller window then holds no unapplied row.
        """
        now = timezone.now()
        slide = now - self.sync.since > 2 * CATCH_UP_MARGIN
        if slide:  # the next window's signature first: a change landing between the two queries moves both
            next_since = now - CATCH_UP_MARGIN
            next_signature = _signature(next_since)
        signature = _signature(self.sync.since)
        if signature != self.sync.signature:
            changed = Cameras.from_rows(_camera_rows(since=self.sync.since))
            gone = changed.status == STATUS_CODES[Camera.Status.WITHDRAWN]
            self.snapshot = self.snapshot.upsert(changed.take(np.flatnonzero(~gone)), changed.ids[gone])
            self.sync = _Sync(since=self.sync.since, signature=signature)
        elif slide:
            self.sync = _Sync(since=next_since, signature=next_signature)


def _signature(since: datetime) -> tuple:
    summary = Camera.objects.filter(updated_at__gte=since).aggregate(count=Count("id"), newest=Max("updated_at"),
                                                                     ids=Sum("id"))
    return summary["count"], summary["newest"], summary["ids"]


def _camera_rows(*, exclude_withdrawn: bool = False, since: datetime | None = None) -> list[tuple]:
    """Camera rows as plain tuples in ``_COLUMNS`` order, straight from the database cursor (a million
    model instances would take far longer to build than the index itself)."""
    queryset = Camera.objects.all()
    if exclude_withdrawn:
        queryset = queryset.exclude(status=Camera.Status.WITHDRAWN)
    if since is not None:
        queryset = queryset.filter(updated_at__gte=since)
    sql, params = queryset.order_by().values_list(*_COLUMNS).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_index = CameraIndex()


def camera_index() -> CameraIndex:
    """This process's canvass index."""
    return _index


def camera_index_reset() -> None:
    """Drop the index; it is built again on next use (tests, and after a database is swapped)."""
    global _index
    _index = CameraIndex()


def canvass_query(*, lon: float, lat: float, radius_m: float, window_end: datetime, now: datetime,
                  snapshot: Snapshot | None = None) -> Found:
    """The core query of a canvass, on this process's index (caught up first) or on a given snapshot:
    active cameras whose sector reaches the disc of ``radius_m`` around the point and whose retention still
    holds footage of ``window_end``, best view first. Pure: no visibility rules here, see the selector."""
    snapshot = snapshot if snapshot is not None else camera_index().fresh()
    return snapshot.query(lon=lon, lat=lat, radius_m=radius_m, window_end_ts=window_end.timestamp(),
                          now_ts=now.timestamp())
