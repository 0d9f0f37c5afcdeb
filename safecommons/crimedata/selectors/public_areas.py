"""What the public sees of the offense groups shown only as area counts (sex offenses, domestic violence,
offenses against children … and any group an agency sets to "area"): counts per neighborhood per whole
calendar month, and the count over all neighborhoods per month — nothing finer, nothing else.

Why this shape: a count withheld in one answer can be recovered from two answers whose filters differ a
little (all hours 4, hours 0-22 3: one offense at 23:00). So these groups get no hour, weekday, free date
range or sliding window at all. Every public answer about them — the map, its API and downloads, the trends
page and API, the public area report — is a set of cells of one table per agency, group and month, the
same cells whatever the filters, so comparing answers tells nothing that one answer does not.

Within a month (`suppress`):
- a neighborhood's count below the group's `min_count` is withheld ("fewer than N"), zero included, so
  that zeros do not say where the others are;
- the count over all neighborhoods is shown only when no withheld count can be worked out from it and the
  counts shown: at least two withheld, and their sum (the total minus the counts shown) neither 0 nor as
  large as they could all be (both would pin every one of them down). Otherwise it is withheld as well,
  and so is a total below `min_count`.
Only months that have ended are published: a month still running would give a new number each day.
Records of these groups in no neighborhood are counted nowhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.crimedata import publication
from safecommons.crimedata.models import CrimeRecord
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.places.models import Area, AreaKind

if TYPE_CHECKING:
    from safecommons.crimedata.selectors.public import PublicFilter

MAX_MONTHS = 13  # the most whole months 366 days can overlap


# --- Months


def next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def last_whole_month(today: date) -> date:
    """The first day of the last month that has ended."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def public_months(*, start: date, end: date, today: date | None = None) -> list[date]:
    """The whole calendar months (their first days) that the dates `start`…`end` overlap, leaving out
    months not yet ended; when that leaves none (a range within the current month), the last whole month.
    At most the last `MAX_MONTHS`."""
    last = last_whole_month(today or timezone.localdate())
    month, final = start.replace(day=1), min(end.replace(day=1), last)
    if month > final:
        return [last]
    months = []
    while month <= final:
        months.append(month)
        month = next_month(month)
    return months[-MAX_MONTHS:]


# --- Withholding


def suppress(counts: Mapping[Hashable, int], min_count: int) -> tuple[dict[Hashable, int | None], int | None]:
    """(each count or None when withheld, the total or None when withheld) for one group's counts of one
    month: counts below `min_count` withheld; the total only when no withheld count follows from it."""
    total = sum(counts.values())
    if min_count <= 1:
        return dict(counts), total
    withheld = [key for key, n in counts.items() if n < min_count]
    shown: dict[Hashable, int | None] = {key: (None if key in withheld else n) for key, n in counts.items()}
    if not withheld:
        return shown, total
    hidden = sum(counts[key] for key in withheld)
    # Each withheld count lies in 0 … min_count-1 and together they make `hidden`: one of them alone is
    # known; several are all known when their sum is 0 or the largest it can be.
    if total >= min_count and len(withheld) >= 2 and 0 < hidden < len(withheld) * (min_count - 1):
        return shown, total
    return shown, None


# --- The table


@dataclass(frozen=True)
class MonthCount:
    month: date
    count: int | None  # None when withheld
    min_count: int
    is_total: bool = False

    @property
    def withheld(self) -> bool:
        return self.count is None

    @property
    def month_text(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def text(self) -> str:
        if self.count is not None:
            return str(self.count)
        if self.is_total:
            return _("withheld")
        return _("fewer than %(n)d") % {"n": self.min_count}


@dataclass(frozen=True)
class AreaMonths:
    area_id: int
    name: str
    counts: list[MonthCount]


@dataclass(frozen=True)
class GroupMonthTable:
    """One area-only group: per neighborhood a count per month, and the count over all neighborhoods."""

    offense_group: str
    label: str
    min_count: int
    months: list[date]
    areas: list[AreaMonths]
    total: list[MonthCount]

    @property
    def all_withheld(self) -> bool:
        return all(c.withheld for row in self.areas for c in row.counts) and all(c.withheld for c in self.total)


def month_counts_query(*, agency_id: int, groups: list[str], months: list[date]):
    """(neighborhood id, group, month, records) of the agency's records of `groups` in `months`: one query
    bounded by the agency and the dates, on the (agency, offense group, date) or (agency, date) index."""
    return (CrimeRecord.objects.filter(agency_id=agency_id, offense_group__in=groups, occurred_date__gte=months[0],
                                       occurred_date__lt=next_month(months[-1]), neighborhood_id__isnull=False)
            .annotate(month=TruncMonth("occurred_date")).values_list("neighborhood_id", "offense_group", "month")
            .annotate(n=Count("pk")).order_by())


def area_month_tables(*, agency_id: int, groups: Iterable[str], months: list[date], min_count: Mapping[str, int],
                      area_id: int | None = None) -> list[GroupMonthTable]:
    """The published table of each of `groups` (groups the agency shows only as area counts) for `months`,
    withheld as `suppress` says over every neighborhood of the agency; with `area_id`, the rows of that
    neighborhood only (the same cells, never worked out again for it)."""
    wanted = [group for group in OffenseGroup if group.value in set(groups)]
    if not wanted or not months:
        return []
    names = dict(Area.objects.filter(agency_id=agency_id, kind=AreaKind.NEIGHBORHOOD).order_by("name")
                 .values_list("pk", "name"))
    order = sorted(names, key=lambda pk: (names[pk], pk))
    rows = month_counts_query(agency_id=agency_id, groups=[g.value for g in wanted], months=months)
    numbers: dict[tuple[int, str, date], int] = {}
    for neighborhood, group, month, n in rows:
        month = month.date() if isinstance(month, datetime) else month
        numbers[(neighborhood, group, month)] = numbers.get((neighborhood, group, month), 0) + n
    tables = []
    for group in wanted:
        least = max(min_count.get(group.value, publication.DEFAULT_MIN_COUNT), 1)
        cells: dict[int, list[MonthCount]] = {pk: [] for pk in order}
        totals = []
        for month in months:
            shown, total = suppress({pk: numbers.get((pk, group.value, month), 0) for pk in order}, least)
            for pk in order:
                cells[pk].append(MonthCount(month=month, count=shown[pk], min_count=least))
            totals.append(MonthCount(month=month, count=total, min_count=least, is_total=True))
        listed = [pk for pk in order if area_id is None or pk == area_id]
        tables.append(GroupMonthTable(offense_group=group.value, label=str(group.label), min_count=least,
                                      months=list(months), total=totals,
                                      areas=[AreaMonths(area_id=pk, name=names[pk], counts=cells[pk])
                                             for pk in listed]))
    return tables


def public_area_tables(*, public_filter: PublicFilter, today: date | None = None) -> list[GroupMonthTable]:
    """The monthly tables of the area-only groups a public filter asks for: the whole months its dates
    overlap, its neighborhood if it names one; its hours and weekdays do not apply to these groups."""
    return area_month_tables(
        agency_id=public_filter.agency_id, groups=public_filter.area_groups, min_count=public_filter.min_count,
        months=public_months(start=public_filter.start, end=public_filter.end, today=today),
        area_id=public_filter.area_id)
