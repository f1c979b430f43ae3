#!/usr/bin/env python3
"""Lesson 03 check: does the hand-written split cover every item exactly once (odd sizes do
not split evenly), and does the run show the lesson (small work: parallel loses, and the
phases say why; the size from which 2 processes, and 2 threads, beat 1)?

usage: check.py RUN_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "the split drops the remainder of n / parts"
# The charts the README asks about: the crossovers (wall time against n, processes in run0,
# threads in run1) and where the time of 999 numbers goes (`parsweep plot RUN
# --all-charts` draws every chart).
CHARTS = ["scaling-split_sum-n-run*", "overhead-split_sum-n999-run*"]
KERNEL = "split_sum"
SETTINGS = (("2 processes", 2, 1), ("2 threads", 1, 2))
PHASES = ("spawn_s", "dispatch_s", "compute_s", "gather_s")


def phases(p):
    """"spawn 2.1 ms, dispatch 9 µs, compute 4 µs, gather 60 µs" (medians over repetitions)."""
    return ", ".join(f"{f[:-2]} {c.duration(c.rep_median(p, f))}" for f in PHASES)


def symptom(p):
    if c.answers(p) > 1:
        return c.differs_symptom(p, "the sum")
    error = p.get("error") or "not verified"
    hint = " — see TODO(share) in starter/share.cpp" if "computed" in error else ""
    return error + hint


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("03-overhead", sys.argv[1], charts=CHARTS)
    for p in c.points(sweep, KERNEL):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {symptom(p)}")

    sizes = sorted({p["params"]["n"] for p in c.points(sweep, KERNEL)})
    # Each parallel point against the 1 × 1 of its own run, measured alongside it.
    pairs = {label: [] for label, _, _ in SETTINGS}
    for label, processes, threads in SETTINGS:
        for n in sizes:
            for p in c.points(sweep, KERNEL, n=n, processes=processes, threads=threads):
                base = c.baseline(sweep, p)
                if base is not None:
                    pairs[label].append((n, base, p))

    table = []
    for n in sizes:
        cells = [f"1×1 {c.duration(c.median_s(q))}"
                 for q in c.points(sweep, KERNEL, n=n, processes=1, threads=1)][:1]
        for label, processes, threads in SETTINGS:
            cells += [f"{processes}×{threads} {c.duration(c.median_s(q))}"
                      for q in c.points(sweep, KERNEL, n=n, processes=processes,
                                        threads=threads)][:1]
        table.append(f"{n:,}: " + ", ".join(cells))
    if table:
        v.note("wall time (median) by n — " + "; ".join(table))

    # Shape 1: the smallest size, where the work is tiny: parallel loses, and the phases say
    # where the time went.
    for label, found in pairs.items():
        if not found:
            continue
        n, base, p = found[0]
        outcome, ratio = c.compare(p, base)
        detail = ""
        if outcome == "shown":
            detail = (f"{label}: {phases(p)}; 1 process × 1 thread: {phases(base)} — starting "
                      "and coordinating workers costs far more than the work")
        v.shape(f"{n:,} items: {label} slower than 1", outcome, ratio, detail)

    # Shape 2: where parallel starts to win.
    for label, found in pairs.items():
        if len(found) < 2:
            continue
        outcome, n, ratio = c.crossover(found)
        if outcome == "shown":
            detail = f"{label} win from n = {n:,} on"
        elif outcome == "not shown":
            detail = f"{label} lose even at n = {found[-1][0]:,}"
        else:
            detail = "no size where parallel clearly wins and keeps winning"
        v.shape(f"crossover: {label} beat 1 from some n on", outcome, ratio, detail)
    v.finish()


if __name__ == "__main__":
    main()
