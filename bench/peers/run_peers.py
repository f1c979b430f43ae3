"""parsweep against the workshop's Python versions of its tasks, measured in one run.

    run_peers.py [--out DIR] [--reps R] [--workers 1,2] [--square-n 1000,1000000]
                 [--invert-n 1000] [--invert-count 4] [--text data/t8.shakespeare.txt]
                 [--parsweep build/parsweep] [--formats png,svg] [--timeout-s 600]

Runs the real parsweep binary on a config written for the occasion (DIR/parsweep.json; its
run in DIR/parsweep-run/), then each peer of workshop.py on the same inputs (the same
text, chunk size and words; the same n and count), and ripgrep where installed, at each
worker count, with the same warm-up and repetitions. Every peer's answer is verified:
against parsweep's own verified result (word counts), a closed form (the sum of squares),
or parsweep's residual test (inversions). A peer whose answer differs is reported as
wrong, with no time and no ratio (so is a peer whose parsweep point failed: "parsweep
failed"); a peer that is not installed is reported as such and the run goes on.

Writes DIR/peers.json, DIR/peers.csv and DIR/peers.png|svg (chart.py), and prints the
table. ratio = the peer's median time ÷ parsweep's median time on the point it is paired
with (> 1: parsweep is faster): its wall_s (first spawn → last result) for the peers that
start processes — the Pools, whose time includes creating the Pool, and rg, whose time
includes starting it — and its compute_s for numpy_inv, a loop inside one process.

Exit status: 0 every installed peer and its parsweep point verified; 1 some peer (or its
parsweep point) was wrong, failed or timed out; 2 bad input, or parsweep refused to run.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
WORKSHOP = os.path.join(HERE, "workshop.py")
WORDS = ["dog", "cat", "boy", "girl"]
CHUNK_BYTES = 262144
SEED = 42
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")

# What each peer is, and which parsweep point and time it is paired with: wall_s (first
# spawn → last result) for the peers that start processes (Pool, rg), compute_s for the one
# that runs in its own process already (numpy_inv).
PEERS = {
    "wordcount_pool": dict(
        task="wordcount",
        what="multiprocessing Pool(P).imap over 256 KiB chunks, bytes.split() + Counter",
        vs="parsweep wordcount (whitespace tokenizer), P processes × 1 thread",
        axis="processes",
        tokenizer="whitespace",
    ),
    "ripgrep": dict(
        task="wordcount",
        what="rg --count-matches -w -e dog -e cat -e boy -e girl (-j T; one file is one thread)",
        vs="parsweep wordcount (alpha tokenizer: word boundaries), 1 process × T threads",
        axis="threads",
        tokenizer="alpha",
    ),
    "square_pool": dict(
        task="square",
        what="multiprocessing Pool(P).map(square, range(n)), then sum()",
        vs="parsweep square (omp), P processes × 1 thread",
        axis="processes",
    ),
    "invert_pool": dict(
        task="invert",
        what="multiprocessing Pool(P).map of numpy.linalg.inv over count matrices, 1 BLAS thread each",
        vs="parsweep invert (blocked Gauss-Jordan, the default), P processes × 1 thread",
        axis="processes",
    ),
    "numpy_inv": dict(
        task="invert",
        what="numpy.linalg.inv of count matrices in one process, T BLAS threads",
        vs="parsweep invert (blocked Gauss-Jordan, the default), 1 process × T threads, compute_s",
        axis="threads",
        # In-process like the peer's loop: no process start on either side.
        metric="compute_s",
    ),
}


class BadInput(Exception):
    """Input the run cannot start with; the message names it."""


def int_list(text: str, name: str) -> list:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BadInput(f"--{name} {text!r}: expected comma-separated whole numbers") from None
    if not values or min(values) < 1:
        raise BadInput(f"--{name} {text!r}: expected whole numbers >= 1")
    return values


# --- parsweep -------------------------------------------------------------------------------


def parsweep_config(args) -> dict:
    """Every parsweep point a peer is paired with, and nothing more: P×1 points for the Pool
    peers, 1×T points for the threaded ones (each run its own baseline, so that no extra
    baseline point is measured)."""
    procs = {"processes": args.workers, "threads": [1]}
    threads = {"processes": [1], "threads": args.workers}
    base_t = {"processes": 1, "threads": min(args.workers)}
    # Absolute: parsweep takes a relative path from the config's directory (DIR).
    text = {"file": os.path.abspath(args.text), "chunk_bytes": CHUNK_BYTES, "words": WORDS}
    inv = {"n": args.invert_n, "count": args.invert_count, "seed": SEED, "method": "gje"}
    return {
        "name": "bench-peers",
        "description": "parsweep's side of make bench-peers (bench/peers/run_peers.py)",
        "repetitions": args.reps,
        "warmup": 1,
        "time_metric": "wall_s",
        "baseline": {"processes": 1, "threads": 1},
        "runs": [
            {"kernel": "square", "params": {"mode": "omp"}, "grid": {"n": args.square_n, **procs}},
            {"kernel": "wordcount", "params": {**text, "tokenizer": "whitespace"}, "grid": procs},
            {"kernel": "wordcount", "params": {**text, "tokenizer": "alpha"}, "grid": threads,
             "baseline": base_t},
            {"kernel": "invert", "params": inv, "grid": procs},
            {"kernel": "invert", "params": inv, "grid": threads, "baseline": base_t},
        ],
    }


def run_parsweep(args, out: str) -> list:
    """Runs parsweep on the config; returns its points (sweep.json). Raises BadInput when
    parsweep refuses the config."""
    config = os.path.join(out, "parsweep.json")
    with open(config, "w") as f:
        json.dump(parsweep_config(args), f, indent=2)
    run_dir = os.path.join(out, "parsweep-run")
    cmd = [args.parsweep, "run", config, "--out", run_dir, "-q"]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode not in (0, 1):
        raise BadInput(f"parsweep run {config} exited with {proc.returncode}:\n{proc.stdout}")
    with open(os.path.join(run_dir, "sweep.json")) as f:
        return json.load(f)["points"]


def find_point(points: list, kernel: str, P: int, T: int, **params):
    """parsweep's point of this kernel, P×T and parameters, or None."""
    for p in points:
        if p["kernel"] == kernel and p["processes"] == P and p["threads"] == T and all(
            p["params"].get(k) == v for k, v in params.items()
        ):
            return p
    return None


