#!/usr/bin/env python3
"""Lesson 05 check: does start_blas() set the BLAS thread count before the library starts
(so OpenBLAS runs the threads asked for), and does the run show the lesson — more BLAS
threads lose on small matrices and win on large ones?

usage: check.py RUN_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "the count was set after the BLAS had started"
# The charts the README asks about: BLAS threads on small and large matrices, and on
# your start_blas() (`parsweep plot RUN --all-charts` draws every chart).
CHARTS = ["speedup-invert-n*", "speedup-blas_invert"]

SMALL_N, LARGE_N = 100, 1500  # the orders of configs/lessons/05-blas-threads.json


def blas_threads_ran(point):
    """The BLAS threads the point's workers ran (sorted). blas_invert's result says it,
    counted after start_blas(); the repetitions' blas_threads were read when the worker
    started, before any BLAS was loaded, so they are only for kernels that load it at start."""
    said = (point.get("result") or {}).get("blas_threads")
    if said is not None:
        return sorted(set(said if isinstance(said, list) else [said]))
    return sorted({r["blas_threads"] for r in point.get("reps", []) if "blas_threads" in r})


def size_shapes(v, sweep, cores):
    """n = SMALL_N: `cores` BLAS threads slower than 1; n = LARGE_N: faster."""
    for n, claim, slower_threads in ((SMALL_N, "slower", cores), (LARGE_N, "faster", 1)):
        one = c.points(sweep, "invert", n=n, processes=1, threads=1)
        many = c.points(sweep, "invert", n=n, processes=1, threads=cores)
        if not one or not many or cores < 2:
            continue
        slow, fast = (many[0], one[0]) if slower_threads == cores else (one[0], many[0])
        outcome, ratio = c.compare(slow, fast, margin=1.3)
        why = ("a {n}×{n} inversion is too little work to share: waking and waiting for the "
               "second thread costs more than it saves" if n == SMALL_N else
               "enough work in every BLAS call for all the cores").format(n=n)
        v.shape(f"invert n={n}: {cores} BLAS threads {claim} than 1", outcome, ratio,
                why if outcome == "shown" else "")


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("05-blas-threads", sys.argv[1], charts=CHARTS)
    for p in c.points(sweep, "blas_invert"):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {p.get('error') or 'not verified'} — see TODO(order) in "
                    "starter/start_blas.cpp")
        else:
            v.note(f"{c.name(p)}: start_blas({p['threads']}) — OpenBLAS ran "
                   f"{', '.join(map(str, blas_threads_ran(p)))} thread(s), as asked")
    for p in c.points(sweep, "invert"):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {p.get('error') or 'not verified'}")

    cores = sweep.get("context", {}).get("usable_cores", {}).get("count") or 1
    size_shapes(v, sweep, cores)
    # Above the cores, OpenBLAS does not oversubscribe one process: it caps its threads.
    for p in c.points(sweep, "invert", processes=1):
        ran = blas_threads_ran(p)
        if p["threads"] > cores and ran and max(ran) <= cores:
            v.note(f"{c.name(p)}: OpenBLAS ran {max(ran)} threads, not {p['threads']}: it "
                   "starts at most one per CPU it sees")
            break
    v.finish()


if __name__ == "__main__":
    main()
