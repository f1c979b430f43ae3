"""The workshop's Python versions of parsweep's tasks: the peers parsweep is measured against.

Each peer is written the way the workshop writes it — a multiprocessing Pool that maps a
function over the work, or numpy in one process — and is run by run_peers.py as its own
process, so that OPENBLAS_NUM_THREADS / OMP_NUM_THREADS are set before numpy starts (the
workshop's rule):

    workshop.py PEER --workers P --reps R [task options]

prints one JSON object on stdout: {"peer", "workers", "times_s": [R wall times], "answer"}.
A repetition's time is the whole parallel operation — creating the Pool (its worker
processes), sending the work, computing, and gathering the results — as parsweep's wall_s
is first spawn → last result. One unrecorded warm-up repetition comes first, as in the
parsweep sweep it is compared with. The answer is what run_peers.py verifies; a peer never
judges itself.

Peers:
  wordcount_pool  the parent reads the text in chunks of --chunk-bytes (256 KiB), each cut
                  back to its last whitespace byte so that no word is split between two
                  chunks (the cut-off tail starts the next chunk); Pool.imap counts each
                  chunk with bytes.split() — parsweep's "whitespace" tokenizer exactly
                  (ASCII space, \\t, \\n, \\v, \\f, \\r) — and a Counter; answer: the
                  four words' counts and the total of words.
  square_pool     Pool.map(square, range(n)), then sum(): answer: the exact sum.
  invert_pool     Pool.map over count matrices: matrix k is n×n uniform in [-1, 1) from
                  numpy's default_rng((seed, k)), inverted with numpy.linalg.inv in the
                  worker, which also computes parsweep's residual ratio of it (returning
                  the inverse itself would time pickling n² doubles, which parsweep never
                  does); one BLAS thread per worker. Answer: the matrices and the largest
                  ratio.
  numpy_inv       the same count matrices inverted one after another in this process with
                  numpy.linalg.inv on --workers BLAS threads (set by the caller).

PARSWEEP_PEERS_WRONG=<peer> makes that peer's answer off by one (for the tests: a wrong
answer must be reported as wrong, never timed as fast).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from multiprocessing import Pool

# bytes.split()'s whitespace: the bytes parsweep's "whitespace" tokenizer splits at.
WHITESPACE = frozenset(b" \t\n\v\f\r")


# --- word count --------------------------------------------------------------------------


def read_chunks(path: str, chunk_bytes: int, words: list):
    """The text in chunks of about chunk_bytes, each ending at a whitespace byte (or at the
    end of the text), so that every word lies whole in one chunk."""
    carry = b""
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk_bytes)
            if not block:
                break
            block = carry + block
            cut = len(block)
            while cut > 0 and block[cut - 1] not in WHITESPACE:
                cut -= 1
            if cut == 0:  # one word longer than the chunk: keep reading
                carry = block
                continue
            carry = block[cut:]
            yield block[:cut], words
    if carry:
        yield carry, words


def count_chunk(job):
    chunk, words = job
    tokens = chunk.split()
    counts = Counter(tokens)
    return [counts[w.encode()] for w in words], len(tokens)


def wordcount_pool(args):
    totals = [0] * len(args.words)
    total_words = 0
    with Pool(args.workers) as pool:
        for counts, n in pool.imap(count_chunk, read_chunks(args.file, args.chunk_bytes, args.words)):
            totals = [a + b for a, b in zip(totals, counts)]
            total_words += n
    return {"counts": dict(zip(args.words, totals)), "total_words": total_words}


# --- square ------------------------------------------------------------------------------


def square(x):
    return x * x


def square_pool(args):
    with Pool(args.workers) as pool:
        squares = pool.map(square, range(args.n))
    return {"sum": sum(squares), "numbers": len(squares)}


# --- invert ------------------------------------------------------------------------------


def invert_one(job):
    """Inverts matrix k and returns parsweep's normwise residual ratio of the inverse,
    ‖A·(A⁻¹x) − x‖∞ / (‖A‖∞‖A⁻¹‖∞‖x‖∞·n·ε) for a random x (LAPACK's test ratio)."""
    import numpy as np

    n, seed, k = job
    rng = np.random.default_rng((seed, k))
    a = rng.uniform(-1.0, 1.0, (n, n))
    a_inv = np.linalg.inv(a)
    x = rng.uniform(-1.0, 1.0, n)
    r = a @ (a_inv @ x) - x
    norm = np.linalg.norm
    denom = norm(a, np.inf) * norm(a_inv, np.inf) * norm(x, np.inf) * n * np.finfo(float).eps
    ratio = float(norm(r, np.inf) / denom)
    return ratio if np.isfinite(ratio) else float("inf")


def invert_answer(ratios):
    return {"matrices": len(ratios), "max_residual": max(ratios)}


def invert_pool(args):
    jobs = [(args.n, args.seed, k) for k in range(args.count)]
    with Pool(args.workers) as pool:
        ratios = pool.map(invert_one, jobs)
    return invert_answer(ratios)


def numpy_inv(args):
    return invert_answer([invert_one((args.n, args.seed, k)) for k in range(args.count)])


PEERS = {
    "wordcount_pool": wordcount_pool,
    "square_pool": square_pool,
    "invert_pool": invert_pool,
    "numpy_inv": numpy_inv,
}


def make_wrong(answer: dict) -> dict:
    """The answer off by one in its first count: what the tests' wrong peer returns."""
    answer = json.loads(json.dumps(answer))
    if "counts" in answer:
        first = next(iter(answer["counts"]))
        answer["counts"][first] += 1
    elif "sum" in answer:
        answer["sum"] += 1
    else:
        answer["matrices"] -= 1
    return answer


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("peer", choices=sorted(PEERS))
    ap.add_argument("--workers", type=int, default=1, help="Pool processes (numpy_inv: BLAS threads)")
    ap.add_argument("--reps", type=int, default=5, help="recorded repetitions")
    ap.add_argument("--warmup", type=int, default=1, help="unrecorded repetitions first")
    ap.add_argument("--file", help="wordcount: the text")
    ap.add_argument("--chunk-bytes", type=int, default=262144)
    ap.add_argument("--words", default="dog,cat,boy,girl")
    ap.add_argument("--n", type=int, help="square: numbers; invert: matrix order")
    ap.add_argument("--count", type=int, default=4, help="invert: matrices")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    args.words = args.words.split(",")

    fn = PEERS[args.peer]
    times, answer = [], None
    for rep in range(args.warmup + args.reps):
        t0 = time.perf_counter()
        answer = fn(args)
        elapsed = time.perf_counter() - t0
        if rep >= args.warmup:
            times.append(elapsed)
    if os.environ.get("PARSWEEP_PEERS_WRONG") == args.peer:
        answer = make_wrong(answer)
    json.dump({"peer": args.peer, "workers": args.workers, "times_s": times, "answer": answer}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
