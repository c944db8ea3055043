"""Small statistics for the cohort report: Wilson score intervals, fixed-bin histograms, and a
counter whose memory is capped. All three take values one at a time and keep no list of them,
so a cohort of any size costs the same memory.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from typing import Generic, Hashable, TypeVar

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution

K = TypeVar("K", bound=Hashable)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion k/n (95 % by default); None when n is 0.

    Wilson EB. Probable inference, the law of succession, and statistical inference.
    J Am Stat Assoc. 1927;22(158):209-212. 0/n has lower bound 0 and n/n upper bound 1.
    """
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"{k} is not a count between 0 and {n}")
    p, z2 = k / n, z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


class Histogram:
    """Counts of values in fixed bins: bin i holds edges[i] <= value < edges[i + 1], and the last
    bin also holds a value equal to the last edge. Values outside the edges are counted apart."""

    def __init__(self, edges: list[float]):
        if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
            raise ValueError("a histogram needs at least two increasing edges")
        self.edges = edges
        self.counts = [0] * (len(edges) - 1)
        self.below = self.above = 0

    @classmethod
    def linear(cls, start: float, stop: float, width: float) -> Histogram:
        steps = round((stop - start) / width)
        return cls([start + i * width for i in range(steps + 1)])

    @classmethod
    def log10(cls, first_decade: int, last_decade: int, per_decade: int) -> Histogram:
        """Bins of equal width on a log scale, from 10**first_decade to 10**last_decade."""
        steps = (last_decade - first_decade) * per_decade
        return cls([10 ** (first_decade + i / per_decade) for i in range(steps + 1)])

    @property
    def n(self) -> int:
        return sum(self.counts) + self.below + self.above

    def add(self, value: float) -> None:
        index = bisect_right(self.edges, value) - 1
        if index < 0:
            self.below += 1
        elif index < len(self.counts):
            self.counts[index] += 1
        elif value == self.edges[-1]:
            self.counts[-1] += 1
        else:
            self.above += 1

    def merged(self, factor: int) -> tuple[list[float], list[int]]:
        """Edges and counts with every `factor` neighbouring bins joined (for a plot)."""
        edges = self.edges[::factor]
        if edges[-1] != self.edges[-1]:
            edges.append(self.edges[-1])
        counts = [sum(self.counts[i:i + factor]) for i in range(0, len(self.counts), factor)]
        return edges, counts

    def quantile(self, q: float, log: bool = False) -> float | None:
        """The q-quantile estimated from the bins (linear within a bin, or linear in log10 with
        `log`); None without values, or when it falls among the values outside the edges."""
        total = self.n
        if not total:
            return None
        target = q * total
        seen = self.below
        if target < seen:
            return None
        for i, count in enumerate(self.counts):
            if count and seen + count >= target:
                low, high = self.edges[i], self.edges[i + 1]
                share = (target - seen) / count
                if log:
                    return 10 ** (math.log10(low) + share * (math.log10(high) - math.log10(low)))
                return low + share * (high - low)
            seen += count
        return None

    def exact_quantile(self, q: float) -> float | None:
        """The q-quantile, linear between order statistics (numpy's default), for bins that each
        hold one value, their lower edge (whole numbers in bins of width 1); None without values."""
        total = sum(self.counts)
        if not total:
            return None
        position = (total - 1) * q
        low, high = self._value_at(math.floor(position)), self._value_at(math.ceil(position))
        return low + (position - math.floor(position)) * (high - low)

    def _value_at(self, rank: int) -> float:
        """The lower edge of the bin that holds the value of this 0-based rank."""
        seen = 0
        for i, count in enumerate(self.counts):
            seen += count
            if seen > rank:
                return self.edges[i]
        raise IndexError(rank)


class CappedCounter(Generic[K]):
    """Counts keys, tracking at most `cap` distinct ones: a key first seen once `cap` keys are
    tracked is counted in `untracked` only. A tracked key was tracked from its first
    occurrence, so its count is exact.

    For whole-number keys, `untracked_max()` bounds how often any one untracked key occurred:
    each untracked occurrence also counts in two rows of 65,536 cells (a count sketch), and no
    key occurred more often than the fullest cell of either row.
    """

    _CELLS = 1 << 16
    _MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # odd 64-bit constants: well-mixed cell numbers

    def __init__(self, cap: int):
        self.cap = cap
        self.counts: dict[K, int] = {}
        self.untracked = 0
        self._sketch: list[array[int]] | None = None

    def add(self, key: K, n: int = 1) -> None:
        counts = self.counts
        if key in counts:
            counts[key] += n
        elif len(counts) < self.cap:
            counts[key] = n
        else:
            self.untracked += n
            if isinstance(key, int):
                if self._sketch is None:
                    self._sketch = [array("Q", bytes(8 * self._CELLS)) for _ in self._MULTIPLIERS]
                for row, multiplier in zip(self._sketch, self._MULTIPLIERS):
                    row[((key * multiplier) & 0xFFFFFFFFFFFFFFFF) >> 48] += n

    def untracked_max(self) -> int:
        """No untracked key occurred more often than this (int keys; else `untracked`)."""
        if not self.untracked or self._sketch is None:
            return self.untracked
        return min(max(row) for row in self._sketch)

    def most_common(self, top: int) -> list[tuple[K, int]]:
        """The `top` most frequent keys, ties in the order of the keys (deterministic)."""
        return sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:top]
