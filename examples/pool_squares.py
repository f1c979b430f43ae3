"""pool_squares — the workshop's multiprocessing.Pool squaring, as a program parsweep sweeps.

    python3 pool_squares.py N [--pool K]

What it measures
  Squaring this process's share of the numbers 0 … N−1 with a Pool of K worker processes
  (K = 0: no Pool, a plain loop), as the workshop writes it: Pool.map(square, numbers), then
  sum(). The time it reports on its `parsweep-time:` line covers creating the Pool, mapping
  and gathering — the Pool's overhead is the lesson — but not the interpreter's start-up or
  imports, which parsweep then reports as set-up.

Its share
  Under parsweep (PARSWEEP_ITEMS set, and equal to N) the numbers [PARSWEEP_BEGIN,
  PARSWEEP_END): the rank's contiguous share. Run by hand: all of them.

Verification
  The sum of the squares of the share is compared with its closed form; it prints
  `ok sum=…` (exit 0), or `wrong …` (exit 1). Bad arguments: one line on stderr, exit 2.
"""
import os
import sys
import time
from multiprocessing import Pool


def fail(message):
    print(f"pool_squares: {message}", file=sys.stderr)
    sys.exit(2)


def square(x):
    return x * x


def sum_of_squares_below(m):
    """0² + 1² + … + (m−1)²."""
    return (m - 1) * m * (2 * m - 1) // 6


def parse(argv):
    """(n, pool) from N [--pool K]."""
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--pool"):
        fail("usage: pool_squares.py N [--pool K]")
    try:
        n, pool = int(argv[0]), int(argv[2]) if len(argv) == 3 else 0
    except ValueError:
        fail(f"N and K must be integers, got {' '.join(argv)}")
    if n < 0 or pool < 0:
        fail(f"N and K must be ≥ 0, got N={n} K={pool}")
    return n, pool


def share(n):
    """[begin, end): parsweep's share of [0, n) for this rank, or all of it by hand."""
    env = os.environ
    if "PARSWEEP_ITEMS" not in env:
        return 0, n
    try:
        items, begin, end = (int(env[k]) for k in ("PARSWEEP_ITEMS", "PARSWEEP_BEGIN", "PARSWEEP_END"))
    except (KeyError, ValueError):
        fail("PARSWEEP_ITEMS is set but PARSWEEP_BEGIN/PARSWEEP_END are missing or not integers")
    if items != n:
        fail(f"PARSWEEP_ITEMS={items} but N={n}: the config must pass {{items}} as N")
    if not 0 <= begin <= end <= n:
        fail(f"share [{begin}, {end}) is not within [0, {n})")
    return begin, end


def main():
    n, pool = parse(sys.argv[1:])
    begin, end = share(n)
    t0 = time.perf_counter()
    if pool == 0:
        squares = [square(x) for x in range(begin, end)]
    else:
        with Pool(pool) as workers:
            squares = workers.map(square, range(begin, end))
    total = sum(squares)
    elapsed = time.perf_counter() - t0
    expected = sum_of_squares_below(end) - sum_of_squares_below(begin)
    if total != expected:
        print(f"wrong sum={total} expected={expected} (numbers [{begin}, {end}), pool {pool})")
        return 1
    print(f"ok sum={total} numbers=[{begin},{end}) pool={pool}")
    print(f"parsweep-time: {elapsed:.9f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
