"""Reads for crime analysts: offense × hour × weekday, counts by area and premise type (CompStat is in
`selectors/compstat.py`, hotspots in `selectors/hotspots.py`).

Staff selectors take the actor and the agency and check "crime.analytics" first; the `*_counts` functions
below them are the unscoped arithmetic, shared with the public trends (`selectors/trends.py`), which apply
the publication policy on top.

The heat table reads the `YearlyCount` summary for the whole years of a date range, `HourlyCount` for the
other whole months, and the records only for the part-months at its edges (and the records alone when a
neighborhood is asked for: the summaries have no place), so that it answers from thousands of rows whatever
the number of records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum

from safecommons.core.permissions import Actor, require
from safecommons.core.roles import AGENCY_ROLES
from safecommons.crimedata.dates import next_month
from safecommons.crimedata.models import CrimeRecord, HourlyCount, YearlyCount
from safecommons.crimedata.nibrs import OFFENSES, OffenseGroup
from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.models import Area, AreaKind

BY_GROUP = "group"
BY_CODE = "code"
WEEKDAYS = range(7)
HOURS = range(24)


@dataclass(frozen=True)
class Filters:
    """What to count: records of the local dates start..end (both included), of some offense groups (all when
    empty), in one neighborhood (anywhere when None), keyed by offense group or by NIBRS code."""

    start: date
    end: date
    groups: frozenset[str] = frozenset()
    neighborhood_id: int | None = None
    by: str = BY_GROUP

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


# --- Who and where


def analytics_agency(*, actor: Actor, agency_id: int | None = None) -> Organisation:
    """The agency whose analytics the actor reads: the one asked for, or their first. PermissionDenied when
    they hold no agency role there (or none anywhere)."""
    if agency_id is None:
        ids = sorted(actor.organisation_ids(AGENCY_ROLES)) if actor.api_key_id is None else []
        if not ids:
            raise PermissionDenied("crime.analytics")
        agency_id = ids[0]
    agency = Organisation.objects.filter(pk=agency_id, kind=OrganisationKind.AGENCY).first()
    if agency is None:
        raise PermissionDenied("crime.analytics")
    require(actor, "crime.analytics", agency)
    return agency


def analytics_agencies(*, actor: Actor) -> list[Organisation]:
    """Every agency whose analytics the actor reads (for a chooser)."""
    ids = actor.organisation_ids(AGENCY_ROLES) if actor.api_key_id is None else set()
    return list(Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.AGENCY).order_by("name"))


def neighborhoods_of(*, agency: Organisation) -> list[Area]:
    """The agency's neighborhoods, by name."""
    return list(Area.objects.filter(agency=agency, kind=AreaKind.NEIGHBORHOOD).order_by("name"))


def neighborhood_get(*, agency: Organisation, area_id: int) -> Area:
    """One of the agency's neighborhoods (Area.DoesNotExist for anything else)."""
    return Area.objects.get(pk=area_id, agency=agency, kind=AreaKind.NEIGHBORHOOD)


# --- Offense × hour × weekday