# --- peers ----------------------------------------------------------------------------------


def peer_env(threads: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env.update({k: str(threads) for k in THREAD_VARS})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_workshop(peer: str, workers: int, options: list, args) -> dict:
    """Runs one Python peer in its own process; its BLAS threads are set before numpy starts:
    one per Pool worker, or `workers` for numpy_inv."""
    threads = workers if peer == "numpy_inv" else 1
    cmd = [sys.executable, WORKSHOP, peer, "--workers", str(workers), "--reps", str(args.reps)]
    try:
        proc = subprocess.run(cmd + options, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=peer_env(threads), timeout=args.timeout_s)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout_s:g} s (--timeout-s)"}
    if proc.returncode != 0:
        return {"error": f"exited with {proc.returncode}: {proc.stderr.strip()[-400:]}"}
    return json.loads(proc.stdout)


def run_ripgrep(rg: str, text: str, threads: int, args) -> dict:
    """rg counting the four words with word boundaries: the timed command prints the total of
    matches; an untimed `rg -o` run gives the count of each word for the verification."""
    words = [a for w in WORDS for a in ("-e", w)]
    cmd = [rg, "--no-config", "--count-matches", "-w", "-j", str(threads)] + words + [text]
    times = []
    for rep in range(1 + args.reps):  # one warm-up, as parsweep and the Python peers
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=args.timeout_s)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {args.timeout_s:g} s (--timeout-s)"}
        elapsed = time.perf_counter() - t0
        if proc.returncode not in (0, 1):  # 1: no match, a valid answer
            return {"error": f"{' '.join(cmd)} exited with {proc.returncode}: {proc.stderr.strip()}"}
        if rep:
            times.append(elapsed)
    total = int(proc.stdout.strip() or 0)
    found = subprocess.run([rg, "--no-config", "-o", "-w"] + words + [text], stdout=subprocess.PIPE,
                           text=True, timeout=args.timeout_s).stdout.split()
    counts = {w: found.count(w) for w in WORDS}
    if os.environ.get("PARSWEEP_PEERS_WRONG") == "ripgrep":
        counts[WORDS[0]] += 1
    return {"times_s": times, "answer": {"counts": counts, "total_matches": total}}


# --- verification ---------------------------------------------------------------------------


