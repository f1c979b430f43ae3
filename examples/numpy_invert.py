"""numpy_invert — numpy inverting random n×n matrices on the threaded BLAS: the workshop's
oversubscription demonstration, as a program parsweep sweeps.

    python3 numpy_invert.py N [--count C] [--seed S]

What it measures
  numpy.linalg.inv of matrices k = 0 … C−1, each n×n uniform in [-1, 1) from
  numpy.random.default_rng((S, k)) — the matrices of parsweep's invert kernel's recipe, so
  matrix k is the same whichever process inverts it. Under parsweep the count is
  PARSWEEP_ITEMS and this process inverts its share [PARSWEEP_BEGIN, PARSWEEP_END); by
  hand, all C. `parsweep-time:` is the inversions alone (not start-up, import, generation
  or the check). P processes × T BLAS threads each: on fewer cores than P·T they fight.

The BLAS threads
  The BLAS reads its thread variables once, when numpy loads it: they are set BEFORE
  `import numpy` — parsweep sets them from the threads axis; by hand, from
  PARSWEEP_THREADS when the variables are absent (unset too: the BLAS uses every core).

Verification (untimed, per matrix)
  The normwise residual ratio of parsweep's invert kernel (LAPACK's test ratio, in O(n²)):
  ‖A·(A⁻¹x) − x‖∞ / (‖A‖∞ ‖A⁻¹‖∞ ‖x‖∞ n ε) < 30 for a random x. Prints
  `ok residual=<largest ratio>` (exit 0) or `wrong …` (exit 1); bad arguments or no numpy:
  one line on stderr, exit 2.
"""
import argparse
import os
import sys
import time

BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
THRESHOLD = 30.0  # LAPACK's THRESH in dtest.in, as kernels/invert.cpp


def fail(message):
    print(f"numpy_invert: {message}", file=sys.stderr)
    sys.exit(2)


class Args(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, not argparse's usage block
        fail(f"{message} (usage: numpy_invert.py N [--count C] [--seed S])")


def main():
    ap = Args(add_help=False)
    ap.add_argument("n", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    env = os.environ
    try:
        count = int(env.get("PARSWEEP_ITEMS", args.count))
        begin, end = int(env.get("PARSWEEP_BEGIN", 0)), int(env.get("PARSWEEP_END", count))
    except ValueError:
        ap.error("PARSWEEP_ITEMS, PARSWEEP_BEGIN and PARSWEEP_END must be integers")
    if args.n < 1 or args.seed < 0 or not 0 <= begin <= end <= count:
        ap.error(f"need N ≥ 1, S ≥ 0 and 0 ≤ begin ≤ end ≤ count: N={args.n} S={args.seed} "
                 f"matrices [{begin}, {end}) of {count}")
    for name in BLAS_VARIABLES:  # before numpy loads the BLAS
        if name not in env and "PARSWEEP_THREADS" in env:
            env[name] = env["PARSWEEP_THREADS"]
    try:
        import numpy as np
    except ImportError:
        fail(f"numpy is not installed for {sys.executable} (apt-get install python3-numpy)")

    inv_s, worst = 0.0, 0.0
    norm = np.linalg.norm
    for k in range(begin, end):
        rng = np.random.default_rng((args.seed, k))
        a = rng.uniform(-1.0, 1.0, (args.n, args.n))
        t0 = time.perf_counter()
        try:
            a_inv = np.linalg.inv(a)
        except np.linalg.LinAlgError as e:
            print(f"wrong: matrix {k} could not be inverted: {e}")
            return 1
        inv_s += time.perf_counter() - t0
        x = rng.uniform(-1.0, 1.0, args.n)
        r = a @ (a_inv @ x) - x
        denom = norm(a, np.inf) * norm(a_inv, np.inf) * norm(x, np.inf) * args.n * np.finfo(float).eps
        ratio = float(norm(r, np.inf) / denom)
        if not ratio < THRESHOLD:  # also catches NaN
            print(f"wrong residual={ratio:.3g} for matrix {k} (n = {args.n}): must be < {THRESHOLD:g}")
            return 1
        worst = max(worst, ratio)
    threads = env.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"ok residual={worst:.3g} matrices=[{begin},{end}) n={args.n} blas_threads={threads}")
    print(f"parsweep-time: {inv_s:.9f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
