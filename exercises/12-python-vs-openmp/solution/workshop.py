"""Lesson 12 — the workshop's Python: squaring on several workers, and numpy on a chosen
number of BLAS threads. The solution.

  square_sum   a multiprocessing.Pool: each worker is a process with its own interpreter
               (and its own GIL), so the parts are squared at the same time. Each worker
               gets one (begin, end) to square, not the numbers themselves: whatever goes
               to a worker and back is pickled, and squaring one number costs far less.
  start_numpy  the thread variables are set before `import numpy`, so the BLAS reads them
               when it starts.

The program around them — the shares, the timing, the checks — is ../lesson12.py.
"""
import os
from multiprocessing import Pool


def square_part(part):
    """(pid, Σ x² for x in [begin, end)) for part = (begin, end): the squaring, one number at
    a time in Python as the workshop writes it, and the id of the process that did it (the
    lesson's check reads it: it shows who did the work)."""
    begin, end = part
    return os.getpid(), sum(x * x for x in range(begin, end))


def square_sum(parts, workers):
    """square_part of every part, computed by `workers` workers at the same time; the results
    in the order of `parts` (one part per worker: the program splits its numbers so)."""
    # Processes, not threads: each has its own interpreter and GIL. Pool.map pickles each
    # part — two integers — to a worker, and each (pid, sum) back.
    with Pool(workers) as pool:
        return pool.map(square_part, parts, chunksize=1)


def start_numpy(threads):
    """numpy, imported with its BLAS running `threads` threads (at most one per CPU)."""
    # Before the import: the BLAS reads them once, as numpy loads it.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    import numpy

    return numpy
