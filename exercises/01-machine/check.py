#!/usr/bin/env python3
"""Lesson 01 check: does usable_cores() count the cores this job may use (not the machine's
CPUs), and does the run show the lesson — speedup up to the usable cores, and none past them?

usage: check.py RUN_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "it counted the machine's CPUs, not the job's"
# The charts the README asks about: the speedup that stops at the usable cores
# (`parsweep plot RUN --all-charts` draws every chart).
CHARTS = ["speedup-pi"]


def more_threads_not_faster(at_cores, over, cores_speedup_shown, margin=1.15):
    """Is `over` (more threads than usable cores) no faster than `at_cores`? Returns
    ("shown" | "not shown" | "inconclusive", speed of `over` relative to `at_cores`).

    Only a run that could measure the speedup up to the cores (`cores_speedup_shown`) can
    tell: on a machine busy with other work, every extra thread wins a larger share of the
    contended CPUs, and neither answer would be about this machine's cores — inconclusive.
    Given that, "not faster" (the lesson) is shown unless `over` is faster by `margin`."""
    outcome, ratio = c.compare(at_cores, over, margin)
    if ratio is None or not cores_speedup_shown:
        return "inconclusive", ratio
    return ("not shown" if outcome == "shown" else "shown"), ratio


def describe_machine(v, sweep):
    """What `parsweep info` says about the machine the run was on."""
    ctx = sweep.get("context", {})
    topo, cores = ctx.get("topology", {}), ctx.get("usable_cores", {})
    blas, omp = ctx.get("blas", {}), ctx.get("openmp", {})
    v.note(f"machine: {topo.get('packages', '?')} package(s), {topo.get('cores', '?')} physical "
           f"cores, {topo.get('pus', '?')} logical CPUs; usable cores {cores.get('reason', '?')}")
    v.note(f"libraries: OpenMP {omp.get('version', '?')} ({omp.get('max_threads', '?')} threads "
           f"by default), {blas.get('name', '?')} {blas.get('version', '')} "
           f"({blas.get('threading', '?')})")


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("01-machine", sys.argv[1], charts=CHARTS)
    describe_machine(v, sweep)
    for p in c.points(sweep, "usable_pi"):
        limits = ", ".join(f"{k}={val}" for k, val in sorted(p.get("env", {}).items()))
        where = f"{c.name(p)}" + (f" with {limits}" if limits else "")
        if not p["verified"]:
            v.wrong(f"{where}: {p.get('error') or 'not verified'} — see the TODOs in "
                    "starter/usable_cores.cpp")
        else:
            result = p.get("result", {})
            mine = ", ".join(str(n) for n in result.get("usable_cores", []))
            v.note(f"{where}: usable_cores() says {mine}, as parsweep does")
    for p in c.points(sweep, "pi"):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {p.get('error') or 'not verified'}")

    # The shape: speedup up to the usable cores, and none past them.
    usable = sweep.get("context", {}).get("usable_cores", {}).get("count")
    by_threads = {p["threads"]: p for p in c.points(sweep, "pi", processes=1)}
    over = [t for t in by_threads if usable and t > usable]
    if usable in by_threads and 1 in by_threads and over:
        shown = usable == 1
        if usable > 1:
            outcome, ratio = c.compare(by_threads[1], by_threads[usable], margin=1.3)
            shown = outcome == "shown"
            v.shape(f"pi: {usable} threads (the usable cores) faster than 1", outcome, ratio)
        most = max(over)
        outcome, ratio = more_threads_not_faster(by_threads[usable], by_threads[most], shown)
        v.shape(f"pi: {most} threads not faster than {usable}, the usable cores",
                outcome, ratio,
                f"{usable} cores run at most {usable} threads at once; the rest wait their turn"
                if outcome == "shown" else
                "no speedup up to the cores either: the machine is busy with other work"
                if outcome == "inconclusive" and not shown else "")
    v.finish()


if __name__ == "__main__":
    main()
