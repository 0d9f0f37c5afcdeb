"""The statistics behind the analytics, written out so that each step can be read and tested.

- `poisson_change_test`: is a change between two counts more than chance? Two Poisson counts n1 (now) and n2
  (before) over periods of lengths t1 and t2: given their sum, n1 follows Binomial(n1 + n2, t1 / (t1 + t2))
  when the rate did not change. The exact two-sided p-value of that binomial is computed in log space
  (`math.lgamma`), so it stays exact for counts in the hundred thousands.
- `gi_star`: Getis-Ord Gi* for counts on a grid, with binary weights (a cell and its neighbours).
- `benjamini_hochberg`: which of many p-values stay significant when the false-discovery rate is held at q;
  `changes_with_fdr` applies it to all the comparisons of one page.
- `dispersion`: how much more than a Poisson count a series of counts varies (quasi-Poisson), to widen a test.

No scipy: the few functions needed are short, and each is tested against numbers worked out by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

SIGNIFICANCE = 0.05
# A change is never flagged when both periods together hold fewer records than this: with a handful of
# records any "doubling" is noise a reader should not be alarmed by, whatever the p-value says.
MIN_TOTAL = 10
# Nor when the rate moved by less than a fifth. With thousands of records a change of 3 % is "significant", yet
# it is within what seasons, holidays and reporting habits move a count by, and no one should re-deploy for it.
MIN_RELATIVE_CHANGE = 0.20
FDR_Q = 0.05
# Fewer equal periods than this say too little about how counts vary: the dispersion is then taken as 1.
MIN_DISPERSION_PERIODS = 8


def _log_binomial_pmf(k: int, n: int, log_p: float, log_q: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) + k * log_p + (n - k) * log_q


def binomial_two_sided_p(k: int, n: int, p: float = 0.5) -> float:
    """The exact two-sided p-value of k successes in n trials of probability p: the probability of every
    outcome no more likely than k (the usual "minimum likelihood" definition). 1.0 when n is 0.

    The distribution rises to its mode and falls after it, so the outcomes no more likely than k are two
    tails: k's own, and one on the far side of the mode found by bisection. The far side starts at the mode
    itself when k is below it, so that an outcome tied with k across the mode (k = 7 of n = 15 at p = ½ and
    its mirror 8; 0 and 1 of n = 1) is counted. Each tail is summed outwards until its terms are negligible
    (e^-50 of the observed one), which keeps the work near √n terms for any n.
    """
    if n <= 0:
        return 1.0
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    log_p, log_q = math.log(p), math.log1p(-p)

    def log_pmf(i: int) -> float:
        return _log_binomial_pmf(i, n, log_p, log_q)

    observed = log_pmf(k)
    # "As likely" within rounding: a relative 1e-7, plus lgamma's own error, which grows with n log n.
    threshold = observed + 1e-7 + 1e-14 * math.lgamma(n + 1)
    floor = observed - 50.0
    # The mode is ⌊(n + 1) p⌋; when (n + 1) p is a whole number the outcome just below is exactly as likely.
    # Rounding of (n + 1) p can land one off, so the likeliest of the neighbours is taken.
    guess = int((n + 1) * p)
    mode = max(range(max(0, guess - 1), min(n, guess + 1) + 1), key=log_pmf)

    def tail(start: int, step: int) -> list[float]:
        values, i = [], start
        while 0 <= i <= n:
            value = log_pmf(i)
            if value < floor:
                break
            values.append(value)
            i += step
        return values

    def first_beyond(low: int, high: int, rising: bool) -> int | None:
        """On a monotone stretch [low, high], the outcome nearest the mode no more likely than k."""
        if low > high:
            return None
        if rising:  # left of the mode: pmf rises with i; want the largest i with pmf <= threshold
            if log_pmf(low) > threshold:
                return None
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if log_pmf(middle) <= threshold else (low, middle - 1)
            return low
        if log_pmf(high) > threshold:  # right of the mode: pmf falls; want the smallest such i
            return None
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if log_pmf(middle) <= threshold else (middle + 1, high)
        return low

    # The pmf rises on [0, mode] and falls on [mode, n]; the far side of k excludes k itself.
    if k <= mode:
        logs = tail(k, -1)
        other = first_beyond(mode if k < mode else mode + 1, n, rising=False)
        logs += tail(other, +1) if other is not None else []
    else:
        logs = tail(k, +1)
        other = first_beyond(0, mode, rising=True)
        logs += tail(other, -1) if other is not None else []
    top = max(logs)
    total = top + math.log(sum(math.exp(value - top) for value in logs))
    return min(1.0, math.exp(total))


@dataclass(frozen=True)
class Change:
    """A count now against a count before, and whether the difference is worth a reader's attention."""

    current: int
    previous: int
    p_value: float
    significant: bool  # tested, large enough, and p small enough (alone, or among its page: `changes_with_fdr`)
    current_days: int = 1
    previous_days: int = 1
    dispersion: float = 1.0

    @property
    def tested(self) -> bool:
        """Whether the two periods hold records enough to be tested at all (MIN_TOTAL)."""
        return self.current + self.previous >= MIN_TOTAL

    @property
    def percent(self) -> float | None:
        """The change of the rate (records per day) in per cent of the previous one; None when there was none
        before. Equal periods: simply the change of the count."""
        if self.previous == 0:
            return None
        before = self.previous / self.previous_days
        return 100.0 * (self.current / self.current_days - before) / before

    @property
    def large(self) -> bool:
        """Whether the rate moved by at least MIN_RELATIVE_CHANGE (anything from nothing counts as large)."""
        percent = self.percent
        return percent is None or abs(percent) >= 100.0 * MIN_RELATIVE_CHANGE - 1e-9

    @property
    def direction(self) -> str:
        """"up" or "down" when significant, else ""."""
        if not self.significant:
            return ""
        return "up" if self.current * self.previous_days > self.previous * self.current_days else "down"


