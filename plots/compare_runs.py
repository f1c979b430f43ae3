#!/usr/bin/env python3
"""Draw two parsweep runs side by side, with the time ratio B ÷ A per point.

    plots/compare_runs.py results/A results/B [--out DIR] [--formats png,svg]

Writes compare-*.png/svg, compare.csv and compare.html into DIR (default:
compare-<A>-vs-<B>/ beside B, so results/compare-…/ for runs in results/).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parsweep_plots import run_cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_cli("compare_main"))
