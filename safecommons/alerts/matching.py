"""Which subscriptions an alert (or a newsletter) reaches: by place, topic, agency, test list and scope.

The index
---------
Every ACTIVE subscription is kept in memory as rows of numpy columns: a *disk* row (its H3 resolution-9
cell and radius) when it has a place, and one *area* row per named area it picked. Each row carries the
subscription id, agency, topic mask and two flags (on the test list; held by an organisation).

Disk rows are sorted by (cell, radius) and numbered by *group*: a city of a million subscriptions has some
thousands of distinct (cell, radius) pairs, so matching measures the distance from the alert's area to
each group's disk once (a bounding-box prefilter, then `shapely.dwithin` on the whole array, in a local
metric plane) and expands the groups that hit to their rows with one numpy gather. Area rows match when
their area intersects the alert's area or is named by the alert.

Staying fresh
-------------
As `cameras/index.py` does: built from the database on first use in a process, then, before each match,
caught up with the subscriptions whose `updated_at` moved (one aggregate over a window reaching
`CATCH_UP_MARGIN` back; the rows are re-read only when its signature changed). Changed subscriptions are
masked out of the sorted base and kept in a small overlay that every match scans, until it grows past
`OVERLAY_LIMIT` and is merged. An index a moment stale cannot deliver to someone who left: the fan-out's
INSERT re-checks the subscription's status and the channel in the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import h3
import numpy as np
import shapely
from django.db import connection
from django.db.models import Count, Max, Sum
from django.utils import timezone

from safecommons.alerts.geometry import METRES_PER_DEGREE, alert_area_shape, area_shape, plane_around
from safecommons.alerts.models import TOPIC_BITS, Alert, Subscription, Topic
from safecommons.places.models import Area

CATCH_UP_MARGIN = timedelta(minutes=2)
# A subscription keeps only its H3 resolution-9 cell, not the address: the home may be anywhere in the cell,
# up to about 221 m from its centre (the farthest corner of any resolution-9 cell on Earth). Every disk is
# therefore measured from the cell's centre with this added to the subscriber's radius, so nobody within
# their chosen distance is missed; the price is reaching a little beyond it (docs/alert-delivery.md).
CELL_MARGIN_M = 260
OVERLAY_LIMIT = 20_000
TEST_LIST = 1
HELD_BY_ORGANISATION = 2


@dataclass(frozen=True)
class Rows:
    """Columns of index rows, all of one length. A disk row has area 0; an area row has cell 0."""

    ids: np.ndarray  # subscription id
    agency: np.ndarray
    mask: np.ndarray
    flags: np.ndarray
    cell: np.ndarray
    radius: np.ndarray
    area: np.ndarray

    @classmethod
    def empty(cls) -> Rows:
        return cls.from_rows([], [])

    @classmethod
    def from_rows(cls, subscriptions: list[tuple], links: list[tuple]) -> Rows:
        """From (id, agency_id, topic_mask, test_list, organisation_id, cell, radius_m) subscription tuples and
        (subscription_id, area_id) links. Links of subscriptions not given are ignored."""
        by_id = {row[0]: row for row in subscriptions}
        disks = [row for row in subscriptions if row[5] is not None and row[6]]
        areas = [(by_id[sub_id], area_id) for sub_id, area_id in links if sub_id in by_id]
        count = len(disks) + len(areas)

        def column(disk_value, area_value, dtype) -> np.ndarray:
            values = [disk_value(row) for row in disks] + [area_value(row, area) for row, area in areas]
            return np.fromiter(values, dtype=dtype, count=count)

        def flags(row) -> int:
            return (TEST_LIST if row[3] else 0) | (HELD_BY_ORGANISATION if row[4] else 0)

        return cls(
            ids=column(lambda r: r[0], lambda r, a: r[0], np.int64),
            agency=column(lambda r: r[1], lambda r, a: r[1], np.int64),
            mask=column(lambda r: r[2], lambda r, a: r[2], np.int64),
            flags=column(flags, lambda r, a: flags(r), np.int8),
            cell=column(lambda r: r[5], lambda r, a: 0, np.int64),
            radius=column(lambda r: r[6], lambda r, a: 0, np.float64),
            area=column(lambda r: 0, lambda r, a: a, np.int64),
        )

    def __len__(self) -> int:
        return int(self.ids.size)

    def take(self, positions) -> Rows:
        return Rows(**{name: getattr(self, name)[positions] for name in self.__dataclass_fields__})

    def concat(self, other: Rows) -> Rows:
        return Rows(**{name: np.concatenate([getattr(self, name), getattr(other, name)])
                       for name in self.__dataclass_fields__})


_centres: dict[int, tuple[float, float]] = {}


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lons, lats) of the centres of H3 cells (int form); remembered, there are only so many in a city."""
    lons, lats = np.empty(cells.size), np.empty(cells.size)
    for position, cell in enumerate(cells.tolist()):
        centre = _centres.get(cell)
        if centre is None:
            lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
            centre = _centres[cell] = (lon, lat)
        lons[position], lats[position] = centre
    return lons, lats


