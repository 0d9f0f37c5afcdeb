"""CompStat that does not cry wolf: its periods (29 February included), a page's flags decided together, the
minimum size of a change, the dispersion of weekly counts, and a simulation of steady and changed rates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from safecommons.crimedata import stats
from safecommons.crimedata.selectors import compstat

AS_OF = date(2026, 5, 31)
RATES = np.geomspace(0.3, 20.0, 19)  # records per day of 19 offense groups, from rare to common


def steady_daily(rng: np.random.Generator, *, as_of: date = AS_OF, rates=RATES, doubled: dict | None = None) -> dict:
    """Daily counts of groups "g00".."g18" at steady Poisson rates over every day CompStat reads; `doubled`
    maps a group to the first day from which its rate is twice as high."""
    since, until = compstat.compstat_window(as_of)
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    daily = {}
    for index, rate in enumerate(rates):
        group = f"g{index:02d}"
        change_day = (doubled or {}).get(group)
        lam = np.array([rate * (2 if change_day and day >= change_day else 1) for day in days])
        for day, n in zip(days, rng.poisson(lam), strict=True):
            if n:
                daily[(day, group)] = int(n)
    return daily


@pytest.mark.parametrize("as_of", [date(2024, 2, 29), date(2025, 3, 1), date(2024, 3, 1), date(2025, 12, 31)])
def test_every_comparison_a_year_back_has_the_length_of_its_period(as_of):
    windows = compstat.compstat_windows(as_of)
    for name in ("7d", "28d"):
        w = windows[name]
        assert w.last_year.days == w.current.days == int(name[:-1])
        assert w.last_year.start.weekday() == w.current.start.weekday()
        assert w.current.start - w.last_year.start == timedelta(days=364)
        assert w.prior.days == w.current.days and w.prior.end == w.current.start - timedelta(days=1)
    ytd = windows["ytd"]
    assert ytd.prior is None
    assert ytd.last_year.start == date(as_of.year - 1, 1, 1) and ytd.last_year.days == ytd.current.days


def test_the_leap_day_examples_of_the_review():
    leap = compstat.compstat_windows(date(2024, 2, 29))
    assert (leap["7d"].last_year.start, leap["7d"].last_year.end) == (date(2023, 2, 24), date(2023, 3, 2))
    assert (leap["ytd"].last_year.start, leap["ytd"].last_year.end) == (date(2023, 1, 1), date(2023, 3, 1))
    after = compstat.compstat_windows(date(2025, 3, 1))
    assert (after["7d"].last_year.start, after["7d"].last_year.end) == (date(2024, 2, 25), date(2024, 3, 2))
    assert (after["ytd"].last_year.start, after["ytd"].last_year.end) == (date(2024, 1, 1), date(2024, 2, 29))


def test_a_three_per_cent_change_of_a_large_count_is_not_flagged():
    change = stats.poisson_change_test(10_000, 9_700)
    assert change.p_value < 0.05 and not change.large and not change.significant
    assert stats.poisson_change_test(12_000, 9_700).significant  # +24 %


def test_the_flags_of_a_page_hold_the_false_discovery_rate_together():
    # Alone each of these is "significant" at 0.05; among 40 tests with nothing else going on, none survives.
    borderline = stats.poisson_change_test(40, 22)
    assert borderline.significant and 0.01 < borderline.p_value < 0.05
    quiet = [stats.poisson_change_test(30, 30) for _ in range(39)]
    decided = stats.changes_with_fdr([borderline, *quiet])
    assert not any(change.significant for change in decided)
    strong = stats.poisson_change_test(80, 20)
    decided = stats.changes_with_fdr([strong, borderline, *quiet])
    assert decided[0].significant and decided[0].direction == "up" and not decided[1].significant


def test_changes_with_too_few_records_are_left_out_of_the_family():
    tiny = [stats.poisson_change_test(1, 0) for _ in range(50)]
    strong = stats.poisson_change_test(50, 20)
    decided = stats.changes_with_fdr([strong, *tiny])
    assert decided[0].significant and not any(change.significant for change in decided[1:])


def test_the_dispersion_of_weekly_counts():
    rng = np.random.default_rng(3)
    assert stats.dispersion(rng.poisson(30, 52).tolist()) == pytest.approx(1.0, abs=0.45)
    assert stats.dispersion([30, 30, 30, 30, 30, 30, 30, 30]) == 1.0  # never below 1
    assert stats.dispersion([10, 50] * 26) == pytest.approx(20 * 20 * 52 / 51 / 30)
    assert stats.dispersion([5, 60, 3]) == 1.0  # too few weeks to say
    assert stats.dispersion([0] * 20) == 1.0


def test_a_dispersed_series_widens_the_test():
    plain = stats.poisson_change_test(70, 45)
    dispersed = stats.poisson_change_test(70, 45, dispersion=3.0)
    assert plain.significant and not dispersed.significant and dispersed.p_value > plain.p_value


def test_the_year_to_date_is_compared_with_last_year_only():
    result = compstat.compstat_from_daily(steady_daily(np.random.default_rng(1)), as_of=AS_OF)
    ytd = {p.name: p for p in result.periods}["ytd"]
    assert ytd.prior is None and all(row.prior is None for row in ytd.rows)
    assert all(row.last_year is not None for row in ytd.rows)


def test_steady_rates_seldom_raise_a_flag_and_a_doubling_is_still_found():
    """The review's simulation: 19 groups at steady rates. Before, a page carried four flags on average and
    98 % of pages at least one; now at most one page in ten may carry any."""
    pages, flagged_pages = 60, 0
    for seed in range(pages):
        flagged_pages += compstat.compstat_from_daily(steady_daily(np.random.default_rng(seed)), as_of=AS_OF).flags > 0
    assert flagged_pages <= pages // 10

    middle = "g09"  # about 2.5 records a day
    found = 0
    for seed in range(20):
        daily = steady_daily(np.random.default_rng(100 + seed), doubled={middle: AS_OF - timedelta(days=27)})
        result = compstat.compstat_from_daily(daily, as_of=AS_OF)
        row = {r.group: r for r in {p.name: p for p in result.periods}["28d"].rows}[middle]
        found += row.prior.direction == "up" and row.last_year.direction == "up"
    assert found >= 18
