"""Benchmarks: each module here registers functions that return {figure name: number}.

Figures are ratios against a baseline measured in the same run wherever possible, since absolute
times depend on the machine. Run them all with `python -m bench`.
"""

from __future__ import annotations

from collections.abc import Callable

Benchmark = Callable[[], dict[str, float]]

BENCHMARKS: list[Benchmark] = []


def benchmark(function: Benchmark) -> Benchmark:
    """Register `function` to be run by `python -m bench`."""
    BENCHMARKS.append(function)
    return function
