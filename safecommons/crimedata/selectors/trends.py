"""The public subset of the analytics (/crime/trends/): counts by offense group only, for the groups the
agency publishes (`public.public_groups`), with small counts withheld.

Groups shown at a point (their records are on the public map one by one anyway):
- The finest cells are published: group × weekday × hour (with "hour unknown"), group × neighborhood, and
  group × CompStat period (the staff CompStat's periods, flagged page-wide as it flags them, over the counts
  shown). A cell below the group's `min_count` (zero included) is withheld: "fewer than N".
- When a group's cells leave exactly one withheld, the smallest shown one is withheld too.
- Every total on the page is the sum of the numbers shown, never of the records, and carries no
  significance flag (a flag on such sums could be an artefact of the withholding).
Groups shown only as area counts get none of that: no hour, weekday, date range or CompStat window, only the
monthly table per neighborhood of `public_areas.py`, the same cells the map gives.
No hotspots: a statistic on single cells of a fine grid is what the withholding is there to prevent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core.errors import Refused
from safecommons.core.forms import is_whole_number
from safecommons.crimedata import stats
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.crimedata.publication import Policy, policy_for
from safecommons.crimedata.selectors import analytics, compstat, public, public_areas
from safecommons.partners.models import Organisation
from safecommons.places.models import Area, AreaKind

UNKNOWN_HOUR = 24  # the 25th column of a public weekday row
DEFAULT_DAYS = 365


def withhold(values: dict, threshold: int) -> dict:
    """The values with those below `threshold` replaced by None; if that leaves exactly one None among
    several, and it hides a record (a count above zero), the smallest remaining value is withheld as well.

    These tables are of the groups shown at a point, so a zero is no secret (the map shows nothing there);
    withholding a real count beside it would only hide what the map shows anyway."""
    out = {key: (value if value >= threshold else None) for key, value in values.items()}
    hidden = [key for key, value in out.items() if value is None]
    shown = [key for key, value in out.items() if value is not None]
    if len(hidden) == 1 and shown and values[hidden[0]] > 0:
        out[min(shown, key=lambda key: (out[key], str(key)))] = None
    return out


@dataclass(frozen=True)
class TrendsQuery:
    """A public trends request, read and checked."""

    filters: analytics.Filters
    as_of: date
    group: str


def trends_query_parse(*, agency: Organisation, params: Mapping, today: date | None = None) -> TrendsQuery:
    """`start`, `end` (default the 365 days up to `as_of`; at most 366 days), `as_of` (default yesterday),
    `group` (one offense group), `neighborhood` (an area id), with the map's date rules (`public_date`,
    `public_window`); Refused with a message for the person when something is wrong."""
    today = today or timezone.localdate()
    as_of = public.public_date(params.get("as_of"), "as_of", today=today) or today - timedelta(days=1)
    start, end = public.public_window(start=public.public_date(params.get("start"), "start", today=today),
                                      end=public.public_date(params.get("end"), "end", today=today),
                                      default_end=as_of, default_days=DEFAULT_DAYS)
    group = params.get("group") or ""
    if group and group not in OffenseGroup.values:
        raise Refused(_("There is no offense group %(group)s.") % {"group": group})
    neighborhood_id = None
    if params.get("neighborhood"):
        text = str(params.get("neighborhood"))
        known = public.public_neighborhoods(agency_id=agency.pk)
        if not is_whole_number(text) or not known.filter(pk=int(text)).exists():
            raise Refused(_("Choose a neighborhood from the list."))
        neighborhood_id = int(text)
    filters = analytics.Filters(start=start, end=end, groups=frozenset([group]) if group else frozenset(),
                                neighborhood_id=neighborhood_id)
    return TrendsQuery(filters=filters, as_of=as_of, group=group)


@dataclass(frozen=True)
class PublicCompstatRow:
    group: str  # "" for the total of the counts shown
    current: int | None
    prior: int | None  # None also for the year to date, which has no period before
    last_year: int | None
    prior_change: stats.Change | None  # None when either count is withheld (and for the year to date)
    last_year_change: stats.Change | None


@dataclass(frozen=True)
class PublicCompstatPeriod:
    name: str
    current: compstat.Period
    prior: compstat.Period | None  # None for the year to date: compared with last year only
    last_year: compstat.Period
    rows: list[PublicCompstatRow]
    # False: that comparison's period starts before the agency's data, so it is not made ("no data"): its
    # counts are None (not withheld) and it has no test.
    prior_covered: bool = True
    last_year_covered: bool = True


@dataclass(frozen=True)
class PublicArea:
    area_id: int | None
    name: str
    counts: dict[str, int | None]  # group → count (None: withheld)
    total: int  # of the counts shown


@dataclass(frozen=True)
class PublicTrends:
    agency: Organisation
    filters: analytics.Filters
    as_of: date
    groups: list[str]  # the public groups asked for, in catalogue order
    min_count: dict[str, int]
    heat: dict[str, list[list[int | None]]]  # group → 7 weekdays × 25 (24 hours, then "hour unknown")
    areas: list[PublicArea]
    compstat: list[PublicCompstatPeriod]
    # The groups shown only as area counts: their monthly tables, and nothing else of them.
    monthly: list[public_areas.GroupMonthTable]
    coverage_start: date | None = None  # the agency's first day of data

    def combined(self) -> list[list[int]]:
        """7 × 24: the shown cells of every group added up (hour unknown left out)."""
        grid = [[0] * 24 for _ in range(7)]
        for rows in self.heat.values():
            for weekday, row in enumerate(rows):
                for hour in range(24):
                    grid[weekday][hour] += row[hour] or 0
        return grid

    def group_totals(self) -> dict[str, int]:
        return {group: sum(value or 0 for row in rows for value in row) for group, rows in self.heat.items()}


def _public_heat(table: analytics.HeatTable, groups: list[str], policy: Policy) -> dict:
    heat = {}
    for group in groups:
        cells = {(weekday, hour): table.counts.get((group, weekday, None if hour == UNKNOWN_HOUR else hour), 0)
                 for weekday in range(7) for hour in range(25)}
        shown = withhold(cells, policy.min_count[group])
        heat[group] = [[shown[(weekday, hour)] for hour in range(25)] for weekday in range(7)]
    return heat


def _public_areas(counts: dict, groups: list[str], policy: Policy, agency: Organisation,
                  neighborhood_id: int | None) -> list[PublicArea]:
    # Withheld over the whole table, whatever the filter, then cut to the neighborhood asked for: a cell is the
    # same in every answer (a table of one neighborhood and "outside", usually 0, would otherwise withhold the
    # neighborhood's own count beside that 0, and comparing answers could tell what was withheld).
    names = dict(Area.objects.filter(agency=agency, kind=AreaKind.NEIGHBORHOOD).values_list("pk", "name"))
    keys = [*sorted(names, key=lambda pk: names[pk]), None]
    per_group = {group: withhold({key: counts.get((key, group), 0) for key in keys}, policy.min_count[group])
                 for group in groups}
    if neighborhood_id is not None:
        keys = [key for key in keys if key == neighborhood_id]
    out = []
    for key in keys:
        shown = {group: per_group[group][key] for group in groups}
        if key is None and not any(shown.values()):
            continue  # no row for "outside every neighborhood" when it shows nothing
        out.append(PublicArea(area_id=key, name=names.get(key, ""), counts=shown,
                              total=sum(value or 0 for value in shown.values())))
    return out


def _dispersions(daily: dict, as_of: date, groups: list[str]) -> dict[str, float]:
    """Each group's week-to-week dispersion, measured as the staff CompStat measures it: on its weekly counts
    over the 52 weeks before the last 28 days (`compstat.dispersion_period`), whole weeks counted back from
    that period's end, none before the first day with a record."""
    baseline = compstat.dispersion_period(as_of)
    recorded = [day for (day, _group), n in daily.items() if n]
    first = min(recorded, default=None)
    weeks = baseline.days // 7
    usable = [k for k in range(weeks)
              if first is not None and baseline.end - timedelta(days=7 * k + 6) >= first]
    weekly = {group: [0] * weeks for group in groups}
    for (day, group), n in daily.items():
        if group in weekly and baseline.start <= day <= baseline.end:
            k = (baseline.end - day).days // 7
            if k < weeks:
                weekly[group][k] += n
    return {group: stats.dispersion([weekly[group][k] for k in usable]) for group in groups}


