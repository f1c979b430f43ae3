#!/usr/bin/env python3
"""Lesson 06 check: does every chunk size give the counts of one pass over the whole text
(no word cut by a chunk boundary counted twice or lost), and does the run show the lesson
(tiny chunks are slow, 2 threads beat 1 at 256 KiB, one chunk keeps one thread busy)? It also
notes the order in which chunks finished, and that the counts did not depend on it.

usage: check.py RUN_DIR
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "counts differ at chunk boundaries"
# The charts the README asks about: time against chunk size, and 2 threads and 2
# processes in 256 KiB chunks (`parsweep plot RUN --all-charts` draws every chart).
CHARTS = ["scaling-chunk_count-chunk_bytes-run0", "speedup-chunk_count-chunk_bytes262144-run*"]
KERNEL = "chunk_count"
WORKSHOP_CHUNK = 262144


def size(b):
    for unit, n in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b % n == 0:
            return f"{b // n} {unit}"
    return f"{b} B"


def excess(point):
    """Words counted minus words in the text, read from the failed point's message."""
    m = re.search(r"total_words (\d+), expected (\d+)", point.get("error") or "")
    return int(m.group(1)) - int(m.group(2)) if m else 0


def symptom(point):
    """Why a point failed, in the words of the lesson."""
    error = point.get("error") or "not verified"
    counts = {json.dumps(r.get("result", {}).get("counts"), sort_keys=True)
              for r in point.get("reps", []) if r.get("result")}
    if len(counts) > 1:
        return f"counts differ between runs: a data race — {error}"
    if "counts differ" not in error:
        return error  # not a wrong count: a crash, a timeout, …
    e = excess(point)
    if e > 0:
        why = "words cut by a chunk boundary are counted as two pieces (or lost)"
    elif e < 0:
        why = "words at chunk boundaries are lost (counted by no chunk)"
    else:
        why = "a word cut by a chunk boundary is not matched whole"
    return f"{STARTER_SYMPTOM}: {why} — {error} — see TODO(boundary) in starter/chunk_count.cpp"


def ms(point):
    t = c.median_s(point)
    return f"{t * 1e3:.1f} ms" if t is not None else "failed"


def timed(*pts):
    """Whether every point has a time (a failed point has none: no shape to read from it)."""
    return all(p is not None and c.median_s(p) is not None for p in pts)


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("06-chunked-reading", sys.argv[1], charts=CHARTS)
    pts = c.points(sweep, KERNEL)
    reported = set()
    for p in pts:  # once per point: a run's baseline may repeat another run's point
        if not p["verified"] and c.name(p) not in reported:
            reported.add(c.name(p))
            v.wrong(f"{c.name(p)}: {symptom(p)}")

    # 1 process × 1 thread, one point per chunk size, smallest first.
    by_size = {}
    for p in c.points(sweep, KERNEL, processes=1, threads=1):
        by_size.setdefault(p["params"]["chunk_bytes"], p)
    serial = [by_size[b] for b in sorted(by_size)]

    # Correctness against chunk size: the smaller the chunks, the more words a boundary cuts.
    wrong = [p for p in serial if not p["verified"] and excess(p)]
    if len(wrong) > 1:
        v.note("words counted too many (or too few), by chunk size: "
               + ", ".join(f"{size(p['params']['chunk_bytes'])} {excess(p):+,}" for p in wrong)
               + " — smaller chunks, more boundaries, more words cut")
    if v.problems:
        for p in serial:
            if p["verified"] and (p.get("result") or {}).get("chunks") == 1:
                v.note(f"{size(p['params']['chunk_bytes'])} chunks: correct — the whole text is "
                       "one chunk, so no boundary cuts a word (a bug that hides when chunks are "
                       "large or the text small)")

    # Shape 1: time against chunk size (1 process, 1 thread).
    if len([p for p in serial if timed(p)]) > 1:
        v.note("time by chunk size, 1 thread (compute_s): "
               + ", ".join(f"{size(p['params']['chunk_bytes'])} {ms(p)}" for p in serial))
    small, workshop = (serial[0] if serial else None), by_size.get(WORKSHOP_CHUNK)
    if timed(small, workshop) and small is not workshop:
        outcome, ratio = c.compare(small, workshop, margin=1.5)
        detail = ""
        if outcome == "shown":
            extra = c.median_s(small) - c.median_s(workshop)
            chunks = small["result"]["chunks"] - workshop["result"]["chunks"]
            detail = (f"about {extra / chunks * 1e6:.2f} µs more per chunk: a pread, a call, "
                      "a turn at the dynamic schedule")
        v.shape(f"{size(small['params']['chunk_bytes'])} chunks slower than "
                f"{size(WORKSHOP_CHUNK)} chunks", outcome, ratio, detail)

    # Shape 2: threads and processes at the workshop's chunk size, each against the 1 × 1
    # point of its own run (the run's baseline, as the harness's speedup).
    def at(chunk_bytes, processes, threads):
        found = c.points(sweep, KERNEL, chunk_bytes=chunk_bytes, processes=processes,
                         threads=threads)
        return found[0] if found else None

    for processes, threads, detail in ((1, 2, "each thread takes the next chunk"),
                                       (2, 1, "each process counts its own share of the chunks")):
        p = at(WORKSHOP_CHUNK, processes, threads)
        base = c.baseline(sweep, p) if p else None
        if timed(base, p):
            outcome, ratio = c.compare(base, p)
            what = "threads" if threads > 1 else "processes"
            v.shape(f"{size(WORKSHOP_CHUNK)} chunks: 2 {what} faster than 1", outcome, ratio,
                    detail if outcome == "shown" else "")
    big = serial[-1] if serial else None
    big_two = at(big["params"]["chunk_bytes"], 1, 2) if big else None
    if timed(big, big_two) and big["result"]["chunks"] == 1:
        v.note(f"{size(big['params']['chunk_bytes'])} chunks: the whole text is one chunk, so "
               f"one thread does all the work: 1 thread {ms(big)}, 2 threads {ms(big_two)} "
               "(a difference here is noise, or the idle thread's spinning)")

    # The order of results: chunks finish in any order; the sums do not care.
    for threads in sorted({p["threads"] for p in pts if p["processes"] == 1}):
        late = [r["result"]["out_of_order"] for p in pts
                if p["processes"] == 1 and p["threads"] == threads
                for r in p.get("reps", []) if r.get("verified") and r["result"]["chunks"] > 1]
        if not late:
            continue
        shuffled = sum(1 for n in late if n)
        if shuffled:
            v.note(f"order of results, {threads} threads: chunks finished out of order in "
                   f"{shuffled} of {len(late)} verified repetitions (up to {max(late):,} chunks "
                   "finished ahead of the chunk before them) — yet the counts were the same: "
                   "they are added up, and a sum does not care in which order its terms arrive")
        else:
            v.note(f"order of results, {threads} thread{'s' if threads > 1 else ''}: chunks "
                   f"finished in order in all {len(late)} verified repetitions")
    v.finish()


if __name__ == "__main__":
    main()