def verify(peer: str, answer: dict, point: dict, args, n=None):
    """None when the peer's answer is right, else what is wrong with it."""
    want = point["result"]
    if peer in ("wordcount_pool", "ripgrep"):
        problems = [f"\"{w}\" counted {answer['counts'].get(w)}, expected {want['counts'][w]}"
                    for w in WORDS if answer["counts"].get(w) != want["counts"][w]]
        if peer == "wordcount_pool" and answer["total_words"] != want["total_words"]:
            problems.append(f"{answer['total_words']} words in all, expected {want['total_words']}")
        if peer == "ripgrep" and answer["total_matches"] != sum(answer["counts"].values()):
            problems.append(f"--count-matches says {answer['total_matches']}, -o found "
                            f"{sum(answer['counts'].values())}")
        return "; ".join(problems) or None
    if peer == "square_pool":
        exact = n * (n - 1) * (2 * n - 1) // 6
        if answer["sum"] != exact or answer["numbers"] != n:
            return (f"sum of squares of 0..{n - 1} is {answer['sum']} over {answer['numbers']} "
                    f"numbers, expected {exact} over {n}")
        if exact % 2**64 != want["sum_y"]:
            return f"parsweep's sum mod 2^64 {want['sum_y']} differs from {exact % 2**64}"
        return None
    # invert: every matrix inverted, each residual ratio below LAPACK's threshold (30), as
    # parsweep requires of its own.
    if answer["matrices"] != args.invert_count:
        return f"{answer['matrices']} matrices inverted, expected {args.invert_count}"
    if not answer["max_residual"] < 30:
        return f"residual ratio {answer['max_residual']:.3g} is not below 30"
    return None


# --- the run --------------------------------------------------------------------------------


def measure(args, out: str) -> dict:
    points = run_parsweep(args, out)
    rg = shutil.which("rg")
    try:
        import numpy  # noqa: F401  (only: is it there?)

        have_numpy = True
    except ImportError:
        have_numpy = False

    rows = []

    def add(peer, workers, point, result, params, n=None):
        info = PEERS[peer]
        metric = info.get("metric", "wall_s")
        row = {
            "task": info["task"],
            "peer": peer,
            "workers": workers,
            "params": params,
            "peer_what": info["what"],
            "parsweep_what": info["vs"],
            "parsweep_point": point["label"] if point else None,
            "parsweep_processes": point["processes"] if point else None,
            "parsweep_threads": point["threads"] if point else None,
            "parsweep_verified": bool(point and point["verified"]),
            "parsweep_metric": metric,
            "parsweep_median_s": point["stats"][metric].get("median") if point else None,
            "parsweep_times_s": [r[metric] for r in point["reps"] if r["rep"] >= 0] if point else [],
            "status": "ok",
            "error": "",
            "peer_median_s": None,
            "peer_times_s": [],
            "ratio": None,
            "answer": None,
        }
        if result is None:
            row["status"] = "not installed"
            row["error"] = "rg not on PATH" if peer == "ripgrep" else "numpy not importable"
        elif point is None or not point["verified"]:
            # Nothing verified to compare with, nor a time to divide by.
            row["status"] = "parsweep failed"
            row["error"] = (f"parsweep's point failed: {point['error']}" if point
                            else f"parsweep measured no point for {info['vs']}")
        elif "error" in result:
            row["status"], row["error"] = "failed", result["error"]
        else:
            row["answer"] = result["answer"]
            problem = verify(peer, result["answer"], point, args, n)
            if problem:
                row["status"], row["error"] = "wrong", problem
            else:
                row["peer_times_s"] = result["times_s"]
                row["peer_median_s"] = statistics.median(result["times_s"])
                if row["parsweep_median_s"]:
                    row["ratio"] = row["peer_median_s"] / row["parsweep_median_s"]
        rows.append(row)
        shown = f"{row['ratio']:.2f}×" if row["ratio"] else row["status"]
        print(f"  {peer:<15} {row['params']:<24} workers {workers}: {shown}", flush=True)

    text_opts = ["--file", args.text, "--chunk-bytes", str(CHUNK_BYTES), "--words", ",".join(WORDS)]
    inv_opts = ["--n", str(args.invert_n), "--count", str(args.invert_count), "--seed", str(SEED)]
    inv_params = f"n={args.invert_n} count={args.invert_count}"
    for w in args.workers:
        point = find_point(points, "wordcount", w, 1, tokenizer="whitespace")
        add("wordcount_pool", w, point, run_workshop("wordcount_pool", w, text_opts, args),
            "chunk_bytes=262144")
        point = find_point(points, "wordcount", 1, w, tokenizer="alpha")
        add("ripgrep", w, point, run_ripgrep(rg, args.text, w, args) if rg else None,
            "tokenizer=alpha")
        for n in args.square_n:
            point = find_point(points, "square", w, 1, n=n)
            add("square_pool", w, point,
                run_workshop("square_pool", w, ["--n", str(n)], args), f"n={n}", n)
        point = find_point(points, "invert", w, 1)
        add("invert_pool", w, point,
            run_workshop("invert_pool", w, inv_opts, args) if have_numpy else None, inv_params)
        point = find_point(points, "invert", 1, w)
        add("numpy_inv", w, point,
            run_workshop("numpy_inv", w, inv_opts, args) if have_numpy else None, inv_params)

    return {
        "schema_version": 1,
        "tool": "parsweep bench-peers",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": os.uname().nodename,
        "python": sys.version.split()[0],
        "ripgrep": subprocess.run([rg, "--version"], stdout=subprocess.PIPE, text=True).stdout.split("\n")[0]
        if rg else None,
        "repetitions": args.reps,
        "warmup": 1,
        "text": args.text,
        "parsweep_run": os.path.join(out, "parsweep-run"),
        "ratio": "peer median time / parsweep median parsweep_metric (> 1: parsweep is faster)",
        "rows": rows,
    }


