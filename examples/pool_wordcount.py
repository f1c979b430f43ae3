"""pool_wordcount — the workshop's chunked Pool word count, as a program parsweep sweeps.

    python3 pool_wordcount.py FILE [--pool K] [--chunks C] [--words dog,cat,boy,girl]

What it measures
  Counting the chosen words, and all words, in this process's share of FILE's chunks with a
  multiprocessing Pool of K processes (K = 0: a plain loop). The text is cut into C chunks
  by byte offset (chunk c = bytes [c·size/C, (c+1)·size/C)); each Pool worker reads its own
  chunk (as parsweep's wordcount kernel preads it) and counts it. Under parsweep C is
  PARSWEEP_ITEMS and the share is chunks [PARSWEEP_BEGIN, PARSWEEP_END); by hand, all C
  (default 16). `parsweep-time:` covers creating the Pool, reading, counting and gathering.

Words (parsweep's wordcount, tokenizer "whitespace", fold_case false)
  A word is a maximal run of bytes other than ASCII whitespace (space \\t \\n \\v \\f \\r):
  bytes.split(). Chosen words match exactly, case included. A word belongs to the chunk in
  which it STARTS: a chunk skips a word running into it from the chunk before and reads
  past its end to finish its own last word, so every word counts exactly once.

Output and verification
  `ok words=<all words> chunks=[b,e)`, then one line per chosen word (`dog 123`), then
  `parsweep-time:`. check_wordcount.py adds up the ranks' lines and compares them with a
  serial count of the whole file. Bad arguments or an unreadable file: one line, exit 2.
"""
import argparse
import os
import re
import sys
import time
from collections import Counter
from multiprocessing import Pool

SPACE = re.compile(rb"[ \t\n\v\f\r]")  # exactly what bytes.split() splits at


def fail(message):
    print(f"pool_wordcount: {message}", file=sys.stderr)
    sys.exit(2)


def count_chunk(job):
    """(counts of the chosen words, all words) among the words that start in [start, stop)."""
    path, start, stop, words = job
    with open(path, "rb") as f:
        f.seek(max(start - 1, 0))
        text = f.read(stop - start + (start > 0))
        if start > 0:  # the byte before says whether a word runs into this chunk
            continues = SPACE.match(text) is None
            text = text[1:]
            if continues:
                m = SPACE.search(text)
                text = text[m.start():] if m else b""
        while text and SPACE.match(text[-1:]) is None:  # finish the last word: read on
            block = f.read(4096)
            m = SPACE.search(block)
            text += block[: m.start()] if m else block
            if m or not block:
                break
    tokens = text.split()
    counts = Counter(tokens)
    return [counts[w] for w in words], len(tokens)


def main():
    ap = argparse.ArgumentParser(add_help=False)
    ap.error = lambda message: fail(f"{message} (usage: pool_wordcount.py FILE [--pool K] "
                                    "[--chunks C] [--words w1,w2,…])")
    ap.add_argument("file")
    ap.add_argument("--pool", type=int, default=0)
    ap.add_argument("--chunks", type=int, default=16)
    ap.add_argument("--words", default="dog,cat,boy,girl")
    args = ap.parse_args()
    words = [w.encode() for w in args.words.split(",")]
    env = os.environ
    try:
        chunks = int(env.get("PARSWEEP_ITEMS", args.chunks))
        begin, end = int(env.get("PARSWEEP_BEGIN", 0)), int(env.get("PARSWEEP_END", chunks))
        size = os.path.getsize(args.file)
        open(args.file, "rb").close()
    except ValueError:
        fail("PARSWEEP_ITEMS, PARSWEEP_BEGIN and PARSWEEP_END must be integers")
    except OSError as e:
        fail(f"cannot read {args.file}: {e.strerror} (make data fetches the workshop's text)")
    if args.pool < 0 or chunks < 1 or not 0 <= begin <= end <= chunks:
        fail(f"need K ≥ 0, C ≥ 1, 0 ≤ begin ≤ end ≤ C: K={args.pool} chunks [{begin}, {end}) of {chunks}")
    if any(not w or SPACE.search(w) for w in words):
        fail(f"--words {args.words!r}: each must be one non-empty word without whitespace")
    jobs = [(args.file, c * size // chunks, (c + 1) * size // chunks, words) for c in range(begin, end)]

    t0 = time.perf_counter()
    if args.pool == 0:
        results = [count_chunk(job) for job in jobs]
    else:
        with Pool(args.pool) as pool:
            results = pool.map(count_chunk, jobs)
    elapsed = time.perf_counter() - t0

    print(f"ok words={sum(n for _, n in results)} chunks=[{begin},{end})")
    for i, w in enumerate(words):
        print(w.decode(), sum(counts[i] for counts, _ in results))
    print(f"parsweep-time: {elapsed:.9f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
