"""`python -m bench [module ...]`: run the benchmarks, print a table, write bench/results.json.

With module names, only those run and their figures are merged into the existing results file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import bench

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str] | None = None) -> int:
    modules = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("modules", nargs="*", metavar="module", help=f"one of: {', '.join(modules)} (default: all)")
    chosen = parser.parse_args(argv).modules or modules
    if unknown := sorted(set(chosen) - set(modules)):
        parser.error(f"no benchmark module {', '.join(unknown)}; there are: {', '.join(modules)}")
    for name in chosen:
        importlib.import_module(f"bench.{name}")

    figures: dict[str, float] = {}
    for run in bench.BENCHMARKS:
        started = time.perf_counter()
        print(f"running {run.__module__}.{run.__name__} …", file=sys.stderr, flush=True)
        figures.update(run())
        print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    results = figures
    if chosen != modules and RESULTS.exists():
        results = json.loads(RESULTS.read_text()) | figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    width = max(map(len, figures), default=6)
    print(f"{'figure':<{width}}  value")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:,.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
