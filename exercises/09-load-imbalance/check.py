#!/usr/bin/env python3
"""Lesson 09 check: does every point hand its rows out with the schedule it asks for (and run
every row once, with the right value), and does the run show the lesson (schedule(static)
leaves one thread waiting on rows of growing cost, dynamic and guided do not; big chunks bring
the wait back; no schedule evens out two processes' halves)? It reports each thread's share of
the work and the thread imbalance: how long the first thread to finish waited.

usage: check.py RUN_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "the schedule asked for was not used"
KERNEL = "triangle"
# Charts the README's questions are about (names as `parsweep plot` writes them).
CHARTS = ["speedup-triangle-schedule*", "scaling-triangle-chunk-*", "overhead-triangle"]


def clause(p):
    s, chunk = p["params"]["schedule"], p["params"]["chunk"]
    return f"schedule({s}, {chunk})" if chunk else f"schedule({s})"


def at(sweep, schedule, chunk, processes=1, threads=2):
    found = c.points(sweep, KERNEL, schedule=schedule, chunk=chunk, processes=processes,
                     threads=threads)
    return found[0] if found and c.median_s(found[0]) is not None else None


def symptom(p):
    error = p.get("error") or "not verified"
    if "rows not handed out as" in error:
        return (f"{STARTER_SYMPTOM}: {error} — see TODO(schedule) in "
                "starter/schedule_rows.cpp")
    return error


def ms(seconds):
    return f"{seconds * 1e3:.1f} ms"


def imbalance_note(p):
    """Each thread's share of the work and busy time, and how long the first one waited, in
    the repetition whose wait is the median (one repetition, so that the numbers add up)."""
    reps = sorted((r for r in p.get("reps", []) if r.get("verified") and r.get("result")),
                  key=lambda r: r["result"]["thread_imbalance_s"])
    if not reps:
        return None
    rep = reps[(len(reps) - 1) // 2]
    result = rep["result"]
    units = result["units"]
    shares = ", ".join(f"thread {t} {100 * u / sum(units):.0f}% of the work, busy {ms(b)}"
                       for t, (u, b) in enumerate(zip(units, result["busy_s"])))
    wait, loop = result["thread_imbalance_s"], rep.get("compute_s")
    of_loop = f" — {100 * wait / loop:.0f}% of the loop's {ms(loop)}" if loop else ""
    return (f"{clause(p)}, {p['threads']} threads: {shares}; the first to finish waited "
            f"{ms(wait)}{of_loop} (thread imbalance; the median of {len(reps)} runs)")


def shapes(v, sweep):
    static = at(sweep, "static", 0)
    for other in ("dynamic", "guided"):
        fast = at(sweep, other, 0)
        if static and fast:
            outcome, ratio = c.compare(static, fast, margin=1.2)
            v.shape(f"rows of growing cost, 2 threads: schedule(static) slower than "
                    f"schedule({other})", outcome, ratio,
                    "one block per thread: the last block holds the expensive rows"
                    if outcome == "shown" else "")
    small = at(sweep, "static", 16)
    if static and small:
        outcome, ratio = c.compare(static, small, margin=1.2)
        v.shape("2 threads: schedule(static, 16) faster than schedule(static)", outcome, ratio,
                "chunks dealt round-robin mix cheap and expensive rows in every thread"
                if outcome == "shown" else "")
    big, fine = at(sweep, "dynamic", 1024), at(sweep, "dynamic", 16)
    if big and fine:
        outcome, ratio = c.compare(big, fine, margin=1.1)
        v.shape("2 threads: schedule(dynamic, 1024) slower than schedule(dynamic, 16)",
                outcome, ratio,
                "3 chunks for 2 threads: the last one runs alone" if outcome == "shown" else "")
    procs, threads = at(sweep, "dynamic", 0, processes=2, threads=1), at(sweep, "dynamic", 0)
    if procs and threads:
        outcome, ratio = c.compare(procs, threads, margin=1.2)
        wait = c.rep_median(procs, "imbalance_s")
        v.shape("schedule(dynamic): 2 processes × 1 thread slower than 1 process × 2 threads",
                outcome, ratio,
                f"each process gets a fixed half of the rows; the harness's load imbalance "
                f"(imbalance_s) is {ms(wait)}" if outcome == "shown" and wait else "")


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("09-load-imbalance", sys.argv[1], charts=CHARTS)
    for p in c.points(sweep, KERNEL):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {symptom(p)}")
    # The symptom: how long a thread waits, schedule by schedule, at 2 threads.
    for schedule in ("static", "dynamic", "guided"):
        p = at(sweep, schedule, 0)
        note = imbalance_note(p) if p else None
        if note:
            v.note(note)
    for schedule in ("static", "dynamic"):
        by_chunk = [at(sweep, schedule, chunk) for chunk in (1, 16, 256, 1024)]
        timed = [p for p in by_chunk if p]
        if len(timed) > 1:
            v.note(f"schedule({schedule}, chunk), 2 threads (compute_s): "
                   + ", ".join(f"chunk {p['params']['chunk']} {ms(c.median_s(p))}"
                               for p in timed))
    shapes(v, sweep)
    v.finish()


if __name__ == "__main__":
    main()
