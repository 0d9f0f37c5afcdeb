"""The statistics, against numbers worked out by hand and against brute force."""

from __future__ import annotations

import math

import h3
import numpy as np
import pytest

from safecommons.crimedata import stats


def brute_force_p(k: int, n: int, p: float) -> float:
    pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, sum(value for value in pmf if value <= pmf[k] * (1 + 1e-7)))


def test_the_binomial_p_value_matches_hand_worked_values():
    assert stats.binomial_two_sided_p(0, 10) == pytest.approx(2 / 1024)
    assert stats.binomial_two_sided_p(3, 10) == pytest.approx(352 / 1024)
    assert stats.binomial_two_sided_p(5, 10) == pytest.approx(1.0)
    assert stats.binomial_two_sided_p(0, 0) == 1.0


@pytest.mark.parametrize(("k", "n", "p"), [(7, 20, 0.3), (0, 15, 0.5), (15, 15, 0.5), (40, 60, 0.5), (1, 30, 0.1),
                                           (29, 30, 0.1), (12, 25, 0.48), (100, 150, 0.5), (3, 200, 0.02)])
def test_the_binomial_p_value_matches_brute_force(k, n, p):
    assert stats.binomial_two_sided_p(k, n, p) == pytest.approx(brute_force_p(k, n, p), rel=1e-9, abs=1e-300)


def test_the_binomial_p_value_counts_an_outcome_tied_with_k_across_the_mode():
    # 7 and 8 of 15 at p = ½ are equally likely and the likeliest: every outcome is as likely or less.
    assert stats.binomial_two_sided_p(7, 15) == pytest.approx(1.0)
    assert stats.binomial_two_sided_p(8, 15) == pytest.approx(1.0)
    assert stats.binomial_two_sided_p(0, 1) == pytest.approx(1.0)
    assert stats.binomial_two_sided_p(1, 1) == pytest.approx(1.0)


@pytest.mark.parametrize(("p", "largest_n"), [(0.5, 200), (1 / 3, 120), (0.25, 120), (0.1, 80), (0.8, 80)])
def test_the_binomial_p_value_matches_brute_force_for_every_small_count(p, largest_n):
    wrong = []
    for n in range(largest_n):
        pmf = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
        for k in range(n + 1):
            expected = min(1.0, sum(value for value in pmf if value <= pmf[k] * (1 + 1e-7)))
            if stats.binomial_two_sided_p(k, n, p) != pytest.approx(expected, rel=1e-9, abs=1e-300):
                wrong.append((k, n))
    assert wrong == []


def test_the_binomial_p_value_stays_finite_and_fast_for_large_counts():
    assert stats.binomial_two_sided_p(50_000, 100_000) == pytest.approx(1.0, abs=0.01)
    assert stats.binomial_two_sided_p(51_000, 100_000) < 1e-9
    assert 0.0 <= stats.binomial_two_sided_p(50_300, 100_000) <= 1.0


def test_a_small_count_change_is_not_flagged_even_when_it_looks_large():
    change = stats.poisson_change_test(6, 0)  # "from 0 to 6": p = 2/64 < 0.05, but 6 records in all
    assert change.p_value < 0.05
    assert not change.significant and change.direction == ""


def test_a_large_change_is_flagged_with_its_direction():
    up = stats.poisson_change_test(60, 30)
    down = stats.poisson_change_test(30, 60)
    assert up.significant and up.direction == "up" and up.percent == pytest.approx(100.0)
    assert down.significant and down.direction == "down"


def test_an_ordinary_wobble_is_not_flagged():
    change = stats.poisson_change_test(55, 48)
    assert change.p_value > 0.05 and not change.significant


def test_unequal_periods_are_compared_as_rates():
    # 30 records in 10 days against 60 in 20 days: the same rate, nothing to flag.
    change = stats.poisson_change_test(30, 60, current_days=10, previous_days=20)
    assert change.p_value > 0.5 and not change.significant


def test_p_values_from_z_scores_are_two_sided():
    p = stats.two_sided_p_from_z(np.array([0.0, 1.959964, -1.959964, 3.0]))
    assert p == pytest.approx([1.0, 0.05, 0.05, 0.0026998], rel=1e-4)


