#!/usr/bin/env python3
"""Lesson 07 check: does every block of samples draw random numbers of its own (never the
same stream in every worker), is the hit count the same whatever P and T, and does the run
show the lesson (2 workers faster than 1)?

usage: check.py RUN_DIR
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "the same random stream in every worker"
# The charts the README asks about: the speedup of your streams and of the built-in pi
# (`parsweep plot RUN --all-charts` draws every chart).
CHARTS = ["speedup-pi_streams", "speedup-pi"]


def reproducibility(v, sweep, kernel):
    """Every verified repetition of every P×T point of a (samples, seed) must count the same
    hits: the streams belong to the blocks, not to whoever draws them."""
    groups = {}
    for p in c.points(sweep, kernel):
        key = json.dumps(p.get("params", {}), sort_keys=True)
        for r in p.get("reps", []):
            if r.get("verified") and r.get("result"):
                groups.setdefault(key, {}).setdefault(r["result"]["hits"], set()).add(
                    f"P={p['processes']} T={p['threads']}")
    for key, counts in groups.items():
        params = json.loads(key)
        what = f"{kernel} samples={params.get('samples')} seed={params.get('seed')}"
        if len(counts) > 1:
            seen = [f"{h:,} at {', '.join(sorted(w))}" for h, w in sorted(counts.items())]
            seen = "; ".join(seen[:3]) + (f"; {len(seen) - 3} other counts" if len(seen) > 3 else "")
            v.wrong(f"{what}: the hit count differs between runs ({seen}): not reproducible "
                    "whatever P and T — the streams depend on which process or thread draws "
                    "them (thread ids, clocks), not on the block")
            continue
        hits = next(iter(counts))
        n = params["samples"]
        estimate = 4 * hits / n
        sigma = 4 * math.sqrt(math.pi / 4 * (1 - math.pi / 4) / n)
        v.note(f"{what}: {hits:,} hits at every P×T — reproducible whatever P and T; "
               f"π ≈ {estimate:.6f} (error {estimate - math.pi:+.1e}, one σ = {sigma:.0e})")


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("07-random-streams", sys.argv[1], charts=CHARTS)
    for kernel in ("pi_streams", "pi"):
        for p in c.points(sweep, kernel):
            if not p["verified"]:
                hint = " — see TODO(streams) in starter/pi_streams.cpp" if kernel == "pi_streams" else ""
                v.wrong(f"{c.name(p)}: {p.get('error') or 'not verified'}{hint}")
        reproducibility(v, sweep, kernel)
    # The shape of the lesson: independent blocks need no communication, so 2 workers —
    # processes or threads — finish sooner than 1.
    for label, outcome, ratio, _ in c.two_workers_vs_one(sweep, "pi_streams"):
        v.shape(f"pi_streams: {label} faster than 1", outcome, ratio,
                "the blocks are independent: no communication" if outcome == "shown" else "")
    v.finish()


if __name__ == "__main__":
    main()