@dataclass
class HeatTable:
    """Counts per (offense key, weekday, hour); hour None for records whose hour is unknown."""

    by: str
    counts: dict[tuple[str, int, int | None], int]
    keys: list[str] = field(default_factory=list)  # most records first

    def __post_init__(self) -> None:
        if not self.keys:
            totals = self.key_totals()
            self.keys = sorted(totals, key=lambda key: (-totals[key], key))

    def key_totals(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for (key, _weekday, _hour), n in self.counts.items():
            totals[key] += n
        return dict(totals)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def weekday_hour(self) -> list[list[int]]:
        """7 rows (Monday first) of 24 hours: every offense together; unknown hours left out."""
        grid = [[0] * 24 for _ in WEEKDAYS]
        for (_key, weekday, hour), n in self.counts.items():
            if hour is not None:
                grid[weekday][hour] += n
        return grid

    def key_hour(self) -> list[list[int]]:
        """One row per key (in `keys` order) of 24 hours."""
        rows = {key: [0] * 24 for key in self.keys}
        for (key, _weekday, hour), n in self.counts.items():
            if hour is not None:
                rows[key][hour] += n
        return [rows[key] for key in self.keys]

    def key_weekday(self) -> list[list[int]]:
        """One row per key of 7 weekdays (unknown hours included)."""
        rows = {key: [0] * 7 for key in self.keys}
        for (key, weekday, _hour), n in self.counts.items():
            rows[key][weekday] += n
        return [rows[key] for key in self.keys]

    def unknown_hour(self) -> int:
        return sum(n for (_key, _weekday, hour), n in self.counts.items() if hour is None)


def key_label(key: str, by: str) -> str:
    """What a reader calls an offense key: the group's name, or the NIBRS code and its offense's name."""
    if by == BY_CODE:
        offense = OFFENSES.get(key)
        return f"{key} {offense.name}" if offense else (key or "—")
    try:
        return str(OffenseGroup(key).label)
    except ValueError:
        return key


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """[first, stop): the first days of the months wholly inside start..end, or None when there are none."""
    first = start if start.day == 1 else next_month(start.replace(day=1))
    after = end + timedelta(days=1)
    stop = after if after.day == 1 else after.replace(day=1)
    return (first, stop) if first < stop else None


def whole_years(first: date, stop: date) -> tuple[int, int] | None:
    """[first year, stop year): the years wholly inside the months [first, stop), or None."""
    low = first.year if (first.month, first.day) == (1, 1) else first.year + 1
    high = stop.year
    return (low, high) if low < high else None


def heat_counts(*, agency_id: int, filters: Filters) -> HeatTable:
    """Offense × weekday × hour for one agency, unscoped: the summary for whole months, records for the rest."""
    code_field = "nibrs_code" if filters.by == BY_CODE else "offense_group"
    records = CrimeRecord.objects.filter(agency_id=agency_id)
    if filters.groups:
        records = records.filter(offense_group__in=sorted(filters.groups))
    counts: dict[tuple[str, int, int | None], int] = defaultdict(int)
    months = None if filters.neighborhood_id is not None else whole_months(filters.start, filters.end)
    if filters.neighborhood_id is not None:
        records = records.filter(neighborhood_id=filters.neighborhood_id)
    if months is None:
        edges = Q(occurred_date__gte=filters.start, occurred_date__lte=filters.end)
    else:
        first, stop = months
        edges = (Q(occurred_date__gte=filters.start, occurred_date__lt=first)
                 | Q(occurred_date__gte=stop, occurred_date__lte=filters.end))
        summaries = []
        years = whole_years(first, stop)
        if years is None:
            summaries.append(HourlyCount.objects.filter(agency_id=agency_id, month__gte=first, month__lt=stop))
        else:
            summaries.append(YearlyCount.objects.filter(agency_id=agency_id, year__gte=years[0], year__lt=years[1]))
            year_start, year_stop = date(years[0], 1, 1), date(years[1], 1, 1)
            if first < year_start or year_stop < stop:
                summaries.append(HourlyCount.objects.filter(
                    Q(month__gte=first, month__lt=year_start) | Q(month__gte=year_stop, month__lt=stop),
                    agency_id=agency_id))
        for summary in summaries:
            if filters.groups:
                summary = summary.filter(offense_group__in=sorted(filters.groups))
            for key, weekday, hour, n in (summary.values_list(code_field, "weekday", "hour")
                                          .annotate(n=Sum("count")).order_by()):
                counts[(key, weekday, hour)] += n
    if months is None or filters.start < months[0] or months[1] <= filters.end:
        for key, weekday, hour, n in (records.filter(edges)
                                      .values_list(code_field, "occurred_weekday", "occurred_hour")
                                      .annotate(n=Count("id")).order_by()):
            counts[(key, weekday, hour)] += n
    return HeatTable(by=filters.by, counts=dict(counts))


def heat_table(*, actor: Actor, agency: Organisation, filters: Filters) -> HeatTable:
    """Offense (group or NIBRS code) × weekday × hour of the agency's records matching `filters`."""
    require(actor, "crime.analytics", agency)
    return heat_counts(agency_id=agency.pk, filters=filters)


# --- By area and by premise type


@dataclass(frozen=True)
class CountRow:
    key: str  # an area's id (as text; "" for records in no neighborhood) or a premise type
    label: str
    count: int


def records_matching(*, agency_id: int, filters: Filters) -> QuerySet[CrimeRecord]:
    """The agency's records of the filters' dates, groups and neighborhood, unscoped."""
    records = CrimeRecord.objects.filter(agency_id=agency_id, occurred_date__gte=filters.start,
                                         occurred_date__lte=filters.end)
    if filters.groups:
        records = records.filter(offense_group__in=sorted(filters.groups))
    if filters.neighborhood_id is not None:
        records = records.filter(neighborhood_id=filters.neighborhood_id)
    return records


def area_group_counts(*, agency_id: int, filters: Filters) -> dict[tuple[int | None, str], int]:
    """(neighborhood id or None, offense group) → records, unscoped."""
    rows = (records_matching(agency_id=agency_id, filters=filters).values_list("neighborhood_id", "offense_group")
            .annotate(n=Count("id")).order_by())
    return {(area_id, group): n for area_id, group, n in rows}


def area_counts(*, actor: Actor, agency: Organisation, filters: Filters) -> list[CountRow]:
    """Records per neighborhood (most first), with the records placed in none last."""
    require(actor, "crime.analytics", agency)
    totals: dict[int | None, int] = defaultdict(int)
    for (area_id, _group), n in area_group_counts(agency_id=agency.pk, filters=filters).items():
        totals[area_id] += n
    names = dict(Area.objects.filter(pk__in=[k for k in totals if k is not None]).values_list("pk", "name"))
    rows = [CountRow(key=str(area_id), label=names.get(area_id, str(area_id)), count=n)
            for area_id, n in totals.items() if area_id is not None]
    rows.sort(key=lambda row: (-row.count, row.label))
    if totals.get(None):
        rows.append(CountRow(key="", label="", count=totals[None]))
    return rows


def premise_counts(*, actor: Actor, agency: Organisation, filters: Filters) -> list[CountRow]:
    """Records per premise type as the source names it (most first); "" for records without one."""
    require(actor, "crime.analytics", agency)
    rows = (records_matching(agency_id=agency.pk, filters=filters).values_list("premise_type")
            .annotate(n=Count("id")).order_by())
    out = [CountRow(key=premise, label=premise, count=n) for premise, n in rows]
    out.sort(key=lambda row: (row.key == "", -row.count, row.label))
    return out
