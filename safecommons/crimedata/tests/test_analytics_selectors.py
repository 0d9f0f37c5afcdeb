"""The analysts' counts: heat table (summary and records together) against a direct count, by area and
premise, CompStat numbers and flags, and the agency scope."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.crimedata.models import CrimeRecord
from safecommons.crimedata.selectors import analytics, compstat
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

CODES = ["23C", "23F", "220", "13B", "120", "290", "11A", "35A", "240"]


def random_records(agency, areas, n: int, seed: int = 1) -> list[CrimeRecord]:
    rng = random.Random(seed)
    first = datetime(2025, 10, 1, tzinfo=TZ)
    built = []
    for _ in range(n):
        when = first + timedelta(minutes=rng.randrange(0, 220 * 24 * 60))
        record = CrimeRecordFactory.build(agency=agency, nibrs_code=rng.choice(CODES), occurred_at=when,
                                          domestic=rng.random() < 0.1,
                                          neighborhood=rng.choice([*areas, None]),
                                          premise_type=rng.choice(["Residence", "Street", "Parking lot", ""]))
        if rng.random() < 0.05:
            record.occurred_hour = None
        built.append(record)
    return CrimeRecord.objects.bulk_create(built)


def direct_count(agency, filters: analytics.Filters) -> dict:
    """The heat table counted straight from the records, in Python."""
    counted = Counter()
    for record in CrimeRecord.objects.filter(agency=agency):
        if not filters.start <= record.occurred_date <= filters.end:
            continue
        if filters.groups and record.offense_group not in filters.groups:
            continue
        if filters.neighborhood_id is not None and record.neighborhood_id != filters.neighborhood_id:
            continue
        key = record.nibrs_code if filters.by == analytics.BY_CODE else record.offense_group
        counted[(key, record.occurred_weekday, record.occurred_hour)] += 1
    return dict(counted)


@pytest.fixture
def world(agency):
    areas = [AreaFactory(agency=agency, name=name) for name in ("Riverside", "Old Town", "Northgate")]
    random_records(agency, areas, 400)
    hourly_counts_refresh(agency_id=agency.pk)
    return areas


def random_filters(rng: random.Random, areas) -> analytics.Filters:
    start = date(2025, 9, 20) + timedelta(days=rng.randrange(0, 200))
    end = start + timedelta(days=rng.randrange(0, 150))
    groups = frozenset(rng.sample(["larceny", "burglary", "assault", "domestic_violence"], rng.randrange(0, 3)))
    neighborhood = rng.choice([None, None, None, areas[0].pk])
    return analytics.Filters(start=start, end=end, groups=groups, neighborhood_id=neighborhood,
                             by=rng.choice([analytics.BY_GROUP, analytics.BY_CODE]))


def test_the_heat_table_equals_a_direct_count_over_random_ranges(agency, world):
    rng = random.Random(42)
    for _ in range(25):
        filters = random_filters(rng, world)
        assert analytics.heat_counts(agency_id=agency.pk, filters=filters).counts == direct_count(agency, filters)


def test_the_heat_table_reads_the_summary_for_whole_months(agency, world, django_assert_num_queries):
    whole = analytics.Filters(start=date(2025, 11, 1), end=date(2026, 2, 28))
    with django_assert_num_queries(1):  # the summary alone: no edge of a month to count from the records
        table = analytics.heat_counts(agency_id=agency.pk, filters=whole)
    assert table.counts == direct_count(agency, whole)
    assert analytics.whole_months(date(2025, 11, 2), date(2025, 12, 30)) is None
    assert analytics.whole_months(date(2025, 10, 31), date(2026, 1, 31)) == (date(2025, 11, 1), date(2026, 2, 1))


def test_the_heat_table_stays_right_after_records_change_and_the_summary_is_refreshed(agency, world):
    moved = list(CrimeRecord.objects.filter(agency=agency).order_by("pk")[:60])
    months = {record.occurred_date.replace(day=1) for record in moved}
    for index, record in enumerate(moved):
        when = datetime(2026, 1, 10 + index % 15, (index * 7) % 24, 5, tzinfo=TZ)
        record.nibrs_code, record.offense_group = "220", "burglary"
        record.occurred_at, record.occurred_date = when, when.date()
        record.occurred_hour, record.occurred_weekday = when.hour, when.weekday()
        record.save()
    months |= {date(2026, 1, 1)}
    hourly_counts_refresh(agency_id=agency.pk, months=months)
    rng = random.Random(7)
    for _ in range(10):
        filters = random_filters(rng, world)
        assert analytics.heat_counts(agency_id=agency.pk, filters=filters).counts == direct_count(agency, filters)


def test_the_heat_table_gives_its_marginals(agency):
    CrimeRecordFactory(agency=agency, nibrs_code="220", occurred_at=datetime(2026, 3, 2, 22, 10, tzinfo=TZ))  # Mon
    CrimeRecordFactory(agency=agency, nibrs_code="220", occurred_at=datetime(2026, 3, 3, 22, 40, tzinfo=TZ))  # Tue
    CrimeRecordFactory(agency=agency, nibrs_code="23C", occurred_at=datetime(2026, 3, 3, 9, 0, tzinfo=TZ))
    hourly_counts_refresh(agency_id=agency.pk)  # March is a whole month: read from the summary
    table = analytics.heat_counts(agency_id=agency.pk,
                                  filters=analytics.Filters(start=date(2026, 3, 1), end=date(2026, 3, 31)))
    assert table.keys == ["burglary", "larceny"] and table.total == 3
    grid = table.weekday_hour()
    assert grid[0][22] == 1 and grid[1][22] == 1 and grid[1][9] == 1
    assert table.key_hour()[0][22] == 2
    assert table.key_weekday()[1] == [0, 1, 0, 0, 0, 0, 0]


def test_counts_by_area_and_premise_match_the_records(agency, people, world):
    actor = actor_for_user(people[Role.ANALYST])
    filters = analytics.Filters(start=date(2025, 12, 1), end=date(2026, 3, 15), groups=frozenset({"larceny"}))
    records = [r for r in CrimeRecord.objects.filter(agency=agency, offense_group="larceny")
               if filters.start <= r.occurred_date <= filters.end]
    by_area = {row.key: row.count for row in analytics.area_counts(actor=actor, agency=agency, filters=filters)}
    assert by_area == {str(k) if k else "": v for k, v in Counter(r.neighborhood_id for r in records).items()}
    by_premise = {row.key: row.count for row in analytics.premise_counts(actor=actor, agency=agency, filters=filters)}
    assert by_premise == dict(Counter(r.premise_type for r in records))


def test_compstat_counts_each_period_and_widens_the_tests_of_a_lumpy_group(agency, people):
    as_of = date(2026, 5, 31)
    def at(day: date, hour: int = 12):
        return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
    # Burglary: 40 in the last 28 days, 15 in the 28 before: flagged up. Robbery: 5 against 1: not flagged.
    for i in range(40):
        CrimeRecordFactory(agency=agency, nibrs_code="220", occurred_at=at(as_of - timedelta(days=i % 28)))
    for i in range(15):
        CrimeRecordFactory(agency=agency, nibrs_code="220", occurred_at=at(as_of - timedelta(days=28 + i)))
    for i in range(5):
        CrimeRecordFactory(agency=agency, nibrs_code="120", occurred_at=at(as_of - timedelta(days=i)))
    CrimeRecordFactory(agency=agency, nibrs_code="120", occurred_at=at(as_of - timedelta(days=30)))
    # 52 weeks earlier: 38 burglaries in the same 28 days (no change against last year)
    for i in range(38):
        CrimeRecordFactory(agency=agency, nibrs_code="220", occurred_at=at(as_of - timedelta(days=364 + i % 28)))
    result = compstat.compstat(actor=actor_for_user(people[Role.OFFICER]), agency=agency, as_of=as_of)
    period = {p.name: p for p in result.periods}["28d"]
    assert (period.current.start, period.prior.start, period.last_year.start) == (
        date(2026, 5, 4), date(2026, 4, 6), date(2025, 5, 5))
    rows = {row.group: row for row in period.rows}
    burglary, robbery = rows["burglary"], rows["robbery"]
    assert (burglary.current, burglary.prior.previous, burglary.last_year.previous) == (40, 15, 38)
    # Burglary's weekly counts before the last 28 days are lumpy (38 in four weeks, then none): the dispersion
    # measured on them widens its tests, and 40 against 15 is no longer flagged.
    assert burglary.dispersion > 3 and not burglary.prior.significant and not burglary.last_year.significant
    assert (robbery.current, robbery.prior.previous) == (5, 1) and not robbery.prior.significant
    assert rows[""].current == 45 and period.rows[0].group == ""
    seven = {p.name: p for p in result.periods}["7d"]
    assert {row.group: row.current for row in seven.rows}["robbery"] == 5
    ytd = {p.name: p for p in result.periods}["ytd"]
    assert ytd.current.start == date(2026, 1, 1) and ytd.prior is None and ytd.total.prior is None
    assert ytd.last_year.days == ytd.current.days and ytd.total.current == 40 + 15 + 6


def test_compstat_flags_a_steady_group_that_trebled(agency, people):
    as_of = date(2026, 5, 31)
    built = []
    for back in range(28, 420):  # one burglary a day for over a year, then three a day for the last 28 days
        built.append(CrimeRecordFactory.build(agency=agency, nibrs_code="220",
                                              occurred_at=datetime.combine(as_of - timedelta(days=back),
                                                                           datetime.min.time(), TZ)))
    for back in range(28 * 3):
        built.append(CrimeRecordFactory.build(agency=agency, nibrs_code="220",
                                              occurred_at=datetime.combine(as_of - timedelta(days=back // 3),
                                                                           datetime.min.time(), TZ)))
    CrimeRecord.objects.bulk_create(built)
    result = compstat.compstat(actor=actor_for_user(people[Role.ANALYST]), agency=agency, as_of=as_of)
    burglary = {row.group: row for row in {p.name: p for p in result.periods}["28d"].rows}["burglary"]
    assert (burglary.current, burglary.prior.previous, burglary.last_year.previous) == (84, 28, 28)
    assert burglary.dispersion == 1.0
    assert burglary.prior.direction == "up" and burglary.last_year.direction == "up"
    assert result.flags >= 2


def test_staff_of_another_agency_and_people_without_an_agency_role_are_refused(agency, people):
    other = OrganisationFactory(kind="agency", name="Elsewhere PD")
    outsider = actor_for_user(MembershipFactory(organisation=other, role=Role.ANALYST).user)
    filters = analytics.Filters(start=date(2026, 1, 1), end=date(2026, 1, 31))
    with pytest.raises(PermissionDenied):
        analytics.heat_table(actor=outsider, agency=agency, filters=filters)
    with pytest.raises(PermissionDenied):
        analytics.analytics_agency(actor=outsider, agency_id=agency.pk)
    assert analytics.analytics_agency(actor=outsider).pk == other.pk
    for role in (Role.RESIDENT, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR, Role.OVERSIGHT):
        with pytest.raises(PermissionDenied):
            analytics.analytics_agency(actor=actor_for_user(people[role]))
    assert analytics.analytics_agency(actor=actor_for_user(people[Role.LIAISON])).pk == agency.pk


@pytest.fixture
def years(agency):
    """Records over three years (2023-2025) and a few days of 2026."""
    rng = random.Random(11)
    built = []
    for _ in range(500):
        when = datetime(2023, 1, 1, tzinfo=TZ) + timedelta(minutes=rng.randrange(0, 1100 * 24 * 60))
        built.append(CrimeRecordFactory.build(agency=agency, nibrs_code=rng.choice(CODES), occurred_at=when))
    CrimeRecord.objects.bulk_create(built)
    hourly_counts_refresh(agency_id=agency.pk)


def test_whole_years_are_read_from_the_yearly_summary(agency, years, django_assert_num_queries):
    two_years = analytics.Filters(start=date(2024, 1, 1), end=date(2025, 12, 31), by=analytics.BY_CODE)
    with django_assert_num_queries(1):
        table = analytics.heat_counts(agency_id=agency.pk, filters=two_years)
    assert table.counts == direct_count(agency, two_years)
    around = analytics.Filters(start=date(2023, 10, 1), end=date(2026, 1, 2))
    with django_assert_num_queries(3):  # years, the months beside them, the two days of January 2026
        table = analytics.heat_counts(agency_id=agency.pk, filters=around)
    assert table.counts == direct_count(agency, around)
    assert analytics.whole_years(date(2023, 2, 1), date(2025, 1, 1)) == (2024, 2025)
    assert analytics.whole_years(date(2023, 2, 1), date(2024, 1, 1)) is None


def test_the_yearly_summary_stays_right_after_a_reimport_moves_records(agency, years):
    moved = list(CrimeRecord.objects.filter(agency=agency, occurred_date__year=2024).order_by("pk")[:40])
    months = {record.occurred_date.replace(day=1) for record in moved}
    for index, record in enumerate(moved):
        when = datetime(2025, 6, 1 + index % 28, index % 24, tzinfo=TZ)
        record.nibrs_code, record.offense_group = "120", "robbery"
        record.occurred_at, record.occurred_date = when, when.date()
        record.occurred_hour, record.occurred_weekday = when.hour, when.weekday()
        record.save()
    CrimeRecord.objects.filter(pk=moved[0].pk).delete()
    hourly_counts_refresh(agency_id=agency.pk, months=months | {date(2025, 6, 1)})
    rng = random.Random(3)
    ranges = [(date(2023, 1, 1), date(2025, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31))]
    ranges += [(date(2023, 1, 1) + timedelta(days=rng.randrange(0, 400)), date(2025, 12, 31)
                - timedelta(days=rng.randrange(0, 300))) for _ in range(8)]
    for start, end in ranges:
        filters = analytics.Filters(start=start, end=end, by=rng.choice([analytics.BY_GROUP, analytics.BY_CODE]))
        assert analytics.heat_counts(agency_id=agency.pk, filters=filters).counts == direct_count(agency, filters)
