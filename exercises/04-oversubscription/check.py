#!/usr/bin/env python3
"""Lesson 04 check: does every worker of the pool get a share of the cores (never P × BLAS
threads above the usable cores, no core left idle), and does the run show the lesson (C
processes × C BLAS threads on C cores — Pool(6) with 6 BLAS threads each on 6 cores — is
slower than either fix, with many more involuntary context switches)?

usage: check.py RUN_DIR
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "oversubscribed:"
# The charts the README asks about: the invert heatmap (C × 1 against 1 × C), its
# matched vs oversubscribed bars (the context switches), and the pool
# (`parsweep plot RUN --all-charts` draws every chart).
CHARTS = ["oversubscription-invert", "oversubscription-bars-invert", "speedup-pool_invert"]
MARGIN = 1.2


def switches(slow, fast):
    """How the involuntary context switches of two points compare, in words: "9.0× more
    involuntary context switches (1,620 vs 180 per repetition)", or "" when unknown."""
    a, b = c.rep_median(slow, "ctx_involuntary"), c.rep_median(fast, "ctx_involuntary")
    ratio = c.ratio_of_medians(slow, fast, "ctx_involuntary")
    if ratio is None:
        return ""
    counts = f"({a:,.0f} vs {b:,.0f} per repetition)"
    if ratio >= 1.5:
        times = "" if math.isinf(ratio) else f"{ratio:.1f}× "
        busy = slow["processes"] * slow["threads"]
        return (f"{busy} busy threads take turns: {times}more involuntary context switches "
                f"{counts}")
    return f"about as many involuntary context switches {counts}: idle BLAS threads yield too"


def one(sweep, kernel, processes, threads):
    found = c.points(sweep, kernel, processes=processes, threads=threads)
    return found[0] if found else None


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("04-oversubscription", sys.argv[1], charts=CHARTS)
    cores = (sweep.get("context", {}).get("usable_cores") or {}).get("count", 1)

    for p in c.points(sweep, "pool_invert"):
        if not p["verified"]:
            error = p.get("error") or "not verified"
            hint = (" — see TODO(threads) in starter/blas_threads.cpp"
                    if "oversubscribed" in error or "idle" in error or "returned" in error else "")
            v.wrong(f"{c.name(p)}: {error}{hint}")
            continue
        r = p.get("result") or {}
        P, b, C = r.get("processes"), r.get("blas_threads_asked"), r.get("usable_cores")
        line = (f"pool_invert, {P} worker{'s' if P != 1 else ''} × {b} BLAS "
                f"thread{'s' if b != 1 else ''} on {C} usable cores: "
                f"{c.duration(c.median_s(p))}")
        if P > C:
            line += (" — the processes alone oversubscribe: one thread each is the best a "
                     "worker can do; the cure is fewer processes")
        v.note(line)
    for p in c.points(sweep, "invert"):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {p.get('error') or 'not verified'}")

    # The shape: C × C (every worker uses every core) against the two fixes, C × 1 (one BLAS
    # thread per process) and 1 × C (one process with C threads).
    over = one(sweep, "invert", cores, cores) if cores > 1 else None
    if over is None:
        v.note(f"no invert point at {cores} processes × {cores} threads: nothing to compare"
               + (" (one usable core: nothing can run side by side)" if cores == 1 else ""))
    for fix, processes, threads in (("one BLAS thread per process", cores, 1),
                                    ("one process with all the threads", 1, cores)):
        matched = one(sweep, "invert", processes, threads) if over else None
        if matched is None:
            continue
        outcome, ratio = c.compare(over, matched, margin=MARGIN)
        detail = switches(over, matched) if outcome == "shown" else ""
        v.shape(f"{cores} processes × {cores} threads on {cores} cores slower than "
                f"{processes} × {threads} ({fix})", outcome, ratio, detail)
    v.finish()


if __name__ == "__main__":
    main()
