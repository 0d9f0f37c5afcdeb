"""What the public sees of crime records: generalised points and hexagon counts, and the filters of every
public answer.

Every public read goes through `PublicFilter`, which carries the agency's publication policy resolved once.
Only offense groups the policy shows at a point give points, and only from the generalised fields
(`block_address`, `public_latitude`, `public_longitude`, `public_h3_cell`): the exact place, the address,
the source's id and the NIBRS code never leave this module. Groups shown only as area counts are published
as counts per neighborhood per whole calendar month (`public_areas.py`); hidden and unclassified groups are
never read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import h3
from django.db.models import Count, Exists, F, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core.errors import Refused
from safecommons.core.forms import is_whole_number
from safecommons.core.permissions import Actor, may, require
from safecommons.crimedata import publication
from safecommons.crimedata.models import CrimeRecord, PublicationRule
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.models import Area, AreaKind

DEFAULT_DAYS = 28
MAX_DAYS = 366
EARLIEST_DATE = date(1900, 1, 1)
POINT_LIMIT = 5000  # points in one map answer; the map asks for points only when zoomed in
HEX_RESOLUTIONS = range(5, 10)  # 9 is the grid the public cells are kept at
MAP_MIN_ZOOM = 8  # the public map cannot be zoomed out further
POINT_ZOOM = 15  # from this zoom on the map shows the points, below it hexagon counts
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NEVER_PUBLIC = frozenset({OffenseGroup.UNCLASSIFIED.value})


# --- Which agency


def public_agency(*, slug: str | None = None) -> Organisation | None:
    """The agency whose records a public page shows: the one named by `slug` (Refused if there is none),
    else the agency with crime records of the lowest id, else the first agency; None when there is no agency.
    Each agency is checked with one EXISTS on the records' (agency, …) indexes, never a scan of the records."""
    agencies = Organisation.objects.filter(kind=OrganisationKind.AGENCY)
    if slug:
        agency = agencies.filter(slug=slug).first()
        if agency is None:
            raise Refused(_("There is no agency %(slug)s.") % {"slug": slug})
        return agency
    with_records = agencies.filter(Exists(CrimeRecord.objects.filter(agency_id=OuterRef("pk")))).order_by("pk")
    return with_records.first() or agencies.order_by("pk").first()


def public_neighborhoods(*, agency_id: int) -> QuerySet[Area]:
    """The agency's neighborhoods, the areas the public counts are given for."""
    return Area.objects.filter(agency_id=agency_id, kind=AreaKind.NEIGHBORHOOD).order_by("name")


def public_groups(*, agency_id: int) -> list[tuple[str, str, str]]:
    """(group, label, display) of each group the public sees, in the catalogue's order: "point" for groups
    shown at a point, "area" for those shown only as monthly counts per neighborhood. Never the
    unclassified group, whatever a rule says."""
    policy = publication.policy_for(agency_id=agency_id)
    point, area = _point_groups(policy), _area_groups(policy)
    return [(group.value, str(group.label), "point" if group.value in point else "area")
            for group in OffenseGroup if group.value in point | area]


def _point_groups(policy: publication.Policy) -> set[str]:
    # policy_for already turns a sensitive group set to "point" into "area"; kept here too, as this is the
    # last step before a point is public.
    return policy.point_groups - set(publication.SENSITIVE_GROUPS) - NEVER_PUBLIC


def _area_groups(policy: publication.Policy) -> set[str]:
    return (policy.public_groups - _point_groups(policy)) - NEVER_PUBLIC


# --- The filter


@dataclass(frozen=True)
class PublicFilter:
    """A public query: the agency, the groups it shows (already cut to its policy) and the filters."""

    agency_id: int
    point_groups: frozenset[str]
    area_groups: frozenset[str]
    min_count: Mapping[str, int]
    start: date
    end: date
    hour_from: int | None = None
    hour_to: int | None = None
    weekdays: frozenset[int] = frozenset()
    area_id: int | None = None
    groups_asked: tuple[str, ...] = ()

    @property
    def hours(self) -> list[int] | None:
        """The hours asked for, wrapping past midnight (22 to 3 is 22, 23, 0, 1, 2, 3); None for all day."""
        if self.hour_from is None and self.hour_to is None:
            return None
        first = 0 if self.hour_from is None else self.hour_from
        last = 23 if self.hour_to is None else self.hour_to
        if first <= last:
            return list(range(first, last + 1))
        return list(range(first, 24)) + list(range(0, last + 1))

    def params(self) -> list[tuple[str, str]]:
        """The filter as query parameters, to link downloads and pages to exactly this view."""
        pairs = [("start", self.start.isoformat()), ("end", self.end.isoformat())]
        pairs += [("group", group) for group in self.groups_asked]
        if self.hour_from is not None:
            pairs.append(("hour_from", str(self.hour_from)))
        if self.hour_to is not None:
            pairs.append(("hour_to", str(self.hour_to)))
        pairs += [("weekday", str(day)) for day in sorted(self.weekdays)]
        if self.area_id is not None:
            pairs.append(("area", str(self.area_id)))
        return pairs


