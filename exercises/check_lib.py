"""What every lesson's check.py shares: reading a run, naming points, telling correct from
wrong (with the symptom), and shape checks that compare medians with a margin.

A shape check never fails on noise: it says "shown" when the effect is clearly there, "not
shown" when the opposite clearly is, and "inconclusive" in between. Only correctness decides
a check's exit status (0 correct, 1 not); shapes are reported.
"""
import json
import os
import sys


def load(run_dir):
    """The run's sweep.json as a dict; exits 2 naming the file when it is missing or broken."""
    path = os.path.join(run_dir, "sweep.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"check: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def points(sweep, kernel, **params):
    """The points of `kernel` whose parameters (and processes/threads) match `params`."""
    out = []
    for p in sweep.get("points", []):
        if p.get("kernel") != kernel:
            continue
        fields = dict(p.get("params", {}), processes=p.get("processes"), threads=p.get("threads"))
        if all(fields.get(k) == v for k, v in params.items()):
            out.append(p)
    return out


def name(p):
    return f"{p['label']} P={p['processes']} T={p['threads']}"


def median_s(p):
    """The median of the point's time metric (wall_s, or compute_s when the lesson compares
    the kernel alone), or None when it failed: a failed point has no time."""
    if not p.get("verified"):
        return None
    metric = p.get("time_metric", "wall_s")
    return (p.get("stats", {}).get(metric) or {}).get("median")


def race_symptom(point, serial_ok):
    """Why a point failed, in the words of the lesson: a race when the same code is right
    with one thread and wrong with more, or gives different answers from run to run."""
    results = [json.dumps(r.get("result"), sort_keys=True) for r in point.get("reps", [])]
    if len(set(results)) > 1:
        return "sum differs between runs: a data race"
    if serial_ok and point.get("threads", 1) > 1:
        return "correct with 1 thread, wrong with more: a data race"
    return "wrong result: " + (point.get("error") or "not verified")


def compare(slow, fast, margin=1.3):
    """Is `slow` slower than `fast` by at least `margin`× (medians)? Returns
    ("shown" | "not shown" | "inconclusive", ratio slow/fast or None)."""
    a, b = median_s(slow), median_s(fast)
    if a is None or b is None or b <= 0:
        return "inconclusive", None
    ratio = a / b
    if ratio >= margin:
        return "shown", ratio
    if ratio <= 1 / margin:
        return "not shown", ratio
    return "inconclusive", ratio


def two_workers_vs_one(sweep, kernel, margin=1.3):
    """The shape of work that splits without communication: is 2 processes × 1 thread, and
    1 process × 2 threads, faster than 1 × 1? Yields (label, outcome, ratio, the 2-worker
    point) for each that the run measured; `outcome` as compare() says it."""
    base = points(sweep, kernel, processes=1, threads=1)
    for label, where in (("2 processes", {"processes": 2, "threads": 1}),
                         ("2 threads", {"processes": 1, "threads": 2})):
        fast = points(sweep, kernel, **where)
        if base and fast:
            outcome, ratio = compare(base[0], fast[0], margin)
            yield label, outcome, ratio, fast[0]


class Verdict:
    """Collects correctness problems and shape findings, prints them, and exits."""

    def __init__(self, lesson):
        self.lesson = lesson
        self.problems = []
        self.notes = []

    def wrong(self, what):
        self.problems.append(what)

    def note(self, what):
        self.notes.append(what)

    def shape(self, claim, outcome, ratio, detail=""):
        words = {"shown": "shows the lesson", "not shown": "does NOT show it",
                 "inconclusive": "inconclusive (within the noise margin)"}[outcome]
        r = f" ({ratio:.2f}×)" if ratio is not None else ""
        self.notes.append(f"{claim}{r}: {words}" + (f" — {detail}" if detail else ""))

    def finish(self):
        print(f"lesson {self.lesson}:")
        if self.problems:
            print("  NOT CORRECT:")
            for p in self.problems:
                print(f"    - {p}")
        else:
            print("  correct: every result verified")
        for n in self.notes:
            print(f"  - {n}")
        sys.exit(1 if self.problems else 0)