def compstat_public_from_daily(daily: dict, *, as_of: date, groups: list[str], min_count: Mapping[str, int],
                               coverage_start: date | None = None) -> list[PublicCompstatPeriod]:
    """The public CompStat from daily counts of the groups shown at a point: the staff CompStat's periods
    (`compstat.compstat_windows`: the last 7 and 28 days against the period before and 364 days before, the
    year to date against as many days of last year only) and its way of flagging, over the counts shown.

    Each column (a period) withholds, per group, a count below the group's threshold, and one more where that
    would leave a single one withheld. A change is tested only where both its counts are shown, widened by the
    group's dispersion, and the tests of the whole page are decided together (`stats.changes_with_fdr`:
    Benjamini-Hochberg, a change of at least 20 %, enough records) — the family holds the shown comparisons
    only, so a flag never depends on a withheld count. The total row is the sum of the counts shown and is
    not tested.

    A comparison whose period starts before `coverage_start` (the agency's first record; None: no limit) is not
    made, as on the staff page: its column is empty (not withheld), untested and out of the family."""
    windows = compstat.compstat_windows(as_of)
    dispersion = _dispersions(daily, as_of, groups)
    tables = {}
    for name, w in windows.items():
        columns = []
        for period in (w.current, w.prior, w.last_year):
            if period is None or (period is not w.current and not compstat.covered(period, coverage_start)):
                columns.append(None)
                continue
            raw = compstat.period_counts(daily, period)
            column = {group: (raw.get(group, 0) if raw.get(group, 0) >= min_count[group] else None)
                      for group in groups}
            hidden = [group for group, value in column.items() if value is None]
            shown = [group for group, value in column.items() if value is not None]
            if len(hidden) == 1 and shown:
                column[min(shown, key=lambda group: (column[group], group))] = None
            columns.append(column)
        tables[name] = columns

    def test(group: str, now: int | None, then: int | None, current: compstat.Period,
             other: compstat.Period | None) -> stats.Change | None:
        if now is None or then is None or other is None:
            return None
        return stats.poisson_change_test(now, then, current_days=current.days, previous_days=other.days,
                                         dispersion=dispersion[group])

    raw_changes = {}
    for name, w in windows.items():
        now, before, year_ago = tables[name]
        for group in groups:
            raw_changes[(name, group)] = (
                test(group, now[group], before[group] if before else None, w.current, w.prior),
                test(group, now[group], year_ago[group] if year_ago else None, w.current, w.last_year))
    family = [change for pair in raw_changes.values() for change in pair if change is not None]
    decided = iter(stats.changes_with_fdr(family))
    flagged = {slot: tuple(None if change is None else next(decided) for change in pair)
               for slot, pair in raw_changes.items()}

    periods = []
    for name, w in windows.items():
        now, before, year_ago = tables[name]
        rows = []
        for group in groups:
            prior_change, last_year_change = flagged[(name, group)]
            rows.append(PublicCompstatRow(group=group, current=now[group],
                                          prior=before[group] if before else None,
                                          last_year=year_ago[group] if year_ago else None,
                                          prior_change=prior_change, last_year_change=last_year_change))
        rows.sort(key=lambda row: (-(row.current or 0), row.group))

        def shown_total(column: dict | None) -> int | None:
            return None if column is None else sum(value or 0 for value in column.values())

        # No test on the total: sums of what is shown are not the records' totals when different counts are
        # withheld in different periods, and a flag on them could be an artefact of the withholding.
        total = PublicCompstatRow(group="", current=shown_total(now), prior=shown_total(before),
                                  last_year=shown_total(year_ago), prior_change=None, last_year_change=None)
        periods.append(PublicCompstatPeriod(
            name=name, current=w.current, prior=w.prior, last_year=w.last_year, rows=[total, *rows],
            prior_covered=w.prior is None or compstat.covered(w.prior, coverage_start),
            last_year_covered=compstat.covered(w.last_year, coverage_start)))
    return periods


