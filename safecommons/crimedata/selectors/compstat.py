"""CompStat for agency staff: the last 7 days, the last 28 days and the year to date, per offense group and in
total, against the period just before (7 and 28 days) and against the same period a year earlier (all three).

A flag on a CompStat page is a claim that something changed, so it must not fire on a page where nothing did:
- "A year earlier" is 364 days earlier for 7 and 28 days (the same weekdays, and the same length across 29
  February); for the year to date it is as many days from 1 January of the year before.
- The year to date is not compared with the period before it: January–June against July–December of the year
  before measures the seasons, not a change.
- Every comparison of one page is one family of tests: the false-discovery rate is held at q = 0.05 across all
  of them (Benjamini–Hochberg), and a change must also be large (`stats.MIN_RELATIVE_CHANGE`) and rest on
  enough records (`stats.MIN_TOTAL`).
- Counts of one offense group vary more from week to week than a Poisson count would (weather, paydays,
  reporting). Each group's dispersion is measured on its weekly counts over the 52 weeks before the last 28
  days (quasi-Poisson, never below 1), and its tests are widened by it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db.models import Count

from safecommons.core.permissions import Actor, require
from safecommons.crimedata import stats
from safecommons.crimedata.models import CrimeRecord
from safecommons.partners.models import Organisation

PERIOD_NAMES = ("7d", "28d", "ytd")
# 52 weeks: the same weekdays a year earlier, and a window of the same length whatever 29 February does.
YEAR_BACK_DAYS = 364
DISPERSION_WEEKS = 52
TOTAL = ""  # the group key of the row of all offenses together


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def shifted(self, days: int) -> Period:
        return Period(self.start - timedelta(days=days), self.end - timedelta(days=days))


def data_coverage_start(*, agency_id: int) -> date | None:
    """The first day of the agency's data: the earliest occurred date of its records (one step down the
    (agency, occurred_date) index); None when it has none."""
    return (CrimeRecord.objects.filter(agency_id=agency_id).order_by("occurred_date")
            .values_list("occurred_date", flat=True).first())


def covered(period: Period | None, coverage_start: date | None) -> bool:
    """Whether `period` lies within the data (starts on or after `coverage_start`; None: no limit known)."""
    return period is not None and (coverage_start is None or period.start >= coverage_start)


@dataclass(frozen=True)
class Windows:
    """One CompStat period and what it is compared with."""

    current: Period
    prior: Period | None  # the period of equal length just before; None for the year to date
    last_year: Period


def compstat_windows(as_of: date) -> dict[str, Windows]:
    """Per CompStat period ending on `as_of`: the period, the one before it and the one a year earlier (see the
    module's docstring)."""
    out = {}
    for name in PERIOD_NAMES:
        if name == "ytd":
            current = Period(date(as_of.year, 1, 1), as_of)
            first = date(as_of.year - 1, 1, 1)
            out[name] = Windows(current=current, prior=None,
                                last_year=Period(first, first + timedelta(days=current.days - 1)))
        else:
            days = int(name[:-1])
            current = Period(as_of - timedelta(days=days - 1), as_of)
            out[name] = Windows(current=current, prior=current.shifted(days),
                                last_year=current.shifted(YEAR_BACK_DAYS))
    return out


def dispersion_period(as_of: date) -> Period:
    """The 52 weeks before the last 28 days: the weeks a group's dispersion is measured on (before the period
    tested, so that a real change does not widen its own test)."""
    end = as_of - timedelta(days=28)
    return Period(end - timedelta(days=7 * DISPERSION_WEEKS - 1), end)


def compstat_window(as_of: date) -> tuple[date, date]:
    """The dates that CompStat up to `as_of` reads."""
    spans = [dispersion_period(as_of)]
    for windows in compstat_windows(as_of).values():
        spans += [p for p in (windows.current, windows.prior, windows.last_year) if p is not None]
    return min(p.start for p in spans), max(p.end for p in spans)


def compstat_daily_counts(*, agency_id: int, since: date, until: date, neighborhood_id: int | None = None,
                          groups: frozenset[str] = frozenset()) -> dict[tuple[date, str], int]:
    """(local date, offense group) → records, unscoped."""
    records = CrimeRecord.objects.filter(agency_id=agency_id, occurred_date__gte=since, occurred_date__lte=until)
    if neighborhood_id is not None:
        records = records.filter(neighborhood_id=neighborhood_id)
    if groups:
        records = records.filter(offense_group__in=sorted(groups))
    rows = records.values_list("occurred_date", "offense_group").annotate(n=Count("id")).order_by()
    return {(day, group): n for day, group, n in rows}


def period_counts(daily: dict[tuple[date, str], int], period: Period) -> dict[str, int]:
    """Offense group → records in `period`, from daily counts."""
    out: dict[str, int] = defaultdict(int)
    for (day, group), n in daily.items():
        if period.start <= day <= period.end:
            out[group] += n
    return dict(out)


@dataclass(frozen=True)
class CompstatRow:
    """One offense group (or "" for all together) in one period: the count now, and its comparisons."""

    group: str
    current: int
    prior: stats.Change | None  # None for the year to date, and when the period before is not covered
    last_year: stats.Change | None  # None when the year before is not covered by the data
    dispersion: float = 1.0


@dataclass(frozen=True)
class CompstatPeriod:
    name: str  # "7d", "28d", "ytd"
    current: Period
    prior: Period | None
    last_year: Period
    rows: list[CompstatRow]  # the total first, then groups by current count
    prior_covered: bool = True  # False: the period before starts before the data (shown as "no data")
    last_year_covered: bool = True

    @property
    def total(self) -> CompstatRow:
        return self.rows[0]


@dataclass(frozen=True)
class Compstat:
    as_of: date
    periods: list[CompstatPeriod]
    q: float = stats.FDR_Q
    coverage_start: date | None = None  # the agency's first day of data (None: not limited)

    @property
    def flags(self) -> int:
        """How many changes on the page are flagged."""
        return sum(bool(change and change.direction) for period in self.periods for row in period.rows
                   for change in (row.prior, row.last_year))


class _Series:
    """Daily counts per group (and in total) as arrays over [since, until], summed over periods by cumsum."""

    def __init__(self, daily: dict[tuple[date, str], int], since: date, until: date):
        self.since, size = since, (until - since).days + 1
        arrays: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(size, dtype=np.int64))
        for (day, group), n in daily.items():
            offset = (day - since).days
            if 0 <= offset < size:
                arrays[group][offset] += n
        self.groups = sorted(arrays)
        total = sum(arrays.values(), np.zeros(size, dtype=np.int64))
        self.cumulative = {key: np.concatenate(([0], np.cumsum(values)))
                           for key, values in [*arrays.items(), (TOTAL, total)]}
        recorded = np.nonzero(total)[0]
        self.first_recorded = since + timedelta(days=int(recorded[0])) if recorded.size else None

    def count(self, group: str, period: Period) -> int:
        cumulative = self.cumulative[group]
        low, high = (period.start - self.since).days, (period.end - self.since).days + 1
        return int(cumulative[max(high, 0)] - cumulative[max(low, 0)])

    def weekly(self, group: str, period: Period) -> list[int]:
        """Counts of the whole weeks of `period` (counted from its end) on or after the first recorded day:
        weeks before an agency's data begins are no evidence of how its counts vary."""
        starts = [period.end - timedelta(days=7 * k + 6) for k in range(period.days // 7)]
        usable = [s for s in starts if self.first_recorded is not None and s >= self.first_recorded]
        return [self.count(group, Period(s, s + timedelta(days=6))) for s in usable]


def compstat_from_daily(daily: dict[tuple[date, str], int], *, as_of: date, q: float = stats.FDR_Q,
                        coverage_start: date | None = None) -> Compstat:
    """CompStat from daily counts (see the module's docstring): per period the total row, then one row per group
    (most records first); the flags of the whole page decided together. A comparison whose period starts
    before `coverage_start` (None: no limit) is not made (None) and is not in the family."""
    since, until = compstat_window(as_of)
    series = _Series(daily, since, until)
    windows = compstat_windows(as_of)
    baseline = dispersion_period(as_of)
    dispersion = {key: stats.dispersion(series.weekly(key, baseline)) for key in [TOTAL, *series.groups]}

    def test(key: str, current: Period, other: Period | None) -> stats.Change | None:
        if not covered(other, coverage_start):
            return None
        return stats.poisson_change_test(series.count(key, current), series.count(key, other),
                                         current_days=current.days, previous_days=other.days,
                                         dispersion=dispersion[key])

    raw = {(name, key): (test(key, w.current, w.prior), test(key, w.current, w.last_year))
           for name, w in windows.items() for key in [TOTAL, *series.groups]}
    family = [change for pair in raw.values() for change in pair if change is not None]
    decided = iter(stats.changes_with_fdr(family, q=q))
    flagged = {slot: tuple(None if change is None else next(decided) for change in pair)
               for slot, pair in raw.items()}

    periods = []
    for name, w in windows.items():
        rows = [CompstatRow(group=key, current=series.count(key, w.current), prior=flagged[(name, key)][0],
                            last_year=flagged[(name, key)][1], dispersion=dispersion[key])
                for key in [TOTAL, *series.groups]]
        rows[1:] = sorted((row for row in rows[1:] if row.current or (row.last_year and row.last_year.previous)
                           or (row.prior and row.prior.previous)), key=lambda row: (-row.current, row.group))
        periods.append(CompstatPeriod(name=name, current=w.current, prior=w.prior, last_year=w.last_year,
                                      rows=rows, prior_covered=w.prior is None or covered(w.prior, coverage_start),
                                      last_year_covered=covered(w.last_year, coverage_start)))
    return Compstat(as_of=as_of, periods=periods, q=q, coverage_start=coverage_start)


def compstat(*, actor: Actor, agency: Organisation, as_of: date, neighborhood_id: int | None = None,
             groups: frozenset[str] = frozenset()) -> Compstat:
    """Last 7 days, last 28 days and year to date up to `as_of`, per offense group and in total, with changes
    flagged only when they hold up across the whole page (see the module's docstring)."""
    require(actor, "crime.analytics", agency)
    since, until = compstat_window(as_of)
    daily = compstat_daily_counts(agency_id=agency.pk, since=since, until=until, neighborhood_id=neighborhood_id,
                                  groups=groups)
    return compstat_from_daily(daily, as_of=as_of, coverage_start=agency_coverage(agency_id=agency.pk, as_of=as_of))


def agency_coverage(*, agency_id: int, as_of: date) -> date:
    """The first day of the agency's data, or the day after `as_of` when it has none (nothing is covered)."""
    return data_coverage_start(agency_id=agency_id) or as_of + timedelta(days=1)


@dataclass(frozen=True)
class WeeklySeries:
    """Records per week for the 52 weeks up to `as_of`, and for the 52 weeks a year (364 days) before, so
    that each week of one lines up with the same weekdays of the other."""

    week_ends: list[date]
    current: list[int]
    year_before: list[int | None]  # None for a week a year before that starts before the agency's data


def weekly_counts(*, actor: Actor, agency: Organisation, as_of: date, neighborhood_id: int | None = None,
                  groups: frozenset[str] = frozenset()) -> WeeklySeries:
    """Weekly records up to `as_of` and a year earlier (for CompStat's trend line)."""
    require(actor, "crime.analytics", agency)
    weeks = 52
    first = as_of - timedelta(days=7 * weeks * 2 - 1)
    daily = compstat_daily_counts(agency_id=agency.pk, since=first, until=as_of, neighborhood_id=neighborhood_id,
                                  groups=groups)
    per_week = [0] * (weeks * 2)
    for (day, _group), n in daily.items():
        per_week[(day - first).days // 7] += n
    ends = [as_of - timedelta(days=7 * (weeks - 1 - k)) for k in range(weeks)]
    coverage = agency_coverage(agency_id=agency.pk, as_of=as_of)
    year_before = [n if first + timedelta(days=7 * k) >= coverage else None for k, n in enumerate(per_week[:weeks])]
    return WeeklySeries(week_ends=ends, current=per_week[weeks:], year_before=year_before)
