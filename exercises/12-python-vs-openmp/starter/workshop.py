"""Lesson 12 — the workshop's Python: squaring on several workers, and numpy on a chosen
number of BLAS threads.

YOUR TASK: two pieces of Python as they are often first written, each one wrong in the way
the lesson is about.

  square_sum   squares on a pool of Python *threads*. They give the right sum, but threads
               of one interpreter take turns holding the GIL (the global interpreter lock):
               only one of them runs Python at a time, so 2 square no faster than 1.
  start_numpy  sets the BLAS thread count after `import numpy`, when the BLAS has already
               started with one thread per CPU and will never read it again.

Fix the two TODOs, then run `make exercise N=12` until the check says correct. The program
around them — the shares, the timing, the checks — is ../lesson12.py; run it by hand too:
`python3 exercises/12-python-vs-openmp/lesson12.py squares 3000000 --how yours --workers 2`.
"""
import os
from concurrent.futures import ThreadPoolExecutor


def square_part(part):
    """(pid, Σ x² for x in [begin, end)) for part = (begin, end): the squaring, one number at
    a time in Python as the workshop writes it, and the id of the process that did it (the
    lesson's check reads it: it shows who did the work)."""
    begin, end = part
    return os.getpid(), sum(x * x for x in range(begin, end))


def square_sum(parts, workers):
    """square_part of every part, computed by `workers` workers at the same time; the results
    in the order of `parts` (one part per worker: the program splits its numbers so)."""
    # TODO(gil): a pool of threads: they share one interpreter and its GIL, so this squares
    # one part at a time. Run the parts in `workers` processes instead: multiprocessing.Pool
    # and its map (or ProcessPoolExecutor). Send each worker its (begin, end), not every
    # number: each argument and result is pickled on its way.
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(square_part, parts))


def start_numpy(threads):
    """numpy, imported with its BLAS running `threads` threads (at most one per CPU)."""
    import numpy

    # TODO(order): the BLAS (OpenBLAS, MKL, BLIS) reads these once, when `import numpy`
    # loads it; set after the import, they change nothing. Set them before it.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    return numpy
