"""Shared by the plots tests: hand-made run directories, image checks, headless Chromium.

The hand-made runs follow sweep.json's schema_version 1 as the harness writes it (README
"Results"), with times from Amdahl's law so that the numbers mean something.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
PLOTS = os.path.join(SOURCE, "plots")
sys.path.insert(0, PLOTS)

# The parsweep binary: CMake passes it; by hand, the default build directory.
BINARY = os.environ.get("PARSWEEP_BINARY") or os.path.join(SOURCE, "build", "parsweep")

from parsweep_plots.draw import plot_run_main  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The charts every group with a grid of settings gets: <kind>-<kernel>[-<axis><value>].<ext>
GROUP_CHARTS = ("speedup", "efficiency", "oversubscription", "oversubscription-bars", "overhead")


def _stats(values: list) -> dict:
    values = sorted(values)
    n = len(values)
    mean = sum(values) / n
    sd = (sum((v - mean) ** 2 for v in values) / (n - 1)) ** 0.5 if n > 1 else 0.0
    return {
        "count": n,
        "min": values[0],
        "max": values[-1],
        "mean": mean,
        "median": values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2,
        "stddev": sd,
        "ci95": 2.0 * sd / n**0.5,
    }


def make_point(
    index: int,
    kernel: str,
    params: dict,
    axes: list,
    P: int,
    T: int,
    *,
    time_s: float,
    base_time_s: float,
    cores: int,
    reps: int = 3,
    failed: bool = False,
    baseline_only: bool = False,
    run: int = 0,
    rng: random.Random = None,
) -> dict:
    rng = rng or random.Random(index)
    label = " ".join([kernel] + [f"{a}={params[a]}" for a in axes])
    point = {
        "index": index,
        "run": run,
        "kernel": kernel,
        "label": label,
        "params": params,
        "processes": P,
        "threads": T,
        "env": {},
        "time_metric": "wall_s",
        "baseline": {"processes": 1, "threads": 1},
        "baseline_only": baseline_only,
        "status": "failed" if failed else "ok",
        "verified": not failed,
        "error": "repetition 0: timed out after 0.1 s (timeout_s)" if failed else "",
        "result": None,
    }
    walls = [time_s * (1 + rng.uniform(-0.03, 0.03)) for _ in range(reps)]
    point["reps"] = [
        {
            "rep": k,
            "wall_s": w,
            "spawn_s": 0.1 * w,
            "dispatch_s": 0.01 * w,
            "compute_s": 0.8 * w,
            "gather_s": 0.05 * w,
            "imbalance_s": 0.02 * w * (P > 1),
            "user_s": w * min(P * T, cores),
            "sys_s": 0.0,
            "cpu_util": min(P * T, cores) * 0.97,
            "ctx_voluntary": 2,
            "ctx_involuntary": 3 + 40 * max(P * T - cores, 0),
            "max_rss_kb": 9000,
            "omp_threads": T,
            "blas_threads": 0,
            "verified": not failed,
            "error": point["error"],
            "result": None,
            "workers": [],
        }
        for k, w in enumerate(walls)
    ]
    if failed:
        point["stats"] = {
            k: {"count": 0}
            for k in ("wall_s", "spawn_s", "compute_s", "gather_s", "imbalance_s", "cpu_util")
        }
        point["stats"]["ctx_involuntary_median"] = 0.0
        point["derived"] = {
            "speedup": None,
            "efficiency": None,
            "efficiency_cores": None,
            "overhead_s": None,
            "karp_flatt": None,
            "oversubscription": P * T / cores,
            "gflops": None,
            "bandwidth_gbs": None,
            "items_per_s": None,
        }
        return point
    reps_ = point["reps"]
    point["stats"] = {
        k: _stats([r[k] for r in reps_])
        for k in ("wall_s", "spawn_s", "compute_s", "gather_s", "imbalance_s", "cpu_util")
    }
    point["stats"]["ctx_involuntary_median"] = float(reps_[0]["ctx_involuntary"])
    med = point["stats"]["wall_s"]["median"]
    speedup = base_time_s / med
    point["derived"] = {
        "speedup": speedup,
        "efficiency": speedup / (P * T),
        "efficiency_cores": speedup / min(P * T, cores),
        "overhead_s": P * T * med - base_time_s,
        "karp_flatt": None,
        "oversubscription": P * T / cores,
        "gflops": None,
        "bandwidth_gbs": 1.0,
        "items_per_s": 1e6,
    }
    return point


def amdahl_time(base_s: float, f: float, workers: int, cores: int) -> float:
    """Amdahl on the cores there are; past them, workers share cores and it costs 10% each."""
    used = min(workers, cores)
    return base_s * (f + (1 - f) / used) * (1 + 0.1 * max(workers - cores, 0))


def make_run(
    runs: list,
    *,
    cores: int = 2,
    status: str = "complete",
    name: str = "handmade",
    failed: set = frozenset(),
    reps: int = 3,
) -> dict:
    """A sweep.json document. `runs` are dicts: kernel, params (fixed), axes {name: values},
    processes [..], threads [..], base_s, f (serial fraction), baseline_only (bool), and
    factor {value of an axis: how many times base_s it takes} (a slower method, say). The
    base time grows with the first axis when its values are numbers."""
    points, planned, index = [], [], 0
    for r_i, r in enumerate(runs):
        axis_names = list(r.get("axes", {}))
        combos = [{}]
        for a in axis_names:
            combos = [dict(c, **{a: v}) for c in combos for v in r["axes"][a]]
        for combo in combos:
            params = dict(r.get("params", {}), **combo)
            first = combo.get(axis_names[0], 1) if axis_names else 1
            numeric = isinstance(first, (int, float)) and not isinstance(first, bool)
            scale = first / r["axes"][axis_names[0]][0] if axis_names and numeric else 1
            for value in combo.values():
                scale *= r.get("factor", {}).get(value, 1) if isinstance(value, str) else 1
            base_s = r.get("base_s", 0.1) * scale
            settings = [(P, T) for P in r["processes"] for T in r["threads"] if (P, T) != (1, 1)]
            on_grid = 1 in r["processes"] and 1 in r["threads"]
            for P, T in [(1, 1)] + settings:
                t = amdahl_time(base_s, r.get("f", 0.1), P * T, cores)
                pt = make_point(
                    index,
                    r["kernel"],
                    params,
                    axis_names,
                    P,
                    T,
                    time_s=t,
                    base_time_s=base_s,
                    cores=cores,
                    reps=reps,
                    failed=(r["kernel"], P, T) in failed or index in failed,
                    baseline_only=(P, T) == (1, 1) and not on_grid,
                    run=r_i,
                )
                points.append(pt)
                planned.append(
                    {
                        k: pt[k]
                        for k in (
                            "index",
                            "run",
                            "kernel",
                            "params",
                            "processes",
                            "threads",
                            "baseline_only",
                            "baseline",
                        )
                    }
                    | {"axes": axis_names}
                )
                index += 1
    return {
        "schema_version": 1,
        "tool": "parsweep",
        "name": name,
        "description": "hand-made",
        "status": status,
        "started_at": "2026-01-01T00:00:00+0000",
        "finished_at": "2026-01-01T00:01:00+0000",
        "elapsed_s": 60.0,
        "points_total": len(points),
        "points_done": len(points),
        "points_failed": sum(not p["verified"] for p in points),
        "context": {
            "host": "testhost",
            "usable_cores": {"count": cores, "reason": "test"},
            "topology": {"cpu_model": "Test CPU", "cores": cores, "pus": cores},
            "blas": {
                "name": "OpenBLAS",
                "version": "0.3.21",
                "core": "Haswell",
                "threading": "pthreads",
            },
            "env": {},
            "build": {"parsweep_version": "0.1.0"},
        },
        "config": {
            "source": "handmade.json",
            "given": {},
            "expanded": {"name": name, "usable_cores": cores, "points": planned},
        },
        "points": points,
    }


# A machine's limits as `parsweep calibrate` records them (context.calibration), at 1 and 2
# threads: the ridge is at 36/17 ≈ 2.1 flops per byte on one thread, 53/21 ≈ 2.5 on two.
CALIBRATION = {
    "quick": True,
    "measured_at": "2026-01-01T00:00:00+0000",
    "threads": [1, 2],
    "stream": {"points": [{"threads": 1, "triad_gbs": 17.0}, {"threads": 2, "triad_gbs": 21.0}]},
    "dgemm": {"points": [{"threads": 1, "gflops": 36.0}, {"threads": 2, "gflops": 53.0}]},
}

# What each kernel counts, as its Work does (kernels/*.cpp): square 16 bytes and 1 multiply
# per number (n = 5·10⁷), invert 2n³ flops per matrix and no bytes (4 of n = 500), wordcount
# the bytes of its text, and fault neither. (flops, bytes) per point.
WORK = {"square": (5e7, 16 * 5e7), "invert": (2.0 * 500**3 * 4, 0.0), "wordcount": (0.0, 5e6)}


def with_limits(doc: dict) -> dict:
    """The document with CALIBRATION recorded and each verified point's rates and roofline
    fraction filled in as the harness derives them (flops and bytes over the median compute
    time; the 2-thread limits beyond 2 workers)."""
    doc = copy.deepcopy(doc)
    doc["context"]["calibration"] = copy.deepcopy(CALIBRATION)
    for p in doc["points"]:
        if not p["verified"]:
            continue
        flops, bytes_ = WORK.get(p["kernel"], (0.0, 0.0))
        compute_s = p["stats"]["compute_s"]["median"]
        d = p["derived"]
        d["gflops"] = flops / compute_s / 1e9 if flops else None
        d["bandwidth_gbs"] = bytes_ / compute_s / 1e9 if bytes_ else None
        d["roofline_fraction"] = d["roofline_bound"] = None
        at = min(p["processes"] * p["threads"], 2) - 1
        if d["bandwidth_gbs"]:  # these kernels sit far below the ridge, or count no flops
            d["roofline_fraction"] = d["bandwidth_gbs"] / (17.0, 21.0)[at]
            d["roofline_bound"] = "memory"
        elif d["gflops"]:
            d["roofline_fraction"] = d["gflops"] / (36.0, 53.0)[at]
            d["roofline_bound"] = "compute"
    return doc


def truncate(doc: dict, keep: int) -> dict:
    """A run interrupted after `keep` points: what sweep.json holds while a sweep runs."""
    doc = copy.deepcopy(doc)
    doc["points"] = doc["points"][:keep]
    doc["points_done"] = keep
    doc["status"] = "running"
    return doc


def write_run(parent: str, name: str, doc) -> str:
    """RUN_DIR/sweep.json from a document (dict) or raw text."""
    run_dir = os.path.join(parent, name)
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "sweep.json"), "w", encoding="utf-8") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc, indent=1))
    return run_dir


def call(main, argv: list) -> tuple:
    """(exit status, stdout, stderr) of a CLI entry point run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
    return status, out.getvalue(), err.getvalue()


