"""check_wordcount — parsweep's `check` for pool_wordcount.py: do the ranks' counts add up?

    PARSWEEP_OUTPUTS="rank0.out rank1.out …" python3 check_wordcount.py FILE

parsweep runs it once after all ranks of a repetition, with PARSWEEP_OUTPUTS = the files
holding each rank's stdout, in rank order. It adds up the ranks' `ok words=N` totals and
`word count` lines, counts the whole FILE serially and simply (one read, bytes.split(), a
Counter: written independently of the chunked count on purpose), and exits 0 when every
count agrees; otherwise 1, naming each word whose count differs and by how much, on stderr.
A missing or malformed output, or no PARSWEEP_OUTPUTS: one line, exit 2.
"""
import os
import sys
from collections import Counter


def fail(message, status=2):
    print(f"check_wordcount: {message}", file=sys.stderr)
    sys.exit(status)


def read_counts(path):
    """{word: count} of one rank's output, with the total of all words under None."""
    counts = {}
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        fail(f"cannot read rank output {path}: {e.strerror}")
    for line in lines:
        fields = line.split()
        if not fields or line.startswith("parsweep-time:"):
            continue
        if fields[0] == "ok" and len(fields) > 1 and fields[1].startswith("words="):
            key, value = None, fields[1][len("words="):]
        elif len(fields) == 2:
            key, value = fields
        else:
            fail(f"{path}: unexpected line {line!r}")
        if not value.isdigit():
            fail(f"{path}: {line!r}: the count is not a number")
        counts[key] = int(value)
    if None not in counts:
        fail(f"{path}: no `ok words=N` line: the rank did not finish")
    return counts


def main():
    if len(sys.argv) != 2:
        fail("usage: check_wordcount.py FILE (with PARSWEEP_OUTPUTS set)")
    outputs = os.environ.get("PARSWEEP_OUTPUTS", "").split()
    if not outputs:
        fail("PARSWEEP_OUTPUTS is not set: parsweep sets it to the ranks' output files")
    ranks = [read_counts(p) for p in outputs]
    if any(r.keys() != ranks[0].keys() for r in ranks):
        fail("the ranks counted different words: " + "; ".join(
            f"{p}: {sorted(k for k in r if k)}" for p, r in zip(outputs, ranks)), 1)
    summed = Counter()
    for r in ranks:
        summed.update(r)
    try:
        tokens = open(sys.argv[1], "rb").read().split()
    except OSError as e:
        fail(f"cannot read {sys.argv[1]}: {e.strerror}")
    whole = Counter(tokens)
    expected = {w: whole[w.encode()] for w in summed if w is not None}
    expected[None] = len(tokens)
    wrong = [(w, summed[w], e) for w, e in expected.items() if summed[w] != e]
    for w, got, want in wrong:
        name = "all words" if w is None else repr(w)
        print(f"check_wordcount: {name}: the {len(ranks)} ranks counted {got}, the whole file "
              f"has {want} ({abs(got - want)} too {'many' if got > want else 'few'})", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
