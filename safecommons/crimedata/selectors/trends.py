"""The public subset of the analytics (/crime/trends/): counts by offense group only, for the groups the
agency publishes (`publication.policy_for`), with small counts withheld.

Rules, so that nothing withheld can be worked out from what is shown:
- The finest cells are published: group × weekday × hour (with "hour unknown"), group × neighborhood, and
  group × CompStat period. A cell below the group's `min_count` (zero included) is withheld: "fewer than N".
- When a group's cells leave exactly one withheld, the smallest shown one is withheld too, so that a total
  learned elsewhere cannot be subtracted down to one cell.
- Every total on the page is the sum of the numbers shown, never of the records, and carries no
  significance flag (a flag on such sums could be an artefact of the withholding).
- No hotspots: a statistic on single cells of a fine grid is what the withholding is there to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safecommons.crimedata import stats
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.crimedata.publication import Policy, policy_for
from safecommons.crimedata.selectors import analytics
from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.models import Area, AreaKind

UNKNOWN_HOUR = 24  # the 25th column of a public weekday row


def withhold(values: dict, threshold: int) -> dict:
    """The values with those below `threshold` replaced by None; if that leaves exactly one None among
    several, the smallest remaining value is withheld as well."""
    out = {key: (value if value >= threshold else None) for key, value in values.items()}
    hidden = [key for key, value in out.items() if value is None]
    shown = [key for key, value in out.items() if value is not None]
    if len(hidden) == 1 and shown:
        out[min(shown, key=lambda key: (out[key], str(key)))] = None
    return out


def public_agency(*, slug: str = "") -> Organisation | None:
    """The agency whose trends are shown: the one named, else the first agency by name with records."""
    agencies = Organisation.objects.filter(kind=OrganisationKind.AGENCY)
    if slug:
        return agencies.filter(slug=slug).first()
    return (agencies.filter(crime_records__isnull=False).distinct().order_by("name").first()
            or agencies.order_by("name").first())


def public_groups(policy: Policy) -> list[str]:
    """The groups the public sees in any form, in the catalogue's order."""
    shown = policy.public_groups
    return [group.value for group in OffenseGroup if group.value in shown]


@dataclass(frozen=True)
class PublicCompstatRow:
    group: str  # "" for the total of the counts shown
    current: int | None
    prior: int | None
    last_year: int | None
    prior_change: stats.Change | None  # None when either count is withheld
    last_year_change: stats.Change | None


@dataclass(frozen=True)
class PublicCompstatPeriod:
    name: str
    current: analytics.Period
    prior: analytics.Period
    last_year: analytics.Period
    rows: list[PublicCompstatRow]


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
    areas = Area.objects.filter(agency=agency, kind=AreaKind.NEIGHBORHOOD)
    if neighborhood_id is not None:
        areas = areas.filter(pk=neighborhood_id)
    names = dict(areas.values_list("pk", "name"))
    keys = [*sorted(names, key=lambda pk: names[pk]), None]
    per_group = {group: withhold({key: counts.get((key, group), 0) for key in keys}, policy.min_count[group])
                 for group in groups}
    out = []
    for key in keys:
        shown = {group: per_group[group][key] for group in groups}
        if key is None and not any(shown.values()):
            continue  # no row for "outside every neighborhood" when it shows nothing
        out.append(PublicArea(area_id=key, name=names.get(key, ""), counts=shown,
                              total=sum(value or 0 for value in shown.values())))
    return out


def _public_compstat(daily: dict, as_of: date, groups: list[str], policy: Policy) -> list[PublicCompstatPeriod]:
    periods = []
    for name, triple in analytics.compstat_periods(as_of).items():
        # Each group has its own threshold: apply it, then complete the suppression per column.
        columns = []
        for period in triple:
            raw = analytics.period_counts(daily, period)
            column = {group: (raw.get(group, 0) if raw.get(group, 0) >= policy.min_count[group] else None)
                      for group in groups}
            hidden = [group for group, value in column.items() if value is None]
            shown = [group for group, value in column.items() if value is not None]
            if len(hidden) == 1 and shown:
                column[min(shown, key=lambda group: (column[group], group))] = None
            columns.append(column)

        def change(now: int | None, then: int | None, other: analytics.Period, current=triple[0]):
            if now is None or then is None:
                return None
            return stats.poisson_change_test(now, then, current_days=current.days, previous_days=other.days)

        rows = []
        for group in groups:
            now, before, year_ago = (column[group] for column in columns)
            rows.append(PublicCompstatRow(group=group, current=now, prior=before, last_year=year_ago,
                                          prior_change=change(now, before, triple[1]),
                                          last_year_change=change(now, year_ago, triple[2])))
        rows.sort(key=lambda row: (-(row.current or 0), row.group))
        totals = [sum(value or 0 for value in column.values()) for column in columns]
        # No test on the total: sums of what is shown are not the records' totals when different counts are
        # withheld in different periods, and a flag on them could be an artefact of the withholding.
        total = PublicCompstatRow(group="", current=totals[0], prior=totals[1], last_year=totals[2],
                                  prior_change=None, last_year_change=None)
        periods.append(PublicCompstatPeriod(name=name, current=triple[0], prior=triple[1], last_year=triple[2],
                                            rows=[total, *rows]))
    return periods


def trends_public(*, agency: Organisation, start: date, end: date, as_of: date, group: str = "",
                  neighborhood_id: int | None = None) -> PublicTrends:
    """What anyone may see of the agency's records: by offense group (one, or every public one), between
    `start` and `end` (CompStat up to `as_of`), anywhere or in one neighborhood; small counts withheld."""
    policy = policy_for(agency_id=agency.pk)
    groups = public_groups(policy)
    if group:
        groups = [g for g in groups if g == group]  # a group the public does not see is simply not there
    filters = analytics.Filters(start=start, end=end, groups=frozenset(groups), neighborhood_id=neighborhood_id)
    if not groups:
        return PublicTrends(agency=agency, filters=filters, as_of=as_of, groups=[], min_count={}, heat={},
                            areas=[], compstat=[])
    table = analytics.heat_counts(agency_id=agency.pk, filters=filters)
    area_counts = analytics.area_group_counts(agency_id=agency.pk, filters=filters)
    since, until = analytics.compstat_window(as_of)
    daily = analytics.compstat_daily_counts(agency_id=agency.pk, since=since, until=until,
                                            neighborhood_id=neighborhood_id, groups=frozenset(groups))
    return PublicTrends(
        agency=agency, filters=filters, as_of=as_of, groups=groups,
        min_count={g: policy.min_count[g] for g in groups},
        heat=_public_heat(table, groups, policy),
        areas=_public_areas(area_counts, groups, policy, agency, neighborhood_id),
        compstat=_public_compstat(daily, as_of, groups, policy),
    )