def plot(run_dir: str, *extra) -> list:
    """Draws a run (PNG only unless told: each format is a second rendering, and the tests
    keep to a minute); returns the image files written (names only), sorted."""
    status, out, err = call(plot_run_main, [run_dir, *(extra or ("--formats", "png"))])
    assert status == 0, f"plot_run.py {run_dir} exited {status}: {out}{err}"
    plots = os.path.join(run_dir, "plots")
    return sorted(os.listdir(plots)) if os.path.isdir(plots) else []


def require_binary() -> None:
    """The end-to-end tests run real sweeps: without the binary they fail, never skip."""
    if not os.access(BINARY, os.X_OK):
        raise AssertionError(f"no parsweep binary at {BINARY}: build it, or set PARSWEEP_BINARY")


def real_run(parent: str, name: str, config: dict, *args) -> str:
    """PARENT/NAME.json written from `config` and run by the parsweep binary (with `args`)
    into PARENT/NAME; returns that directory. A run that does not exit 0 fails the test."""
    path = os.path.join(parent, f"{name}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    out = os.path.join(parent, name)
    done = subprocess.run(
        [BINARY, "run", "-q", *args, path, "--out", out],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"parsweep run {path} exited {done.returncode}: {done.stdout}{done.stderr}"
        )
    return out


def script(name: str, *args) -> subprocess.CompletedProcess:
    """A plots/ script run as `make plots` runs it: its own process, this Python."""
    return subprocess.run(
        [sys.executable, os.path.join(PLOTS, name), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


class ImageChecks:
    """Mixed into TestCases: what a drawn file must be."""

    def assert_png(self, path: str) -> None:
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], PNG_SIGNATURE, f"{path}: not a PNG")
        self.assertGreater(len(data), 8000, f"{path}: suspiciously small ({len(data)} bytes)")
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        self.assertGreater(width, 800, f"{path}: {width} px wide")
        self.assertGreater(height, 400, f"{path}: {height} px high")

    def assert_svg(self, path: str) -> None:
        root = ET.parse(path).getroot()  # raises on malformed XML
        self.assertTrue(root.tag.endswith("svg"), f"{path}: root is {root.tag}")
        self.assertGreater(os.path.getsize(path), 8000, f"{path}: suspiciously small")

    def assert_contains(self, text: str, needle: str) -> None:
        """assertIn without printing a whole report when it fails."""
        if needle not in text:
            self.fail(f"{needle!r} not in the {len(text)} characters of the page")

    def assert_report_offline(self, html_path: str) -> None:
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        self.assertIsNone(
            re.search(r"(src|href)\s*=\s*\"(https?:)?//", text),
            f"{html_path} refers to the network",
        )
        self.assertNotIn("@import", text)
        for src in re.findall(r'<img src="([^"]+)"', text):
            self.assertTrue(
                os.path.isfile(os.path.join(os.path.dirname(html_path), src)),
                f"{html_path}: image {src} is missing",
            )


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError(
        "no Chromium to open the report in: run scripts/install-deps.sh "
        "(Debian package chromium)"
    )


def images_loaded_in_chromium(html_path: str) -> str:
    """Opens a page in headless Chromium (plain file://, no server) and returns what its
    script wrote into <body data-images-loaded>: "n/m" images decoded."""
    profile = tempfile.mkdtemp(prefix="parsweep-chromium-")
    try:
        cmd = [
            find_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            "file://" + os.path.abspath(html_path),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        m = re.search(r'data-images-loaded="([^"]*)"', done.stdout)
        if not m:
            raise AssertionError(
                f"Chromium returned no DOM for {html_path} (exit {done.returncode}): "
                f"{done.stderr[-2000:]}"
            )
        return m.group(1)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
