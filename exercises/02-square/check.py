#!/usr/bin/env python3
"""Lesson 02 check: is every sum-of-cubes method but `race` correct, and does the run show
the lesson (critical is slow, parallel loses on small N and wins on large N)?

usage: check.py RUN_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "a data race"
# The charts the README asks about: the five methods side by side at each thread count,
# and serial vs OpenMP against n (`parsweep plot RUN --all-charts` draws every chart).
CHARTS = ["methods-sum_cubes-method", "scaling-square-n"]


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("02-square", sys.argv[1], charts=CHARTS)
    for p in c.points(sweep, "square"):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {p['error']}")
    methods = ["race", "critical", "atomic", "reduction", "padded"]
    for m in methods:
        serial_ok = all(p["verified"] for p in c.points(sweep, "sum_cubes", method=m, threads=1))
        for p in c.points(sweep, "sum_cubes", method=m):
            if p["verified"]:
                if m == "race" and p["threads"] > 1:
                    v.note(f"{c.name(p)}: the race gave the right sum this time — a race does "
                           "not always show, and is still wrong")
                continue
            symptom = c.race_symptom(p, serial_ok)
            if m == "race":
                v.note(f"{c.name(p)}: {symptom} (as expected: this is the race)")
            else:
                v.wrong(f"{c.name(p)}: {symptom} — see TODO({m}) in starter/sum_cubes.cpp")
    # The shape of the lesson, at 2 threads.
    crit = c.points(sweep, "sum_cubes", method="critical", threads=2)
    red = c.points(sweep, "sum_cubes", method="reduction", threads=2)
    if crit and red:
        outcome, ratio = c.compare(crit[0], red[0], margin=2.0)
        v.shape("critical vs reduction at 2 threads", outcome, ratio,
                "every update waits for the lock" if outcome == "shown" else "")
    small_omp = c.points(sweep, "square", mode="omp", n=1000, threads=2)
    small_ser = c.points(sweep, "square", mode="serial", n=1000, threads=1)
    if small_omp and small_ser:
        outcome, ratio = c.compare(small_omp[0], small_ser[0])
        v.shape("cubing 1,000 numbers: 2 threads slower than serial", outcome, ratio,
                "starting threads costs more than the work" if outcome == "shown" else "")
    big_omp = c.points(sweep, "square", mode="omp", n=10000000, threads=2)
    big_ser = c.points(sweep, "square", mode="serial", n=10000000, threads=1)
    if big_omp and big_ser:
        outcome, ratio = c.compare(big_ser[0], big_omp[0], margin=1.2)
        v.shape("cubing 10 million numbers: 2 threads faster than serial", outcome, ratio)
    v.finish()


if __name__ == "__main__":
    main()