def poisson_change_test(current: int, previous: int, *, current_days: int = 1, previous_days: int = 1,
                        alpha: float = SIGNIFICANCE, min_total: int = MIN_TOTAL, dispersion: float = 1.0) -> Change:
    """Compare two counts as Poisson rates over periods of the given lengths (equal by default).

    Conditional on the total, the current count is Binomial(total, current_days / (current_days +
    previous_days)) under "no change"; the exact two-sided binomial p-value decides. With a dispersion φ > 1
    (counts varying φ times more than Poisson ones), both counts are divided by φ before the test, which
    widens it as a quasi-Poisson model does. Flagged, as a single test, only when p < alpha, the total is at
    least `min_total` and the rate moved by at least MIN_RELATIVE_CHANGE; a page of many tests decides with
    `changes_with_fdr` instead.
    """
    dispersion = max(1.0, dispersion)
    share = current_days / (current_days + previous_days)
    if dispersion > 1.0:
        scaled_current, scaled_previous = round(current / dispersion), round(previous / dispersion)
        p_value = binomial_two_sided_p(scaled_current, scaled_current + scaled_previous, share)
    else:
        p_value = binomial_two_sided_p(current, current + previous, share)
    change = Change(current=current, previous=previous, p_value=p_value, significant=False,
                    current_days=current_days, previous_days=previous_days, dispersion=dispersion)
    return replace(change, significant=current + previous >= min_total and change.large and p_value < alpha)


def changes_with_fdr(changes: list[Change], q: float = FDR_Q) -> list[Change]:
    """The changes of one page, flagged together: a change is significant when it is tested (MIN_TOTAL), large
    (MIN_RELATIVE_CHANGE), and its p-value survives Benjamini-Hochberg at q among all the tested changes.

    Changes with too few records to be tested cannot be flagged whatever their p-value, so they are not counted
    in the family (conditional on the total, which is all that decides this, the p-value is uniform when
    nothing changed). Changes too small to flag stay in the family: leaving them out would pick tests by
    their own outcome."""
    tested = [i for i, change in enumerate(changes) if change.tested]
    rejected = benjamini_hochberg(np.array([changes[i].p_value for i in tested]), q)
    survivors = {i for i, keep in zip(tested, rejected, strict=True) if keep}
    return [replace(change, significant=i in survivors and change.large) for i, change in enumerate(changes)]