def _values(params: Mapping, name: str) -> list[str]:
    """Every value of a parameter, repeated (`group=a&group=b`) or comma-separated, blanks dropped."""
    raw = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
    if isinstance(raw, str):
        raw = [raw]
    return [part.strip() for value in raw if value is not None for part in str(value).split(",") if part.strip()]


def _one(params: Mapping, name: str) -> str | None:
    values = _values(params, name)
    return values[-1] if values else None


def public_date(text: str | None, name: str, *, today: date | None = None) -> date | None:
    """A date of a public request, from 1900-01-01 to tomorrow; Refused, with a message for the person,
    for anything else."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Refused(_("Give %(name)s as a date, YYYY-MM-DD.") % {"name": name}) from None
    latest = (today or timezone.localdate()) + timedelta(days=1)
    if not EARLIEST_DATE <= day <= latest:
        raise Refused(_("Give %(name)s between %(first)s and %(last)s.") % {
            "name": name, "first": EARLIEST_DATE.isoformat(), "last": latest.isoformat()})
    return day


def public_window(*, start: date | None, end: date | None, default_end: date, default_days: int) -> tuple[date, date]:
    """The dates of a public request, `start` and `end` both included: the ones given, or `default_days` up
    to `default_end` (or from `start`); Refused when start is after end or they are more than `MAX_DAYS`
    apart. The map and the trends read their dates with this one rule."""
    if end is None:
        end = default_end
        if start is not None and start > end:
            end = start + timedelta(days=default_days - 1)
    if start is None:
        start = end - timedelta(days=default_days - 1)
    if start > end:
        raise Refused(_("The start date is after the end date."))
    if (end - start).days + 1 > MAX_DAYS:
        raise Refused(_("Choose at most %(days)d days at a time.") % {"days": MAX_DAYS})
    return start, end


def _hour(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not is_whole_number(text) or not 0 <= int(text) <= 23:
        raise Refused(_("Give %(name)s as an hour from 0 to 23.") % {"name": name})
    return int(text)


def _weekday(text: str) -> int:
    key = text.lower()[:3]
    if key in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(key)
    if is_whole_number(text) and 0 <= int(text) <= 6:
        return int(text)
    raise Refused(_("Give days of the week as 0 (Monday) to 6 (Sunday), or mon … sun."))


def latest_public_date(*, agency_id: int) -> date | None:
    """The last day the agency has a record of a public group on."""
    policy = publication.policy_for(agency_id=agency_id)
    groups = _point_groups(policy) | _area_groups(policy)
    return (CrimeRecord.objects.filter(agency_id=agency_id, offense_group__in=groups)
            .aggregate(latest=Max("occurred_date"))["latest"])


def public_filter_parse(*, agency: Organisation, params: Mapping, today: date | None = None) -> PublicFilter:
    """A `PublicFilter` from query parameters, refusing what makes no sense with a message for the person.

    `group` (repeated or comma-separated; default every public group), `start`/`end` (dates, default the
    28 days up to the agency's latest record or today, whichever is earlier; at most 366 days),
    `hour_from`/`hour_to` (0-23, both included, wrapping past midnight), `weekday` (0 = Monday … 6, or
    mon … sun; repeated), `area` (a neighborhood's id).
    """
    policy = publication.policy_for(agency_id=agency.pk)
    point, area = _point_groups(policy), _area_groups(policy)
    asked = _values(params, "group")
    unknown = [group for group in asked if group not in OffenseGroup.values]
    if unknown:
        raise Refused(_("There is no offense group %(group)s.") % {"group": unknown[0]})
    wanted = set(asked) if asked else point | area

    today = today or timezone.localdate()
    start = public_date(_one(params, "start"), "start", today=today)
    end = public_date(_one(params, "end"), "end", today=today)
    default_end = today
    if end is None:
        latest = latest_public_date(agency_id=agency.pk)
        default_end = min(today, latest) if latest else today
    start, end = public_window(start=start, end=end, default_end=default_end, default_days=DEFAULT_DAYS)

    area_text = _one(params, "area")
    area_id = None
    if area_text:
        known = public_neighborhoods(agency_id=agency.pk)
        if not is_whole_number(area_text) or not known.filter(pk=int(area_text)).exists():
            raise Refused(_("Choose a neighborhood from the list."))
        area_id = int(area_text)

    return PublicFilter(
        agency_id=agency.pk, point_groups=frozenset(point & wanted), area_groups=frozenset(area & wanted),
        min_count=dict(policy.min_count), start=start, end=end,
        hour_from=_hour(_one(params, "hour_from"), "hour_from"), hour_to=_hour(_one(params, "hour_to"), "hour_to"),
        weekdays=frozenset(_weekday(day) for day in _values(params, "weekday")), area_id=area_id,
        groups_asked=tuple(group for group in OffenseGroup.values if group in set(asked)),
    )


def _records(public_filter: PublicFilter, groups: frozenset[str]) -> QuerySet[CrimeRecord]:
    records = CrimeRecord.objects.filter(
        agency_id=public_filter.agency_id, offense_group__in=sorted(groups - NEVER_PUBLIC),
        occurred_date__gte=public_filter.start, occurred_date__lte=public_filter.end)
    hours = public_filter.hours
    if hours is not None and len(hours) < 24:
        records = records.filter(occurred_hour__in=hours)
    elif hours is not None:
        records = records.filter(occurred_hour__isnull=False)
    if public_filter.weekdays and len(public_filter.weekdays) < 7:
        records = records.filter(occurred_weekday__in=sorted(public_filter.weekdays))
    if public_filter.area_id is not None:
        records = records.filter(neighborhood_id=public_filter.area_id)
    return records


# --- Points


@dataclass(frozen=True)
class PublicPoint:
    """One record as the public sees it: its group, day, hour, hundred-block and generalised point."""

    offense_group: str
    label: str
    date: date
    hour: int | None
    weekday: int
    block: str
    latitude: float | None
    longitude: float | None
    area: str


# The only columns a public point is read from.
POINT_FIELDS = ("offense_group", "occurred_date", "occurred_hour", "occurred_weekday", "block_address",
                "public_latitude", "public_longitude", "neighborhood__name")


def _point_rows(public_filter: PublicFilter, bbox: tuple[float, float, float, float] | None) -> QuerySet:
    records = _records(public_filter, public_filter.point_groups)
    if bbox is not None:
        west, south, east, north = bbox
        records = records.filter(public_longitude__gte=west, public_longitude__lte=east,
                                 public_latitude__gte=south, public_latitude__lte=north)
    return records.order_by("-occurred_date", F("occurred_hour").desc(nulls_last=True), "pk")


def public_points(*, public_filter: PublicFilter, bbox: tuple[float, float, float, float] | None = None,
                  offset: int = 0, limit: int | None = None) -> Iterator[PublicPoint]:
    """The points of the groups shown at a point, newest first (a record without a public place comes with
    no point, but is still listed). `bbox` is (west, south, east, north) on the generalised points."""
    rows = _point_rows(public_filter, bbox).values_list(*POINT_FIELDS)
    rows = rows[offset:offset + limit] if limit is not None else rows[offset:]
    labels = dict(OffenseGroup.choices)
    for group, day, hour, weekday, block, lat, lon, area in rows.iterator(chunk_size=5000):
        yield PublicPoint(offense_group=group, label=str(labels[group]), date=day, hour=hour, weekday=weekday,
                          block=block, latitude=lat, longitude=lon, area=area or "")


def public_point_count(*, public_filter: PublicFilter, bbox: tuple[float, float, float, float] | None = None) -> int:
    """How many records `public_points` gives for the same filter."""
    return _point_rows(public_filter, bbox).count()


def public_point_counts_by_group(*, public_filter: PublicFilter) -> list[tuple[str, str, int]]:
    """(group, label, count) of each point group asked for. Every one of these records is public as a point,
    so the numbers need no withholding."""
    counts = dict(_records(public_filter, public_filter.point_groups).values_list("offense_group")
                  .annotate(n=Count("pk")).order_by())
    return [(group.value, str(group.label), counts.get(group.value, 0))
            for group in OffenseGroup if group.value in public_filter.point_groups]


# --- Hexagons


@dataclass(frozen=True)
class HexCount:
    cell: str
    count: int
    boundary: list[tuple[float, float]]  # (longitude, latitude), not closed


def hex_resolution_for_zoom(zoom: int) -> int:
    """The H3 resolution drawn at a web-map zoom: hexagons some 20 to 70 pixels across (zoom 10 → 7,
    12 → 8, 14 → 9)."""
    return max(HEX_RESOLUTIONS.start, min(HEX_RESOLUTIONS.stop - 1, zoom // 2 + 2))


@dataclass(frozen=True)
class HexBand:
    zoom_from: int
    zoom_to: int
    resolution: int
    side_metres: int  # the average side of a hexagon at this resolution


def hex_side_metres(resolution: int) -> int:
    """The average side of an H3 hexagon at `resolution`, in metres (a hexagon is twice that corner to
    corner)."""
    return round(h3.average_hexagon_edge_length(resolution, unit="m"))


def public_hex_bands() -> list[HexBand]:
    """The hexagons the public map draws at each band of zoom below the points, as `hex_resolution_for_zoom`
    chooses them, so that the page can say how large they are."""
    bands: list[HexBand] = []
    for zoom in range(MAP_MIN_ZOOM, POINT_ZOOM):
        resolution = hex_resolution_for_zoom(zoom)
        if bands and bands[-1].resolution == resolution:
            bands[-1] = HexBand(bands[-1].zoom_from, zoom, resolution, bands[-1].side_metres)
        else:
            bands.append(HexBand(zoom, zoom, resolution, hex_side_metres(resolution)))
    return bands


def public_hexes(*, public_filter: PublicFilter, resolution: int) -> list[HexCount]:
    """Records of the groups shown at a point, counted per H3 cell at `resolution` (5 to 9), from their
    generalised cells. Groups shown only as area counts are never in a hexagon."""
    if resolution not in HEX_RESOLUTIONS:
        raise Refused(_("Give a resolution from %(low)d to %(high)d.") % {
            "low": HEX_RESOLUTIONS.start, "high": HEX_RESOLUTIONS.stop - 1})
    per_cell = (_records(public_filter, public_filter.point_groups).filter(public_h3_cell__isnull=False)
                .values_list("public_h3_cell").annotate(n=Count("pk")).order_by())
    counts: Counter[str] = Counter()
    for cell, n in per_cell.iterator(chunk_size=10000):
        counts[h3.cell_to_parent(h3.int_to_str(cell), resolution)] += n
    return [HexCount(cell=cell, count=n,
                     boundary=[(round(lon, 6), round(lat, 6)) for lat, lon in h3.cell_to_boundary(cell)])
            for cell, n in sorted(counts.items())]


# --- Publication settings (agency admins)


@dataclass(frozen=True)
class GroupSetting:
    offense_group: str
    label: str
    display: str
    min_count: int
    sensitive: bool
    is_default: bool


def publication_agencies(*, actor: Actor) -> QuerySet[Organisation]:
    """The agencies whose publication the actor sets."""
    agencies = Organisation.objects.filter(kind=OrganisationKind.AGENCY, pk__in=actor.organisation_ids())
    return agencies.filter(pk__in=[agency.pk for agency in agencies if may(actor, "crime.publication", agency)])


def publication_settings(*, actor: Actor, agency: Organisation) -> list[GroupSetting]:
    """How the agency publishes each offense group it may set (every group but the unclassified)."""
    require(actor, "crime.publication", agency)
    policy = publication.policy_for(agency_id=agency.pk)
    ruled = set(PublicationRule.objects.filter(agency=agency).values_list("offense_group", flat=True))
    return [GroupSetting(offense_group=group.value, label=str(group.label), display=policy.display[group.value],
                         min_count=policy.min_count[group.value], sensitive=group in publication.SENSITIVE_GROUPS,
                         is_default=group.value not in ruled)
            for group in OffenseGroup if group.value not in NEVER_PUBLIC]

