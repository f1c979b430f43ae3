"""lesson12 — lesson 12's program: the workshop's Python, run by parsweep's `command` kernel
beside its C++ kernels. It calls your code (workshop.py, in starter/ or solution/), times
it, and checks it.

    lesson12.py squares N [--how threads|numbers|yours] [--workers W] [--code DIR]
    lesson12.py invert N [--count C] [--seed S] [--workers W] [--code DIR]

W is PARSWEEP_THREADS under parsweep (the `threads` axis: the workers your Python starts
inside one parsweep worker, as OpenMP threads are for C++), else --workers (default 1).
DIR is `starter`, `solution` or a directory holding workshop.py: --code, else $LESSON12_CODE
(run.sh sets it), else starter.

squares
  Σ x² over this process's share of [0, N) — rank PARSWEEP_RANK of PARSWEEP_PROCESSES gets
  the contiguous share parsweep's own kernels would (the first N mod P ranks one more
  number); by hand, all of [0, N) — cut into W parts, each squared by workshop.square_part:
    threads  W Python threads, one part each: the GIL, shown (this program's, not yours);
             with W = 1, the plain loop;
    numbers  the workshop's first Pool (this program's): Pool(W).map(square, every number),
             each number pickled to a worker and its square back; the sum here;
    yours    workshop.square_sum(parts, W): your code, meant to use W processes.
  Verified: the sum against (m−1)m(2m−1)/6, and, for `yours` with W ≥ 2, that not every
  part was squared in this process (square_part returns its pid): Python threads are no
  faster than one, whatever the machine. `parsweep-time:` runs from the parts being handed
  out to the sum: creating the threads or the Pool, pickling, squaring, gathering. The
  interpreter's start-up and the imports are set-up.

invert
  This process's share of C matrices (as for squares), matrix k n×n uniform in [-1, 1) from
  numpy.random.default_rng((S, k)), inverted with numpy.linalg.inv on the numpy that
  workshop.start_numpy(W) imported. The thread variables parsweep set are removed first (as
  in a shell where none is set): your start_numpy alone decides the BLAS's threads.
  Verified: every inverse's residual ratio ‖A·(A⁻¹x) − x‖∞ / (‖A‖∞‖A⁻¹‖∞‖x‖∞·n·ε) < 30
  (LAPACK's test ratio, as parsweep's invert kernel), and the threads the BLAS runs: W, or
  fewer only when W is more than the CPUs it sees. `parsweep-time:` is the inversions alone.

Output: `ok …` and `parsweep-time: SECONDS`, exit 0. A wrong result: `lesson12: …` on
stderr, exit 1. Bad arguments, no workshop.py, no numpy: one line on stderr, exit 2.
"""
import argparse
import importlib.util
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# What parsweep sets from the threads axis and a BLAS reads (kernels/command.cpp).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "GOTO_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS")
THRESHOLD = 30.0  # LAPACK's THRESH in dtest.in, as kernels/invert.cpp


def fail(message, status=2):
    print(f"lesson12: {message}", file=sys.stderr)
    sys.exit(status)