CSV_FIELDS = ["task", "peer", "params", "workers", "parsweep_processes", "parsweep_threads",
              "parsweep_metric", "parsweep_median_s", "peer_median_s", "ratio", "status", "error"]


def write_csv(doc: dict, path: str) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in doc["rows"]:
            w.writerow({k: ("" if row[k] is None else row[k]) for k in CSV_FIELDS})


def table(doc: dict) -> str:
    sys.path.insert(0, os.path.join(SOURCE, "plots"))
    from parsweep_plots.style import fmt_time

    head = f"{'task':<10} {'peer':<15} {'params':<22} {'W':>2} {'parsweep':>10} {'peer':>10} {'ratio':>8}  verified"
    lines = [head]
    for r in doc["rows"]:
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] else "–"
        verdict = "yes" if r["status"] == "ok" else f"{r['status'].upper()}: {r['error']}"
        lines.append(f"{r['task']:<10} {r['peer']:<15} {r['params']:<22} {r['workers']:>2} "
                     f"{fmt_time(r['parsweep_median_s']):>10} {fmt_time(r['peer_median_s']):>10} "
                     f"{ratio:>8}  {verdict}")
    lines.append("W: workers (Pool processes, or threads for ripgrep and numpy_inv); ratio: "
                 f"peer ÷ parsweep, medians of {doc['repetitions']} repetitions; parsweep's "
                 "time is its wall_s (spawn included), its compute_s against numpy_inv")
    return "\n".join(lines)


def write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="results directory (default results/bench-peers/<date>)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--square-n", default="1000,1000000")
    ap.add_argument("--invert-n", type=int, default=1000)
    ap.add_argument("--invert-count", type=int, default=4)
    ap.add_argument("--text", default=os.path.join(SOURCE, "data", "t8.shakespeare.txt"))
    ap.add_argument("--parsweep", default=os.path.join(SOURCE, "build", "parsweep"))
    ap.add_argument("--formats", default="png,svg", help="chart formats; '' draws none")
    ap.add_argument("--timeout-s", type=float, default=600, help="a peer taking longer fails")
    args = ap.parse_args(argv)
    try:
        args.workers = int_list(args.workers, "workers")
        args.square_n = int_list(args.square_n, "square-n")
        if args.reps < 1 or args.invert_n < 1 or args.invert_count < 1 or not args.timeout_s > 0:
            raise BadInput("--reps, --invert-n and --invert-count must be >= 1, --timeout-s > 0")
        args.text = os.path.abspath(args.text)
        if not os.path.isfile(args.text):
            raise BadInput(f"--text {args.text}: no such file (make data fetches the workshop text)")
        args.parsweep = os.path.abspath(args.parsweep)
        if not (os.path.isfile(args.parsweep) and os.access(args.parsweep, os.X_OK)):
            raise BadInput(f"--parsweep {args.parsweep}: no such executable (make build)")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = os.path.abspath(args.out or os.path.join(SOURCE, "results", "bench-peers", stamp))
        if os.path.exists(os.path.join(out, "peers.json")):
            raise BadInput(f"--out {out}: holds a peers.json already; choose another directory")
        os.makedirs(out, exist_ok=True)
        doc = measure(args, out)
    except BadInput as e:
        print(f"run_peers: {e}", file=sys.stderr)
        return 2

    write_csv(doc, os.path.join(out, "peers.csv.tmp"))
    os.replace(os.path.join(out, "peers.csv.tmp"), os.path.join(out, "peers.csv"))
    write_atomic(os.path.join(out, "peers.json"), json.dumps(doc, indent=2) + "\n")
    print()
    print(table(doc))
    formats = [f for f in args.formats.split(",") if f]
    if formats:
        from chart import draw

        for path in draw(doc, out, formats):
            print(f"chart: {path}")
    print(f"results: {out}")
    return 0 if all(r["status"] in ("ok", "not installed") for r in doc["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