def dispersion(counts: list[int]) -> float:
    """The quasi-Poisson dispersion of counts of equal periods: their variance over their mean (Pearson's
    chi-square over its degrees of freedom), never below 1; 1 when there are fewer than
    MIN_DISPERSION_PERIODS counts or none is above zero."""
    x = np.asarray(counts, dtype=float)
    if x.size < MIN_DISPERSION_PERIODS or x.mean() <= 0:
        return 1.0
    return max(1.0, float(((x - x.mean()) ** 2).sum() / (x.mean() * (x.size - 1))))


def two_sided_p_from_z(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-values of z-scores: erfc(|z| / √2)."""
    flat = np.abs(np.asarray(z, dtype=float)).ravel() / math.sqrt(2.0)
    return np.fromiter((math.erfc(value) for value in flat), dtype=float, count=flat.size).reshape(np.shape(z))


def gi_star(counts: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Getis-Ord Gi* z-scores of `counts` (one per cell of the study area).

    `neighbours` is an (n, k) array of indices into `counts`: row i lists cell i itself and its neighbours
    inside the study area, padded with -1. Weights are binary (1 for each listed cell), so for cell i with
    W_i listed cells:

        Gi* = (Σ_j x_j − x̄ W_i) / (S √((n W_i − W_i²) / (n − 1)))

    with x̄ and S the mean and (population) standard deviation of all n cells. Zeros where every cell holds
    the same count (nothing stands out) or where a cell's neighbourhood is the whole study area.
    """
    x = np.asarray(counts, dtype=float)
    n = x.size
    if n < 2:
        return np.zeros(n)
    valid = neighbours >= 0
    padded = np.where(valid, neighbours, 0)
    local_sum = np.where(valid, x[padded], 0.0).sum(axis=1)
    weights = valid.sum(axis=1).astype(float)
    mean = x.mean()
    spread = math.sqrt(max((x * x).mean() - mean * mean, 0.0))
    denominator = spread * np.sqrt(np.maximum(n * weights - weights * weights, 0.0) / (n - 1))
    z = np.zeros(n)
    usable = denominator > 0
    z[usable] = (local_sum[usable] - mean * weights[usable]) / denominator[usable]
    return z


def benjamini_hochberg(p_values: np.ndarray, q: float = FDR_Q) -> np.ndarray:
    """Which hypotheses are rejected with the false-discovery rate held at q (Benjamini-Hochberg step-up):
    the k smallest p-values, for the largest k with p_(k) <= k q / m. A boolean array in the input's order."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    rejected = np.zeros(m, dtype=bool)
    if m == 0:
        return rejected
    order = np.argsort(p, kind="stable")
    below = p[order] <= q * np.arange(1, m + 1) / m
    if below.any():
        last = int(np.nonzero(below)[0].max())
        rejected[order[: last + 1]] = True
    return rejected


def poisson_two_sided_p(observed: int, expected: float) -> float:
    """Twice the Poisson tail beyond `observed` (the upper tail when above `expected`, else the lower), at
    most 1: an exact p-value for a count against the count a uniform rate would give."""
    if expected <= 0:
        return 1.0 if observed == 0 else 0.0
    log_mean = math.log(expected)

    def log_pmf(i: int) -> float:
        return i * log_mean - expected - math.lgamma(i + 1)

    start = log_pmf(observed)
    logs, i, step = [], observed, (1 if observed > expected else -1)
    while i >= 0:
        value = log_pmf(i)
        if value < start - 50.0:
            break
        logs.append(value)
        i += step
    top = max(logs)
    return min(1.0, 2.0 * math.exp(top + math.log(sum(math.exp(value - top) for value in logs))))


def poisson_upper_p(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected): 1.0 when `observed` is not above `expected`."""
    if observed <= expected:
        return 1.0
    if expected <= 0:
        return 0.0
    log_mean = math.log(expected)
    logs, i = [], observed
    start = observed * log_mean - expected - math.lgamma(observed + 1)
    while True:
        value = i * log_mean - expected - math.lgamma(i + 1)
        if value < start - 50.0:
            break
        logs.append(value)
        i += 1
    top = max(logs)
    return min(1.0, math.exp(top + math.log(sum(math.exp(value - top) for value in logs))))


def cell_excess_p(counts: np.ndarray) -> np.ndarray:
    """Per cell, the one-sided p-value of its own count against the study area's background: the median cell
    (robust to the hot cells themselves), as a quasi-Poisson count whose dispersion is the robust variance
    (1.4826 × the median absolute deviation, squared) over that median, never below 1."""
    x = np.asarray(counts, dtype=float)
    if x.size == 0:
        return np.ones(0)
    median = float(np.median(x))
    if median <= 0:
        return np.ones(x.size)
    spread = 1.4826 * float(np.median(np.abs(x - median)))
    phi = max(1.0, spread * spread / median)
    return np.fromiter((poisson_upper_p(int(round(value / phi)), median / phi) for value in x), dtype=float,
                       count=x.size)


@dataclass(frozen=True)
class HotspotTest:
    """Per cell: the Gi* z-score, the p-value used, and whether it stands out with the FDR held at q. A cell is
    hot only when significant and its own count is above the study area's mean (a cell with no records, or
    fewer than the average, is never called a hot spot however hot its neighbours are); cold only when
    significant with a negative z and its count below the mean."""

    z: np.ndarray
    p: np.ndarray
    significant: np.ndarray
    counts: np.ndarray | None = None

    @property
    def _mean_count(self) -> float:
        """The study area's mean count per cell; 0 for an area with no cells (numpy warns on an empty mean)."""
        return float(self.counts.mean()) if self.counts is not None and self.counts.size else 0.0

    @property
    def hot(self) -> np.ndarray:
        if self.counts is None:
            return self.significant & (self.z > 0)
        return self.significant & (self.counts > self._mean_count)

    @property
    def cold(self) -> np.ndarray:
        below = np.ones(self.z.shape, dtype=bool) if self.counts is None else self.counts < self._mean_count
        return self.significant & (self.z < 0) & below

    @property
    def near_hot(self) -> np.ndarray:
        """Significant with a positive z but not above the mean itself: next to a hot spot, not one."""
        return self.significant & (self.z > 0) & ~self.hot


def hotspot_test(counts: np.ndarray, neighbours: np.ndarray, q: float = FDR_Q) -> HotspotTest:
    """Gi* z-scores, two-sided p-values, Benjamini-Hochberg at q; with each cell's own excess tested too.

    Gi*'s p-value comes from the normal distribution, which over-states a sparse grid's extremes (a few
    records in a neighbourhood of a grid that is mostly zeros; simulated, a plain Gi* flags something on a
    fifth of uniform grids averaging 0.5 per cell). So a cell's p-value is the larger of the normal one and the
    exact Poisson p-value of its neighbourhood's total against the total a uniform rate gives it. Only cells
    whose normal p-value is below q can pass the step-up, so only those need the Poisson one.
    """
    x = np.asarray(counts, dtype=float)
    z = gi_star(x, neighbours)
    p = two_sided_p_from_z(z)
    if x.size:
        valid = neighbours >= 0
        local = np.where(valid, x[np.where(valid, neighbours, 0)], 0.0).sum(axis=1)
        expected = x.mean() * valid.sum(axis=1)
        for i in np.nonzero(p < q)[0]:
            p[i] = max(p[i], poisson_two_sided_p(int(round(local[i])), float(expected[i])))
    # Gi*'s neighbourhood (a cell and its six neighbours) can be far larger than a cluster: at resolution 8 a
    # hot spot of two busy cells is diluted by five ordinary ones, and the busy cells themselves widen S. So each
    # cell is also tested on its own count (`cell_excess_p`); its p-value is twice the smaller of the two
    # (Bonferroni over its two tests), and Benjamini-Hochberg then runs over the cells as before.
    p = np.minimum(1.0, 2.0 * np.minimum(p, cell_excess_p(x)))
    return HotspotTest(z=z, p=p, significant=benjamini_hochberg(p, q), counts=x)
