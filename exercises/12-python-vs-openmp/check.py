#!/usr/bin/env python3
"""Lesson 12 check: does your square_sum run its parts in processes (not threads of one
interpreter), does your start_numpy give the BLAS the threads asked for (set before `import
numpy`), and does the run show the lesson — the GIL (2 Python threads no faster than 1, 2
interpreters faster), a Pool that costs more than 1,000 numbers' work and pays for millions,
Python's start-up and per-number cost next to C++'s, and numpy's inv on the same LAPACK as
the invert kernel?

Whether a point is right is decided in lesson12.py, which the command kernel runs: a point's
error carries its words ("lesson12: …").

usage: check.py RUN_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "Python threads take turns holding the GIL"

# The charts the README asks about (names `parsweep plot` gives this config's groups).
CHARTS = [
    "speedup-command-howthreads-*",    # the GIL: 2 threads against 2 interpreters
    "speedup-command-howyours-*",      # your Pool: a loss at 1,000, a gain at millions
    "overhead-command-howthreads-*",   # your program starting: set-up against compute
    "overhead-square-*",               # a C++ worker starting
    "speedup-square-*",                # OpenMP threads and processes on the same work
    "speedup-command-*taskinvert",     # numpy's BLAS threads
    "speedup-invert*",                 # the invert kernel's
]


def said(p):
    """What went wrong with p, in the words of lesson12.py when it said it."""
    error = p.get("error") or "not verified"
    if "cannot run 'lesson12'" in error:
        return (f"{error} — run the lesson with `make exercise N=12`: its run.sh puts "
                "lesson12 on PATH")
    return error[error.index("lesson12: ") + len("lesson12: "):] if "lesson12: " in error else error


def squares(sweep, how, **where):
    """The Python squaring points of `how` (threads: the lesson's; yours: square_sum)."""
    return c.points(sweep, "command", task="squares", how=how, **where)


def one(found):
    return found[0] if found else None


def rep_result_median(p, field):
    """The median over p's verified repetitions of result[field] (setup_s: the time the
    program ran before its parsweep-time: started — the interpreter and its imports)."""
    values = sorted(r["result"][field] for r in p.get("reps", [])
                    if r.get("verified") and field in r.get("result", {}))
    return values[len(values) // 2] if values else None


# Less work than this per 1 × 1 point is a few time slices (3–4 ms each): one preemption
# on a busy machine moves it more than any parallel effect (the lessons test's sizes).
LEAST_WORK_S = 0.05


def second_core(v, sweep, n):
    """Could the run use a second core at all? 2 Python processes — two interpreters, half
    the numbers each, nothing shared — against 1, on n numbers: the control of the parallel
    claims. On 2 free cores it is near 2×; when it is not faster, other work held the second
    core, and a parallel claim cannot be judged (it is never reported the other way round).
    Returns None when the control showed, else why the parallel claims are not judged."""
    cores = sweep.get("context", {}).get("usable_cores", {}).get("count") or 1
    alone = one(squares(sweep, "threads", n=n, processes=1, threads=1))
    pair = one(squares(sweep, "threads", n=n, processes=2, threads=1))
    if cores < 2:
        return f"{cores} usable core: nothing runs in parallel here"
    if not alone or not pair or c.median_s(alone) is None:
        return "no verified 1 × 1 and 2 × 1 Python points to compare"
    if c.median_s(alone) < LEAST_WORK_S:
        return (f"squaring {n:,} numbers took {c.duration(c.median_s(alone))}: too little "
                "work to tell parallel effects from the machine's noise")
    outcome, ratio = c.compare(alone, pair, margin=1.3)
    shown = outcome == "shown"
    v.shape(f"squaring {n:,} numbers: 2 Python processes faster than 1",
            "shown" if shown else "inconclusive", ratio,
            "two interpreters, each with its own GIL, run at the same time" if shown else
            BUSY)
    return None if shown else BUSY


BUSY = ("the second core was busy with other work (2 independent processes gained nothing), "
        "so the parallel claims cannot be judged: close other programs and run again")


def gil_shapes(v, sweep, n, unjudged):
    """2 Python threads against 2 Python processes (P = 2: two interpreters), on n numbers."""
    one_thread = one(squares(sweep, "threads", n=n, processes=1, threads=1))
    threads = one(squares(sweep, "threads", n=n, processes=1, threads=2))
    procs = one(squares(sweep, "threads", n=n, processes=2, threads=1))
    if threads and procs:
        outcome, ratio = c.compare(threads, procs, margin=1.3)
        detail = ""
        if unjudged:
            outcome, detail = "inconclusive", unjudged
        elif outcome == "shown" and one_thread:
            speed = c.median_s(one_thread) / c.median_s(threads)
            detail = (f"2 threads ran at {speed:.2f}× the speed of one: they take turns holding "
                      "the GIL; 2 interpreters have one each")
        v.shape(f"squaring {n:,} numbers: 2 Python threads slower than 2 Python processes",
                outcome, ratio, detail)


def pool_shapes(v, sweep, small, large, unjudged):
    """Your Pool: creating it costs more than 1,000 numbers' work; for millions it pays."""
    loop_small = one(squares(sweep, "threads", n=small, processes=1, threads=1))
    pool_small = one(squares(sweep, "yours", n=small, processes=1, threads=2))
    if loop_small and pool_small and pool_small["verified"]:
        outcome, ratio = c.compare(pool_small, loop_small, margin=2.0)
        v.shape(f"squaring {small:,} numbers: your Pool of 2 slower than the plain loop",
                outcome, ratio,
                f"the loop took {c.duration(c.median_s(loop_small))}, the Pool "
                f"{c.duration(c.median_s(pool_small))}: starting its processes "
                "costs more than the work" if outcome == "shown" else "")
    loop_large = one(squares(sweep, "threads", n=large, processes=1, threads=1))
    pool_large = one(squares(sweep, "yours", n=large, processes=1, threads=2))
    if large > small and loop_large and pool_large and pool_large["verified"]:
        outcome, ratio = c.compare(loop_large, pool_large, margin=1.2)
        v.shape(f"squaring {large:,} numbers: your Pool of 2 faster than the plain loop",
                "inconclusive" if unjudged else outcome, ratio, unjudged or "")


def python_vs_cpp(v, sweep, large):
    """Python's start-up and per-number cost against C++'s, one worker each."""
    py = one(squares(sweep, "threads", n=large, processes=1, threads=1))
    cpp = one(c.points(sweep, "square", n=large, processes=1, threads=1))
    if not py or not cpp:
        return
    outcome, ratio = c.compare(py, cpp, margin=10)
    per_number = ""
    if outcome == "shown":
        py_ns = c.median_s(py) / large * 1e9
        cpp_ns = c.median_s(cpp) / large * 1e9
        per_number = f"{py_ns:.3g} ns per number in Python, {cpp_ns:.2g} ns in C++"
    v.shape(f"squaring {large:,} numbers: C++ at least 10× faster than Python", outcome, ratio,
            per_number)


def start_up(v, sweep, small):
    """How long a Python program and a C++ worker take before their work starts (n small:
    a C++ worker's spawn then holds no array set-up)."""
    py = one(squares(sweep, "threads", n=small, processes=1, threads=1))
    cpp = one(c.points(sweep, "square", n=small, processes=1, threads=1))
    start_s = rep_result_median(py, "setup_s") if py else None
    if start_s is not None and cpp and cpp["verified"]:
        v.note(f"Python started in {c.duration(start_s)} before squaring anything (the "
               "interpreter and its imports: the set-up in the overhead charts); a C++ worker "
               f"in {c.duration(c.rep_median(cpp, 'spawn_s'))}")


def numpy_notes(v, sweep):
    """numpy's inv and the invert kernel: LAPACK on the same OpenBLAS. numpy's inv solves
    A·X = I (dgesv: 8/3·n³ flops), the kernel's getri inverts the LU factors (2n³): numpy
    does 4/3 of the work, and Python adds nothing that counts at this size."""
    for t in (1, 2):
        py = one(c.points(sweep, "command", task="invert", processes=1, threads=t))
        cpp = one(c.points(sweep, "invert", processes=1, threads=t))
        if py and cpp and py["verified"] and cpp["verified"]:
            v.note(f"inverting {py['params']['matrices']} matrices of {py['params']['n']}² on "
                   f"{t} BLAS thread{'s' if t > 1 else ''} (as asked: lesson12.py checked): "
                   f"numpy {c.duration(c.median_s(py))}, the invert kernel "
                   f"{c.duration(c.median_s(cpp))} — {c.median_s(py) / c.median_s(cpp):.2f}×, "
                   "where numpy's dgesv (A·X = I) does 1.33× the flops of the kernel's dgetri")


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("12-python-vs-openmp", sys.argv[1], charts=CHARTS)
    for kernel in ("command", "square", "invert"):
        for p in c.points(sweep, kernel):
            if not p["verified"]:
                v.wrong(f"{c.name(p)}: {said(p)}")
    sizes = sorted({p["params"]["n"] for p in squares(sweep, "threads")})
    if sizes:
        unjudged = second_core(v, sweep, sizes[-1])
        gil_shapes(v, sweep, sizes[-1], unjudged)
        pool_shapes(v, sweep, sizes[0], sizes[-1], unjudged)
        python_vs_cpp(v, sweep, sizes[-1])
        start_up(v, sweep, sizes[0])
    numpy_notes(v, sweep)
    v.finish()


if __name__ == "__main__":
    main()
