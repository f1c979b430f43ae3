"""What every lesson's check.py shares: reading a run, naming points, telling correct from
wrong (with the symptom), and shape checks that compare medians with a margin and their
confidence intervals.

A shape check never fails on noise: it says "shown" when the effect is clearly there (the
medians differ by the margin and their intervals do not overlap), "not shown" when the
opposite clearly is, and "inconclusive" in between. On a busy machine (other programs took
the cores, measured when the check starts, or the run's own times spread widely) every shape
is "inconclusive: the machine was too busy": load that comes and goes moves whole points, so
their intervals can be apart and still say nothing, either way; a check must never state
the opposite of the lesson from noise. Only correctness decides a check's exit status (0
correct, 1 not); shapes are reported.
"""
import json
import math
import multiprocessing
import os
import statistics
import sys
import time


def load(run_dir):
    """The run's sweep.json as a dict; exits 2 naming the file when it is missing or broken."""
    path = os.path.join(run_dir, "sweep.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"check: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def _same_measurement(p):
    """What makes two points the same measurement: kernel, parameters, processes, threads,
    environment and time metric (not the run they came from)."""
    return json.dumps([p.get("kernel"), p.get("params", {}), p.get("processes"),
                       p.get("threads"), p.get("env", {}), p.get("time_metric")], sort_keys=True)


def points(sweep, kernel, **params):
    """The points of `kernel` whose parameters (and processes/threads) match `params`, each
    measurement once. Two runs of a config that share a kernel and parameters both measure
    their baseline (1 × 1), the second as a `baseline_only` point: the same measurement
    twice. Only the first is kept (a point on the grid as given wins over a baseline_only
    one), so a lesson never reports one problem twice or picks a copy at random. To compare
    a point with the baseline of its own run, use baseline(sweep, p)."""
    kept, index = [], {}
    for p in sweep.get("points", []):
        if p.get("kernel") != kernel:
            continue
        fields = dict(p.get("params", {}), processes=p.get("processes"), threads=p.get("threads"))
        if not all(fields.get(k) == v for k, v in params.items()):
            continue
        key = _same_measurement(p)
        if key not in index:
            index[key] = len(kept)
            kept.append(p)
        elif kept[index[key]].get("baseline_only") and not p.get("baseline_only"):
            kept[index[key]] = p
    return kept


def baseline(sweep, p):
    """The baseline point of p's own group — the same run and parameters at the run's
    baseline processes × threads (1 × 1 unless the config says otherwise) — or None when it
    is missing. p itself when p is the baseline."""
    want = p.get("baseline") or {"processes": 1, "threads": 1}
    for q in sweep.get("points", []):
        if (q.get("run") == p.get("run") and q.get("kernel") == p.get("kernel")
                and q.get("params") == p.get("params")
                and q.get("processes") == want.get("processes")
                and q.get("threads") == want.get("threads")):
            return q
    return None


def name(p):
    return f"{p['label']} P={p['processes']} T={p['threads']}"


def median_s(p):
    """The median of the point's time metric (wall_s, or compute_s when the lesson compares
    the kernel alone), or None when it failed: a failed point has no time."""
    if not p.get("verified"):
        return None
    metric = p.get("time_metric", "wall_s")
    return (p.get("stats", {}).get(metric) or {}).get("median")


def times_s(p):
    """The point's time metric in each verified repetition; [] for a failed point. A point
    recorded without per-repetition times gives its median alone."""
    if not p.get("verified"):
        return []
    metric = p.get("time_metric", "wall_s")
    values = [r[metric] for r in p.get("reps", [])
              if r.get("verified") and isinstance(r.get(metric), (int, float))]
    if not values and median_s(p) is not None:
        values = [median_s(p)]
    return sorted(values)


def _binomial_tail(n, k):
    """P(X < k) for X ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(k)) / 2 ** n


def interval(p):
    """(low, median, high): the median of the point's time and a distribution-free 95%
    interval for it (order statistics: no assumption that times are normal, which they are
    not on a busy machine). With 5 repetitions or fewer it is the range, min … max. None for
    a failed point."""
    values = times_s(p)
    if not values:
        return None
    n, j = len(values), 0
    while j + 1 < n - j - 1 and _binomial_tail(n, j + 2) <= 0.025:
        j += 1
    return values[j], statistics.median(values), values[n - 1 - j]


def noise_pct(p):
    """The half-width of the point's median interval, in % of the median; None when failed."""
    i = interval(p)
    if i is None or i[1] <= 0:
        return None
    return 100 * (i[2] - i[0]) / 2 / i[1]


def answers(point):
    """How many different results the point's repetitions gave."""
    return len({json.dumps(r.get("result"), sort_keys=True) for r in point.get("reps", [])})


def differs_symptom(point, what="result"):
    """The neutral wording for a point whose repetitions disagree, when a race is not the
    only possible cause (an uninitialised value, a clock or thread id in the computation, a
    split that depends on timing): "result differs between runs (3 answers in 5 runs)"."""
    return (f"{what} differs between runs ({answers(point)} different answers in "
            f"{len(point.get('reps', []))} runs)")


def race_symptom(point, serial_ok):
    """Why a point failed, in the words of the lesson: a race when the same code is right
    with one thread and wrong with more, or gives different answers from run to run."""
    if answers(point) > 1:
        return "sum differs between runs: a data race"
    if serial_ok and point.get("threads", 1) > 1:
        return "correct with 1 thread, wrong with more: a data race"
    return "wrong result: " + (point.get("error") or "not verified")


def rep_median(p, field):
    """The median of a per-repetition field (spawn_s, compute_s, ctx_involuntary, …) over the
    point's verified repetitions, or None when it has none: a failed point has no values."""
    values = [r[field] for r in p.get("reps", [])
              if r.get("verified") and isinstance(r.get(field), (int, float))]
    return statistics.median(values) if values else None


def ratio_of_medians(a, b, field):
    """rep_median(a, field) / rep_median(b, field): how many times more of `field` a had
    (e.g. involuntary context switches). None when either is missing; +inf when only b's is
    zero, 1.0 when both are."""
    x, y = rep_median(a, field), rep_median(b, field)
    if x is None or y is None:
        return None
    if y == 0:
        return 1.0 if x == 0 else math.inf
    return x / y


def duration(seconds):
    """A time for people: "2.31 ms", "840 µs", "1.20 s"; "failed" for None."""
    if seconds is None:
        return "failed"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def compare(slow, fast, margin=1.3):
    """Is `slow` slower than `fast` by at least `margin`×? Returns ("shown" | "not shown" |
    "inconclusive", ratio of the medians slow/fast or None):
      shown         the medians differ by the margin and the intervals do not overlap;
      not shown     the opposite: `fast` is slower by the margin, intervals apart;
      inconclusive  anything else (the intervals overlap: noise), or a failed point.
    Verdict.shape turns "not shown" into "inconclusive" on a busy machine."""
    a, b = interval(slow), interval(fast)
    if a is None or b is None or b[1] <= 0 or a[1] <= 0:
        return "inconclusive", None
    ratio = a[1] / b[1]
    if ratio >= margin and a[0] > b[2]:
        return "shown", ratio
    if ratio <= 1 / margin and a[2] < b[0]:
        return "not shown", ratio
    return "inconclusive", ratio


def crossover(pairs, margin=1.3):
    """Where parallel starts to win. `pairs` is [(size, serial_point, parallel_point), …];
    the crossover is the smallest size at which parallel is faster by `margin`× (medians)
    and is not clearly slower at any larger size. Returns (outcome, size, ratio) with ratio
    = serial / parallel at that size:
      ("shown", size, ratio)       parallel wins from `size` on;
      ("not shown", None, ratio)   parallel is clearly slower even at the largest size;
      ("inconclusive", None, …)    no clear win, or a win followed by a clear loss (noise).
    """
    pairs = sorted(pairs, key=lambda t: t[0])
    outcomes = [(size, *compare(serial, parallel, margin)) for size, serial, parallel in pairs]
    for i, (size, outcome, ratio) in enumerate(outcomes):
        if outcome == "shown":
            if any(o == "not shown" for _, o, _ in outcomes[i + 1:]):
                return "inconclusive", None, ratio
            return "shown", size, ratio
    if outcomes and outcomes[-1][1] == "not shown":
        return "not shown", None, outcomes[-1][2]
    return "inconclusive", None, outcomes[-1][2] if outcomes else None


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


def _spin(seconds, results):
    """Busy for `seconds` of wall time; puts the CPU time this process got in that time."""
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start_wall < seconds:
        pass
    results.put((time.process_time() - start_cpu) / (time.perf_counter() - start_wall))


def probe_machine(cores, seconds=0.3):
    """How much of the machine a program gets now: one busy process per usable core for
    `seconds`, and the share of its wall time each was on a CPU (1.0: the cores are free;
    0.5: something else keeps them half busy). Returns {"cpu_share", "load_1min"}."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    try:
        results = multiprocessing.SimpleQueue()
        procs = [multiprocessing.Process(target=_spin, args=(seconds, results))
                 for _ in range(max(1, cores))]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        shares = [results.get() for _ in procs]
    except OSError as e:  # no processes to be had: the run's noise alone decides
        print(f"check: cannot measure the machine ({e}); judging by the run's noise",
              file=sys.stderr)
        return {"cpu_share": None, "load_1min": load}
    return {"cpu_share": min(1.0, statistics.mean(shares)), "load_1min": load}


# Below this share of the cores the machine counts as busy (a CPU hog on every core gives
# about 0.5; a quiet laptop 0.95 or more); and above this run noise (the median half-width
# of the points' 95% intervals, ±%): load during the sweep that had gone by the check.
BUSY_CPU_SHARE = 0.8
BUSY_NOISE_PCT = 25


def machine_state(sweep):
    """The machine a check judges on: how busy it is (probe_machine, or the run's recorded
    "machine_load" in its context, as hand-made runs in tests give) and the run's noise, the
    median over its points of noise_pct. {"busy", "cpu_share", "load_1min", "noise_pct"}."""
    context = sweep.get("context", {})
    state = dict(context.get("machine_load") or
                 probe_machine(int((context.get("usable_cores") or {}).get("count") or
                                   len(os.sched_getaffinity(0)))))
    noises = [n for n in (noise_pct(p) for p in sweep.get("points", [])) if n is not None]
    state["noise_pct"] = statistics.median(noises) if noises else None
    share = state.get("cpu_share")
    state["busy"] = ((share is not None and share < BUSY_CPU_SHARE) or
                     (state["noise_pct"] or 0) > BUSY_NOISE_PCT)
    return state


class Verdict:
    """Collects correctness problems and shape findings, prints them, writes them to the run
    directory as lesson.json (what `parsweep plot` opens the lesson's report with, and the
    charts it draws for the lesson), and exits.

    lesson.json: {"lesson": "02-square", "correct": bool, "problems": [str],
    "findings": [{"claim", "outcome", "ratio", "detail", "words"}], "notes": [str],
    "charts": [glob patterns over chart names, e.g. "speedup-sum_cubes*"]}. An empty
    "charts" list means the lesson names none: every chart is drawn.
    """

    def __init__(self, lesson, run_dir=None, charts=(), machine=None):
        """`machine`: machine_state() of the run; by default measured when the check starts
        (with a run directory) or taken as quiet (without: recorded results in tests)."""
        self.lesson = lesson
        self.run_dir = run_dir
        self.charts = list(charts)
        self.problems = []
        self.notes = []
        self.findings = []
        self.machine = machine
        if machine is None and run_dir and os.path.isfile(os.path.join(run_dir, "sweep.json")):
            self.machine = machine_state(load(run_dir))
        self.machine = self.machine or {"busy": False, "noise_pct": None}

    def wrong(self, what):
        self.problems.append(what)

    def note(self, what):
        self.notes.append(what)

    def inconclusive_words(self):
        """Why a shape is inconclusive, and what to do."""
        noise = self.machine.get("noise_pct")
        n = f"noise ±{noise:.0f}%" if noise is not None else "noise unknown"
        if self.machine.get("busy"):
            got = self.machine.get("cpu_share")
            share = f", a program got {100 * got:.0f}% of the cores" if got is not None else ""
            return (f"inconclusive: the machine was too busy ({n}{share}); close other "
                    "programs and run again")
        return f"inconclusive: within the noise ({n}); run again"

    def shape(self, claim, outcome, ratio, detail=""):
        """A finding. On a busy machine every finding is inconclusive, without the detail
        that explained it (see the top of the file)."""
        if self.machine.get("busy"):
            outcome, detail = "inconclusive", ""
        words = {"shown": "shows the lesson", "not shown": "does NOT show it",
                 "inconclusive": self.inconclusive_words()}[outcome]
        r = f" ({ratio:.2f}×)" if ratio is not None else ""
        self.findings.append({"claim": claim, "outcome": outcome, "ratio": ratio,
                              "detail": detail, "words": words})
        self.notes.append(f"{claim}{r}: {words}" + (f" — {detail}" if detail else ""))

    def record(self):
        """The verdict as lesson.json's object."""
        return {"lesson": self.lesson, "correct": not self.problems,
                "problems": self.problems, "findings": self.findings,
                "notes": self.notes, "charts": self.charts, "machine": self.machine}

    def write(self):
        """lesson.json in the run directory, replaced whole (written aside, then renamed):
        a report never opens with half a verdict."""
        if not self.run_dir or not os.path.isdir(self.run_dir):
            return
        path = os.path.join(self.run_dir, "lesson.json")
        try:
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(self.record(), f, indent=2, ensure_ascii=False)
                f.write("\n")
            os.replace(path + ".tmp", path)
        except OSError as e:
            print(f"check: cannot write {path}: {e}", file=sys.stderr)

    def finish(self):
        self.write()
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
