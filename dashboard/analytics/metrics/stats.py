"""Count, median, p90, mean and share within target, for one set of durations or per group, vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analytics.metrics.model import Summary


def summarise(values: np.ndarray | pd.Series, target: float) -> Summary:
    """Count, median, p90 (linear interpolation), mean and share ≤ target of the non-NaN values."""
    values = np.asarray(values, dtype=float)
    return to_summary(grouped_stats(np.zeros(values.size, dtype=np.int64), values, 1, target), target)


def to_summary(stats: dict[str, np.ndarray], target: float) -> Summary:
    if not stats["count"][0]:
        return Summary(0, None, None, None, None, target)
    return Summary(int(stats["count"][0]), float(stats["median"][0]), float(stats["p90"][0]),
                   float(stats["mean"][0]), float(stats["within"][0]), target)


STATS = ("count", "median", "p90", "mean", "within")


NA_KEY = np.iinfo(np.int64).max  # NA ids sort last


def key_ints(column: pd.Series) -> np.ndarray:
    """An id column as int64 with NA as `NA_KEY`."""
    values = pd.array(column, dtype="Int64")
    return values.to_numpy(np.int64, na_value=NA_KEY)


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of non-negative ints, sorted (a bitmap when they are small enough)."""
    if values.size and values.min() >= 0 and values.max() < 1 << 26:
        return np.flatnonzero(np.bincount(values))
    return np.unique(values)


def dense_codes(keys: list[np.ndarray], used: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted ids used anywhere (NA as `NA_KEY`, last) and each key array as indexes into them.

    Rows not `used` get some valid index; callers mask them out.
    """
    present = np.concatenate([k[u] for k, u in zip(keys, used, strict=True)])
    has_na = bool((present == NA_KEY).any())
    ids = present[present != NA_KEY]
    if ids.size and (ids.min() < 0 or ids.max() > 1 << 24):
        universe = np.unique(present)
        return universe, [np.minimum(np.searchsorted(universe, k), universe.size - 1) for k in keys]
    top = int(ids.max(initial=0))
    ids = np.flatnonzero(np.bincount(ids, minlength=top + 1))
    universe = np.append(ids, NA_KEY) if has_na else ids
    lookup = np.zeros(top + 2, dtype=np.int64)
    lookup[ids] = np.arange(ids.size)
    lookup[top + 1] = ids.size if has_na else 0
    return universe, [lookup[np.where((k == NA_KEY) | (k < 0) | (k > top), top + 1, k)] for k in keys]


def grouped_stats(codes: np.ndarray, values: np.ndarray, groups: int, target: float) -> dict[str, np.ndarray]:
    """count, median, p90, mean and within (share ≤ target) of the non-NaN values per group code.

    Quantiles interpolate linearly between order statistics, as `numpy.quantile`'s default does.
    Groups without values get count 0 and NaN elsewhere.
    """
    order = np.argsort(values, kind="stable")
    order = order[~np.isnan(values[order])]
    return sorted_group_stats(codes[order], values[order], groups, target)


def sorted_group_stats(codes: np.ndarray, values: np.ndarray, groups: int, target: float) -> dict[str, np.ndarray]:
    """`grouped_stats` of values already in ascending order (no NaN)."""
    if groups > 1:
        # A stable sort by group keeps values ascending within each group (radix sort for small codes).
        by_group = np.argsort(codes.astype(np.uint16) if groups <= 65_535 else codes, kind="stable")
        codes, values = codes[by_group], values[by_group]
    count = np.bincount(codes, minlength=groups)
    offset = np.concatenate(([0], np.cumsum(count)[:-1]))
    present = count > 0
    last = max(values.size - 1, 0)

    def quantile(q: float) -> np.ndarray:
        if values.size == 0:
            return np.full(groups, np.nan)
        position = (count - 1) * q
        below = np.floor(position).astype(np.int64)
        fraction = position - below
        lo = values[np.clip(offset + below, 0, last)]
        hi = values[np.clip(offset + np.minimum(below + 1, count - 1), 0, last)]
        # numpy's lerp, so that results equal numpy.quantile's to the last bit
        step = hi - lo
        value = np.where(fraction >= 0.5, hi - step * (1 - fraction), lo + step * fraction)
        return np.where(present, np.where(step == 0, lo, value), np.nan)

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=values, minlength=groups) / count
        within = np.bincount(codes, weights=values <= target, minlength=groups) / count
    return {"count": count.astype(np.int64), "median": quantile(0.5), "p90": quantile(0.9),
            "mean": np.where(present, mean, np.nan), "within": np.where(present, within, np.nan)}