@dataclass(frozen=True)
class Query:
    """What a match asks for: the area, the ids of named areas that count as hit, and the filters."""

    shape: shapely.Geometry
    hit_areas: np.ndarray
    agency_id: int
    topic_bit: int
    test_list_only: bool = False
    organisations_only: bool = False


def _disks_hit(shape: shapely.Geometry, lons: np.ndarray, lats: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Which disks (centre lon/lat, radius in metres) intersect the shape: a box prefilter, then the exact
    distance in the local plane."""
    hit = np.zeros(lons.size, dtype=bool)
    if shape.is_empty or not lons.size:
        return hit
    plane = plane_around(shape)
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    pad_lat = radii / METRES_PER_DEGREE
    pad_lon = radii / plane.metres_per_degree_lon * 1.01
    near = np.flatnonzero((lons >= min_lon - pad_lon) & (lons <= max_lon + pad_lon)
                          & (lats >= min_lat - pad_lat) & (lats <= max_lat + pad_lat))
    if not near.size:
        return hit
    projected = plane.project(shape)
    shapely.prepare(projected)
    xs, ys = plane.project_xy(lons[near], lats[near])
    hit[near] = shapely.dwithin(projected, shapely.points(xs, ys), radii[near])
    return hit


@dataclass(frozen=True)
class Snapshot:
    """An immutable state of the index; a catch-up makes a new one, so a match never sees half an update."""

    base: Rows  # disk rows sorted by (cell, radius), then area rows
    group_of: np.ndarray  # per base row: its (cell, radius) group, -1 for an area row
    group_lon: np.ndarray
    group_lat: np.ndarray
    group_radius: np.ndarray  # the subscribers' radius plus CELL_MARGIN_M: the distance matched against
    alive: np.ndarray  # False where the subscription changed (the overlay holds it) or ended
    overlay: Rows

    @classmethod
    def build(cls, rows: Rows) -> Snapshot:
        is_disk = rows.area == 0
        order = np.lexsort((rows.radius, rows.cell, ~is_disk))  # disk rows first, by cell then radius
        base = rows.take(order)
        disks = int(is_disk.sum())
        cells, radii = base.cell[:disks], base.radius[:disks]
        new_group = np.r_[True, (cells[1:] != cells[:-1]) | (radii[1:] != radii[:-1])] if disks else \
            np.empty(0, dtype=bool)
        starts = np.flatnonzero(new_group)
        group_of = np.full(len(base), -1, dtype=np.int64)
        group_of[:disks] = np.cumsum(new_group) - 1
        lons, lats = cell_centres(cells[starts])
        return cls(base=base, group_of=group_of, group_lon=lons, group_lat=lats,
                   group_radius=radii[starts] + CELL_MARGIN_M,
                   alive=np.ones(len(base), dtype=bool), overlay=Rows.empty())

    @property
    def subscriptions(self) -> int:
        return int(np.unique(np.concatenate([self.base.ids[self.alive], self.overlay.ids])).size)

    def upsert(self, changed: Rows, touched_ids: np.ndarray) -> Snapshot:
        """A new snapshot where every row of the touched subscriptions is replaced by `changed` (which holds
        the rows of those still active)."""
        alive = self.alive & ~np.isin(self.base.ids, touched_ids)
        overlay = self.overlay
        if len(overlay):
            overlay = overlay.take(np.flatnonzero(~np.isin(overlay.ids, touched_ids)))
        overlay = overlay.concat(changed)
        if len(overlay) > OVERLAY_LIMIT or int((~alive).sum()) > OVERLAY_LIMIT:
            return Snapshot.build(self.base.take(np.flatnonzero(alive)).concat(overlay))
        return Snapshot(base=self.base, group_of=self.group_of, group_lon=self.group_lon, group_lat=self.group_lat,
                        group_radius=self.group_radius, alive=alive, overlay=overlay)

    @staticmethod
    def _wanted(rows: Rows, query: Query) -> np.ndarray:
        wanted = (rows.agency == query.agency_id) & ((rows.mask & query.topic_bit) != 0)
        if query.test_list_only:
            wanted &= (rows.flags & TEST_LIST) != 0
        if query.organisations_only:
            wanted &= (rows.flags & HELD_BY_ORGANISATION) != 0
        return wanted

    def match(self, query: Query) -> np.ndarray:
        """Sorted ids of the subscriptions the query reaches."""
        group_hit = _disks_hit(query.shape, self.group_lon, self.group_lat, self.group_radius)
        base_hit = np.zeros(len(self.base), dtype=bool)
        is_disk = self.group_of >= 0
        base_hit[is_disk] = group_hit[self.group_of[is_disk]]
        if query.hit_areas.size:
            base_hit |= np.isin(self.base.area, query.hit_areas) & ~is_disk
        base_hit &= self.alive
        positions = np.flatnonzero(base_hit)
        found = [self.base.ids[positions[self._wanted(self.base.take(positions), query)]]]
        overlay = self.overlay
        if len(overlay):
            overlay_hit = np.zeros(len(overlay), dtype=bool)
            disk = np.flatnonzero(overlay.area == 0)
            lons, lats = cell_centres(overlay.cell[disk])
            overlay_hit[disk] = _disks_hit(query.shape, lons, lats, overlay.radius[disk] + CELL_MARGIN_M)
            overlay_hit |= np.isin(overlay.area, query.hit_areas) & (overlay.area != 0)
            overlay_hit &= self._wanted(overlay, query)
            found.append(overlay.ids[overlay_hit])
        return np.unique(np.concatenate(found))


@dataclass
class _Sync:
    since: datetime | None = None
    signature: tuple | None = None


@dataclass
class SubscriptionIndex:
    """The process's index. `snapshot` is replaced whole on every change; reads need no lock."""

    snapshot: Snapshot | None = None
    sync: _Sync = field(default_factory=_Sync)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fresh(self) -> Snapshot:
        """The snapshot, built on first use and caught up with the database's latest changes."""
        with self.lock:
            if self.snapshot is None:
                since = timezone.now() - CATCH_UP_MARGIN
                signature = _signature(since)  # before the full read: a change during it moves the signature
                self.snapshot = Snapshot.build(_read_rows())
                self.sync = _Sync(since=since, signature=signature)
            else:
                self._catch_up()
            return self.snapshot

    def _catch_up(self) -> None:
        """Apply the subscriptions changed in the window if its signature moved, then move the window's start
        up to the newest change seen less the margin; let it slide forward once it is twice the margin old
        and nothing new was found in it (as cameras/index.py explains)."""
        now = timezone.now()
        since = self.sync.since
        slide = now - since > 2 * CATCH_UP_MARGIN
        if slide:  # taken first: a change made after it shows in the current window's signature below
            slid_since = now - CATCH_UP_MARGIN
            slid_signature = _signature(slid_since)
        signature = _signature(since)
        if signature != self.sync.signature:
            newest = signature[1]
            next_since = max(since, min(newest, now) - CATCH_UP_MARGIN) if newest is not None else since
            # The next window's signature is taken before the rows are read: a change made during the read
            # moves it, and the next catch-up reads again (twice is harmless; never is not).
            next_signature = _signature(next_since) if next_since != since else signature
            touched = np.fromiter(Subscription.objects.filter(updated_at__gte=since)
                                  .values_list("id", flat=True), dtype=np.int64)
            self.snapshot = self.snapshot.upsert(_read_rows(since=since), touched)
            self.sync = _Sync(since=next_since, signature=next_signature)
        elif slide:
            self.sync = _Sync(since=slid_since, signature=slid_signature)


def _signature(since: datetime) -> tuple:
    summary = Subscription.objects.filter(updated_at__gte=since).aggregate(
        count=Count("id"), newest=Max("updated_at"), ids=Sum("id"))
    return summary["count"], summary["newest"], summary["ids"]


def _read_rows(*, since: datetime | None = None) -> Rows:
    """The active subscriptions (changed since `since`, if given) and their named areas, read as plain
    tuples straight from the cursor: a million model instances would take longer than the index itself."""
    subscriptions = Subscription.objects.filter(status=Subscription.Status.ACTIVE).order_by()
    if since is not None:
        subscriptions = subscriptions.filter(updated_at__gte=since)
    links = Subscription.areas.through.objects.filter(subscription__in=subscriptions).order_by()
    with connection.cursor() as cursor:
        cursor.execute(*subscriptions.values_list("id", "agency_id", "topic_mask", "test_list", "organisation_id",
                                                  "cell", "radius_m").query.sql_with_params())
        subscription_rows = cursor.fetchall()
        cursor.execute(*links.values_list("subscription_id", "area_id").query.sql_with_params())
        link_rows = cursor.fetchall()
    return Rows.from_rows(subscription_rows, link_rows)


_index = SubscriptionIndex()


def subscription_index() -> SubscriptionIndex:
    """This process's matching index."""
    return _index


def subscription_index_reset() -> None:
    """Drop the index; it is built again on next use (tests, and after a database is swapped)."""
    global _index
    _index = SubscriptionIndex()


def _areas_hit(*, agency_id: int, shape: shapely.Geometry, named: list[int]) -> np.ndarray:
    """Ids of the agency's named areas that intersect the shape, plus those named outright."""
    hit = set(named)
    if not shape.is_empty:
        min_lon, min_lat, max_lon, max_lat = shape.bounds
        candidates = Area.objects.filter(agency_id=agency_id, min_lon__lte=max_lon, max_lon__gte=min_lon,
                                         min_lat__lte=max_lat, max_lat__gte=min_lat).exclude(pk__in=hit)
        shapely.prepare(shape)
        for area in candidates.only("id", "geometry"):
            if shape.intersects(area_shape(area)):
                hit.add(area.pk)
    return np.fromiter(sorted(hit), dtype=np.int64, count=len(hit))


def alert_query(alert: Alert) -> Query:
    """The match an alert asks for: its area and topic, its agency; the test list only for a drill or test,
    organisations only for a restricted alert."""
    shape = alert_area_shape(alert)
    named = list(alert.areas.values_list("id", flat=True)) if alert.pk else []
    return Query(shape=shape, hit_areas=_areas_hit(agency_id=alert.agency_id, shape=shape, named=named),
                 agency_id=alert.agency_id, topic_bit=TOPIC_BITS[alert.topic], test_list_only=alert.is_drill,
                 organisations_only=alert.scope == Alert.Scope.RESTRICTED)


def drill_recipients(agency_id: int) -> np.ndarray:
    """Sorted ids of the agency's active test-list subscriptions, straight from the database: a drill or a
    test alert reaches all of them, wherever they are (an address put on the test list has no place)."""
    found = (Subscription.objects.filter(agency_id=agency_id, test_list=True, status=Subscription.Status.ACTIVE)
             .order_by("id").values_list("id", flat=True))
    return np.fromiter(found, dtype=np.int64)


def alert_matches(alert: Alert, *, snapshot: Snapshot | None = None) -> np.ndarray:
    """Sorted ids of the active subscriptions an alert reaches (on this process's index, caught up first);
    for a drill or a test, the agency's whole test list, whatever its area."""
    if alert.is_drill:
        return drill_recipients(alert.agency_id)
    snapshot = snapshot if snapshot is not None else subscription_index().fresh()
    return snapshot.match(alert_query(alert))


def newsletter_matches(newsletter, *, snapshot: Snapshot | None = None) -> np.ndarray:
    """Sorted ids of the active newsletter subscriptions whose named areas include the newsletter's area or
    whose disk reaches into it."""
    snapshot = snapshot if snapshot is not None else subscription_index().fresh()
    query = Query(shape=area_shape(newsletter.area), hit_areas=np.array([newsletter.area_id], dtype=np.int64),
                  agency_id=newsletter.agency_id, topic_bit=TOPIC_BITS[Topic.NEWSLETTER])
    return snapshot.match(query)
