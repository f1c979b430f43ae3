#!/usr/bin/env python3
"""Draw a parsweep run's charts into RUN_DIR/plots/ and write RUN_DIR/report.html.

    plots/plot_run.py results/latest [--out DIR] [--formats png,svg]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parsweep_plots import run_cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_cli("plot_run_main"))