def test_benjamini_hochberg_rejects_the_step_up_set():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # sorted: 0.005 (1/5·q=0.01 ok), 0.01 (0.02 ok), 0.03 (0.03 ok), 0.04 (0.04 ok), 0.5 (0.05 no)
    assert stats.benjamini_hochberg(p, q=0.05).tolist() == [True, True, True, True, False]
    assert stats.benjamini_hochberg(np.array([0.02, 0.03]), q=0.05).tolist() == [True, True]
    assert stats.benjamini_hochberg(np.array([0.04, 0.3]), q=0.05).tolist() == [False, False]
    assert stats.benjamini_hochberg(np.array([])).tolist() == []


def hex_grid(radius: int = 10) -> tuple[list[str], np.ndarray]:
    """Cells within `radius` steps of a centre in Minneapolis (resolution 8), and their ring-1 neighbours."""
    centre = h3.latlng_to_cell(44.98, -93.27, 8)
    cells = sorted(h3.grid_disk(centre, radius))
    index = {cell: i for i, cell in enumerate(cells)}
    neighbours = np.full((len(cells), 7), -1, dtype=np.int64)
    for i, cell in enumerate(cells):
        inside = [index[other] for other in h3.grid_disk(cell, 1) if other in index]
        neighbours[i, : len(inside)] = inside
    return cells, neighbours


def test_gi_star_matches_the_formula_for_one_cell():
    cells, neighbours = hex_grid(3)
    rng = np.random.default_rng(1)
    x = rng.poisson(4, len(cells)).astype(float)
    z = stats.gi_star(x, neighbours)
    i = 0
    members = [j for j in neighbours[i] if j >= 0]
    n, w = len(x), len(members)
    mean, s = x.mean(), math.sqrt((x**2).mean() - x.mean() ** 2)
    expected = (x[members].sum() - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1)))
    assert z[i] == pytest.approx(expected)


def test_gi_star_with_fdr_finds_a_planted_hotspot():
    cells, neighbours = hex_grid(10)
    rng = np.random.default_rng(7)
    x = rng.poisson(5, len(cells)).astype(float)
    hot = h3.grid_disk(h3.latlng_to_cell(44.99, -93.25, 8), 1)
    index = {cell: i for i, cell in enumerate(cells)}
    planted = [index[cell] for cell in hot]
    x[planted] += 25
    test = stats.hotspot_test(x, neighbours)
    flagged = test.significant
    assert test.hot[index[h3.latlng_to_cell(44.99, -93.25, 8)]]
    assert not test.cold.any()  # every flag is hot, and inside or touching the plant
    touching = {index[c] for cell in hot for c in h3.grid_disk(cell, 1) if c in index}
    assert set(np.nonzero(flagged)[0]) <= touching


@pytest.mark.parametrize("mean", [0.3, 1.0, 5.0, 30.0])
def test_gi_star_with_fdr_flags_nothing_on_uniform_data_at_the_fdr_level(mean):
    """With no pattern at all, a flag anywhere is a false discovery: under q = 0.05 it happens in at most
    about one grid in twenty (here: at most 6 of 100 random grids), sparse grids included."""
    cells, neighbours = hex_grid(10)
    grids_with_a_flag = 0
    for seed in range(100):
        x = np.random.default_rng(seed).poisson(mean, len(cells)).astype(float)
        grids_with_a_flag += bool(stats.hotspot_test(x, neighbours).significant.any())
    assert grids_with_a_flag <= 6


def test_the_poisson_p_value_matches_hand_worked_values():
    assert stats.poisson_two_sided_p(0, 2.0) == pytest.approx(2 * math.exp(-2))
    assert stats.poisson_two_sided_p(4, 1.0) == pytest.approx(2 * (1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6)))
    assert stats.poisson_two_sided_p(2, 2.0) == 1.0


def test_gi_star_is_zero_when_every_cell_holds_the_same_count():
    cells, neighbours = hex_grid(2)
    assert not stats.gi_star(np.full(len(cells), 3.0), neighbours).any()