class Args(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, not argparse's usage block
        fail(f"{message} (usage: lesson12.py squares|invert N [--how threads|numbers|yours] "
             "[--workers W] [--count C] [--seed S] [--code DIR])")


def share(total, parts, index):
    """[begin, end) of part `index` of `parts` contiguous parts of [0, total): the first
    total mod parts get one more (parsweep's split)."""
    size, extra = divmod(total, parts)
    begin = index * size + min(index, extra)
    return begin, begin + size + (index < extra)


def my_share(total):
    """This process's [begin, end) of [0, total): rank PARSWEEP_RANK of PARSWEEP_PROCESSES."""
    try:
        rank = int(os.environ.get("PARSWEEP_RANK", 0))
        ranks = int(os.environ.get("PARSWEEP_PROCESSES", 1))
    except ValueError:
        fail("PARSWEEP_RANK and PARSWEEP_PROCESSES must be integers")
    if not 0 <= rank < ranks:
        fail(f"PARSWEEP_RANK={rank} is not one of the {ranks} ranks")
    return share(total, ranks, rank)


def load_workshop(code):
    """The learner's workshop.py from `code` (starter, solution or a directory), imported
    under its own name: Pool workers started by spawn import it again from sys.path."""
    directory = code if os.sep in code else os.path.join(HERE, code)
    path = os.path.join(directory, "workshop.py")
    if not os.path.isfile(path):
        fail(f"no {path} (--code starter, solution or a directory with workshop.py)")
    sys.path.insert(0, os.path.abspath(directory))
    spec = importlib.util.spec_from_file_location("workshop", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["workshop"] = module
    spec.loader.exec_module(module)
    return module


# --- squares --------------------------------------------------------------------------


def with_threads(workshop, parts):
    """square_part of every part, each on a Python thread of its own: what the GIL allows."""
    results = [None] * len(parts)

    def work(i):
        results[i] = workshop.square_part(parts[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(parts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def square(x):
    return x * x


def with_pool_per_number(parts, workers):
    """The workshop's first Pool: Pool.map(square, numbers) — every number pickled to a worker
    and its square back (in batches: map's chunksize) — then sum() here; one (pid, sum) per
    part, as square_part's."""
    from multiprocessing import Pool  # here: the other ways need not import it

    with Pool(workers) as pool:
        return [(os.getpid(), sum(pool.map(square, range(*part)))) for part in parts]


def squares(args, workshop, workers):
    begin, end = my_share(args.n)
    parts = [tuple(begin + b for b in share(end - begin, workers, i)) for i in range(workers)]
    t0 = time.perf_counter()
    if args.how == "yours":
        results = workshop.square_sum(parts, workers)
    elif args.how == "numbers":
        results = with_pool_per_number(parts, workers)
    else:
        results = with_threads(workshop, parts)
    try:
        total = sum(s for _, s in results)
        pids = {pid for pid, _ in results}
    except (TypeError, ValueError):
        fail(f"square_sum returned {str(results)[:200]}: expected a list of square_part's "
             "(pid, sum), one per part", 1)
    elapsed = time.perf_counter() - t0
    expected = (end - 1) * end * (2 * end - 1) // 6 - (begin - 1) * begin * (2 * begin - 1) // 6
    if len(results) != len(parts) or total != expected:
        fail(f"the sum of squares of [{begin}, {end}) is {expected}, square_sum gave {total} "
             f"from {len(results)} results for {len(parts)} parts", 1)
    if args.how == "yours" and workers > 1 and pids == {os.getpid()}:
        fail(f"square_sum with {workers} workers squared every part in the program's own "
             f"process (pid {os.getpid()}): Python threads take turns holding the GIL, so "
             f"{workers} of them square no faster than 1 — use processes (TODO(gil) in "
             "workshop.py)", 1)
    print(f"ok sum={total} numbers=[{begin},{end}) how={args.how} workers={workers} "
          f"processes={len(pids)}")
    print(f"parsweep-time: {elapsed:.9f}")


# --- invert ---------------------------------------------------------------------------


def loaded_blas():
    """Paths of the BLAS-like libraries mapped into this process (/proc/self/maps)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return []
    return sorted(p for p in paths
                  if any(k in os.path.basename(p).lower() for k in ("blas", "mkl", "blis")))


def blas_threads():
    """(threads, how it was found) for the BLAS numpy runs on: the library's own answer
    (OpenBLAS, a numpy wheel's OpenBLAS, MKL, BLIS), else the threads of this process after
    BLAS calls (/proc/self/task: the BLAS's pool is started by then), else (None, why)."""
    import ctypes  # here: squares need not pay for it

    getters = ("openblas_get_num_threads", "openblas_get_num_threads64_",
               "scipy_openblas_get_num_threads64_", "MKL_Get_Max_Threads",
               "bli_thread_get_num_threads")
    for path in loaded_blas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in getters:
            getter = getattr(lib, name, None)
            if getter is not None:
                return int(getter()), f"{name}() in {os.path.basename(path)}"
    try:
        return len(os.listdir("/proc/self/task")), "threads of this process"
    except OSError:
        return None, "no BLAS thread query and no /proc/self/task"


def residual_ratio(np, a, a_inv, x):
    """‖A·(A⁻¹x) − x‖∞ / (‖A‖∞‖A⁻¹‖∞‖x‖∞·n·ε): LAPACK's test ratio of an inverse, in O(n²)."""
    norm = np.linalg.norm
    r = a @ (a_inv @ x) - x
    scale = norm(a, np.inf) * norm(a_inv, np.inf) * norm(x, np.inf) * len(x) * np.finfo(float).eps
    return float(norm(r, np.inf) / scale)


def invert(args, workshop, workers):
    for name in THREAD_VARIABLES:  # a shell where none is set: start_numpy decides
        os.environ.pop(name, None)
    try:
        np = workshop.start_numpy(workers)
    except ImportError as e:
        fail(f"numpy is not installed for {sys.executable} ({e}): install it (apt-get install "
             "python3-numpy, or pip install numpy), or name a python3 that has it: "
             "PYTHON=/usr/bin/python3 make exercise N=12")
    begin, end = my_share(args.count)
    inv_s, worst = 0.0, 0.0
    for k in range(begin, end):
        rng = np.random.default_rng((args.seed, k))
        a = rng.uniform(-1.0, 1.0, (args.n, args.n))
        t0 = time.perf_counter()
        a_inv = np.linalg.inv(a)
        inv_s += time.perf_counter() - t0
        ratio = residual_ratio(np, a, a_inv, rng.uniform(-1.0, 1.0, args.n))
        if not ratio < THRESHOLD:  # NaN too
            fail(f"matrix {k}: residual ratio {ratio:.3g}, must be < {THRESHOLD:g}", 1)
        worst = max(worst, ratio)
    ran, how = blas_threads()
    cpus = len(os.sched_getaffinity(0))
    if ran is not None and not min(workers, cpus) <= ran <= workers:
        fail(f"asked numpy's BLAS for {workers} thread{'s' if workers > 1 else ''}, it runs "
             f"{ran} ({how}): the count was set after `import numpy` had started the BLAS "
             "(TODO(order) in workshop.py)", 1)
    print(f"ok residual={worst:.3g} matrices=[{begin},{end}) n={args.n} blas_threads={ran} "
          f"({how})")
    print(f"parsweep-time: {inv_s:.9f}")


def main():
    ap = Args(add_help=False)
    ap.add_argument("task", choices=("squares", "invert"))
    ap.add_argument("n", type=int)
    ap.add_argument("--how", choices=("threads", "numbers", "yours"), default="yours")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--code", default=os.environ.get("LESSON12_CODE", "starter"))
    args = ap.parse_args()
    try:
        workers = (args.workers if args.workers is not None
                   else int(os.environ.get("PARSWEEP_THREADS", 1)))
    except ValueError:
        ap.error("PARSWEEP_THREADS must be an integer")
    if args.n < 1 or workers < 1 or args.count < 0 or args.seed < 0:
        ap.error(f"need N ≥ 1, W ≥ 1, C ≥ 0, S ≥ 0 (N={args.n} W={workers} C={args.count} "
                 f"S={args.seed})")
    workshop = load_workshop(args.code)
    (squares if args.task == "squares" else invert)(args, workshop, workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