def trends_public(*, agency: Organisation, start: date, end: date, as_of: date, group: str = "",
                  neighborhood_id: int | None = None, today: date | None = None) -> PublicTrends:
    """What anyone may see of the agency's records: by offense group (one, or every public one), between
    `start` and `end` (CompStat up to `as_of`), anywhere or in one neighborhood; small counts withheld.
    Groups shown at a point get every table; groups shown only as area counts get their monthly tables for
    the whole months `start`…`end` overlaps."""
    policy = policy_for(agency_id=agency.pk)
    shown = public.public_groups(agency_id=agency.pk)
    if group:
        shown = [row for row in shown if row[0] == group]  # a group the public does not see is simply not there
    groups = [value for value, _label, display in shown if display == "point"]
    area_groups = [value for value, _label, display in shown if display == "area"]
    filters = analytics.Filters(start=start, end=end, groups=frozenset(groups), neighborhood_id=neighborhood_id)
    monthly = public_areas.area_month_tables(
        agency_id=agency.pk, groups=area_groups, min_count=policy.min_count, area_id=neighborhood_id,
        months=public_areas.public_months(start=start, end=end, today=today))
    if not groups:
        return PublicTrends(agency=agency, filters=filters, as_of=as_of, groups=[], min_count={}, heat={},
                            areas=[], compstat=[], monthly=monthly)
    table = analytics.heat_counts(agency_id=agency.pk, filters=filters)
    # Every neighborhood's counts: _public_areas withholds over the whole table before cutting it to one.
    area_counts = analytics.area_group_counts(agency_id=agency.pk, filters=replace(filters, neighborhood_id=None))
    since, until = compstat.compstat_window(as_of)
    daily = compstat.compstat_daily_counts(agency_id=agency.pk, since=since, until=until,
                                           neighborhood_id=neighborhood_id, groups=frozenset(groups))
    coverage = compstat.agency_coverage(agency_id=agency.pk, as_of=as_of)
    return PublicTrends(
        agency=agency, filters=filters, as_of=as_of, groups=groups,
        min_count={g: policy.min_count[g] for g in groups},
        heat=_public_heat(table, groups, policy),
        areas=_public_areas(area_counts, groups, policy, agency, neighborhood_id),
        compstat=compstat_public_from_daily(daily, as_of=as_of, groups=groups, min_count=policy.min_count,
                                            coverage_start=coverage),
        monthly=monthly, coverage_start=coverage,
    )
