"""Charts and reports from hand-made result files: a full grid, a partial run, failed points,
a single point, a run with one axis, missing optional fields, and broken sweep.json files."""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

# support first: it puts plots/ on the path.
from support import GROUP_CHARTS, ImageChecks, call, make_run, plot, plot_run_main, truncate
from support import CALIBRATION, PLOTS, with_limits, write_run
from parsweep_plots.load import load_run  # noqa: E402
from parsweep_plots import captions, roofline, style  # noqa: E402
from parsweep_plots.roofline import limit_at  # noqa: E402

SQUARE = {
    "kernel": "square",
    "params": {"mode": "omp"},
    "axes": {"n": [1000, 1000000]},
    "processes": [1, 2, 4],
    "threads": [1, 2],
    "f": 0.1,
}
ONE_SQUARE = dict(SQUARE, axes={"n": [1000]})
INVERT = {
    "kernel": "invert",
    "params": {"n": 500, "count": 4},
    "processes": [1, 2, 4],
    "threads": [1, 2],
    "f": 0.2,
    "base_s": 0.5,
}
# Fewer settings where the grid is not the point: each chart costs a rendering.
SMALL = dict(INVERT, processes=[1, 2], threads=[1, 2])


def read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


class HandMade(ImageChecks, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="parsweep-plots-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def test_full_grid_draws_every_chart(self):
        run = write_run(self.dir, "full", make_run([SQUARE, INVERT]))
        files = plot(run)
        for kind in GROUP_CHARTS:
            for subject in ("square-n1000", "square-n1000000", "invert"):
                self.assertIn(f"{kind}-{subject}.png", files)
        self.assertIn("scaling-square-n.png", files)
        self.assertNotIn("scaling-invert.png", files)  # invert swept no size
        self.assertEqual(len(files), 5 * 3 + 1, files)
        for name in files:
            self.assert_png(os.path.join(run, "plots", name))
        report = os.path.join(run, "report.html")
        self.assert_report_offline(report)
        html = read(report)
        self.assertEqual(html.count("<img "), 16)
        self.assert_contains(html, "No scaling chart for invert")
        self.assertRegex(html, r"serial fraction f = 0\.\d{3}")  # the fit, in the speedup's caption
        self.assert_contains(html, "testhost")

    def test_report_shows_the_machines_limits(self):
        doc = make_run([ONE_SQUARE])
        doc["context"]["calibration"] = {
            "stream": {
                "points": [{"threads": 1, "triad_gbs": 17.3}, {"threads": 2, "triad_gbs": 21.0}]
            },
            "dgemm": {"points": [{"threads": 1, "gflops": 36.1}, {"threads": 2, "gflops": 53.0}]},
        }
        run = write_run(self.dir, "limits", doc)
        plot(run)
        html = read(os.path.join(run, "report.html"))
        self.assert_contains(html, "STREAM triad 17.3 GB/s at 1 thread … 21.0 at 2")
        self.assert_contains(html, "DGEMM 36.1 GFLOP/s at 1 thread … 53.0 at 2")

    def test_roofline_of_a_run_with_calibration(self):
        # One setting each: every group's own charts cost a rendering.
        wordcount = dict(SMALL, kernel="wordcount", params={"chunk_bytes": 4096}, processes=[1])
        fault = dict(wordcount, kernel="fault", params={"count": 4}, threads=[1])  # counts neither
        doc = with_limits(make_run([ONE_SQUARE, SMALL, wordcount, fault]))
        run = write_run(self.dir, "roofline", doc)
        files = plot(run, "--formats", "png,svg")
        self.assertIn("roofline.png", files)
        self.assert_png(os.path.join(run, "plots", "roofline.png"))
        svg = read(os.path.join(run, "plots", "roofline.svg"))
        # Every point that counts flops is named by its kernel and P×T; wordcount, with no
        # flops, is in the panel of fractions, and fault in neither.
        for p in doc["points"]:
            name = f"{p['kernel']} {p['processes']}×{p['threads']}"
            if p["kernel"] in ("square", "invert"):
                self.assert_contains(svg, name)
            else:
                self.assertNotIn(name, svg)
        self.assert_contains(svg, "wordcount")
        self.assertNotIn("fault", svg)
        for text in (
            "P·T = 1",
            "triad 17 GB/s, DGEMM 36 GFLOP/s",
            "P·T = 2, 4",
            "0.8 of the limit",
        ):
            self.assert_contains(svg, text)
        html = read(os.path.join(run, "report.html"))
        self.assert_report_offline(html_path := os.path.join(run, "report.html"))
        self.assert_contains(html, "Roofline: the machine&#x27;s limits")
        self.assert_contains(html, "each roof is what the machine allows at P·T threads")
        self.assert_contains(html, "invert counts flops but no bytes")
        self.assert_contains(html, "wordcount counts bytes but no flops")
        self.assert_contains(html, "P·T = 2, 4, 8 share one roof")
        self.assertIn('src="plots/roofline.png"', read(html_path))

    def test_roofline_skipped_cleanly_without_calibration(self):
        with_cal = with_limits(make_run([ONE_SQUARE, SMALL]))
        cases = {
            "nocalibration": ("recorded no calibration", lambda d: d["context"].pop("calibration")),
            "failed": (
                "calibration failed when the run started: no BLAS",
                lambda d: d["context"].update(calibration={"error": "no BLAS"}),
            ),
            "nofractions": (
                "no point was held to the machine",
                lambda d: [p["derived"].update(roofline_fraction=None) for p in d["points"]],
            ),
        }
        for name, (reason, change) in cases.items():
            doc = copy.deepcopy(with_cal)
            change(doc)
            run = write_run(self.dir, name, doc)
            files = plot(run)  # exit status 0, or plot() fails the test
            self.assertNotIn("roofline.png", files, name)
            self.assertIn("speedup-invert.png", files, name)  # the other charts as ever
            html = read(os.path.join(run, "report.html"))
            self.assert_contains(html, "No roofline chart for this run: ")
            self.assert_contains(html, reason)

    def test_roofline_facts_and_a_merged_run_with_other_limits(self):
        doc = with_limits(make_run([ONE_SQUARE, SMALL]))
        other = copy.deepcopy(CALIBRATION)
        other["stream"]["points"][0]["triad_gbs"] = 12.0  # another node's
        doc["merge"] = {"sources": [{"context": {"calibration": CALIBRATION}}]}
        run = write_run(self.dir, "merged", doc)
        fig, facts = roofline.draw(load_run(run))
        style.plt.close(fig)
        self.assertFalse(facts["sources_differ"])
        doc["merge"]["sources"].append({"context": {"calibration": other}})
        fig, facts = roofline.draw(load_run(write_run(self.dir, "merged", doc)))
        style.plt.close(fig)
        self.assertTrue(facts["sources_differ"])
        self.assertEqual(facts["at_edge"], ["invert"])
        self.assertEqual(facts["no_flops"], [])
        # The closest point and the count above the guide, from the exported fractions.
        shares = [
            (p["derived"]["roofline_fraction"], p["processes"], p["threads"]) for p in doc["points"]
        ]
        best = max(shares)
        self.assertAlmostEqual(facts["best"][2], best[0])
        self.assertEqual(facts["best"][1], f"{best[1]}×{best[2]}")
        self.assertEqual(facts["near"], sum(f >= 0.8 for f, _, _ in shares))
        self.assertEqual(facts["held"], len(shares))
        self.assert_contains(captions.roofline(facts), "recorded different limits")
        # Only a kernel that counts no flops: its shares of triad, and no roofline to stand on.
        wordcount = dict(SMALL, kernel="wordcount", params={"chunk_bytes": 4096})
        run = write_run(self.dir, "bytes-only", with_limits(make_run([wordcount])))
        fig, facts = roofline.draw(load_run(run))
        self.assertEqual(len(fig.axes), 1)
        style.plt.close(fig)
        self.assertFalse(facts["roofline"])
        self.assertTrue(captions.roofline(facts).startswith("wordcount counts bytes but no flops"))

    def test_roofline_limits_are_read_as_the_harness_reads_them(self):
        # harness/measure/roofline.cpp limit_at: exact, interpolated, the first count's below it and
        # the top count's beyond (unit_calibrate_test's LimitAt has the same numbers).
        points = [
            {"threads": 1, "triad_gbs": 10.0},
            {"threads": 2, "triad_gbs": 20.0},
            {"threads": 4, "triad_gbs": 25.0},
        ]
        self.assertEqual(limit_at(points, "triad_gbs", 2), 20.0)
        self.assertEqual(limit_at(points, "triad_gbs", 3), 22.5)
        self.assertEqual(limit_at(points, "triad_gbs", 16), 25.0)
        self.assertEqual(limit_at(points[1:], "triad_gbs", 1), 20.0)
        self.assertIsNone(limit_at([], "triad_gbs", 1))
        self.assertIsNone(limit_at(None, "triad_gbs", 1))
        self.assertEqual(limit_at(CALIBRATION["dgemm"]["points"], "gflops", 2), 53.0)

    def test_partial_run_shows_what_is_in_and_what_is_not(self):
        doc = make_run([SQUARE])
        run = write_run(self.dir, "partial", truncate(doc, 9))  # n=1000 done, n=1000000 half
        files = plot(run)
        self.assertIn("speedup-square-n1000.png", files)
        self.assertIn("oversubscription-square-n1000000.png", files)
        html = read(os.path.join(run, "report.html"))
        self.assert_contains(html, "This run is partial")
        self.assert_contains(html, "not run yet")

    def test_failed_points_are_gaps_and_named(self):
        doc = make_run([ONE_SQUARE, INVERT], failed={("square", 2, 2), ("invert", 1, 1)})
        run = write_run(self.dir, "failed", doc)
        files = plot(run)
        self.assertIn("speedup-square-n1000.png", files)
        self.assertIn("oversubscription-invert.png", files)  # its cells: failed or values
        self.assertNotIn("speedup-invert.png", files)  # no baseline: no speedup
        html = read(os.path.join(run, "report.html"))
        self.assert_contains(html, "No speedup chart for invert")
        self.assert_contains(html, "✗ NO: repetition 0: timed out")
        loaded = load_run(run)
        for p in loaded.points:
            if (p.kernel, p.processes, p.threads) == ("square", 2, 2):
                self.assertFalse(p.ok)
                self.assertIsNone(p.time_s)
                self.assertIsNone(p.value("speedup"))
                self.assertEqual(p.rep_values("wall_s"), [])  # failed reps never become times

    def test_a_group_where_everything_failed(self):
        doc = make_run([INVERT], failed={("invert", P, T) for P in (1, 2, 4) for T in (1, 2)})
        run = write_run(self.dir, "allfailed", doc)
        self.assertEqual(plot(run), [])
        self.assert_contains(
            read(os.path.join(run, "report.html")), "none of its 6 points verified"
        )

    def test_unverified_point_with_ok_status_is_still_a_gap(self):
        doc = make_run([SMALL])
        doc["points"][2]["verified"] = False  # status says ok; verified wins
        run = write_run(self.dir, "unverified", doc)
        plot(run)
        self.assertFalse(load_run(run).points[2].ok)

    def test_single_point(self):
        one = dict(INVERT, processes=[1], threads=[1])
        run = write_run(self.dir, "single", make_run([one]))
        self.assertEqual(plot(run), ["overhead-invert.png"])
        html = read(os.path.join(run, "report.html"))
        self.assert_contains(html, "one worker count only")
        self.assert_contains(html, "single processes × threads setting")

    def test_one_axis_with_baseline_off_the_grid(self):
        procs = dict(INVERT, processes=[2, 4], threads=[1])  # 1×1 is added as baseline_only
        run = write_run(self.dir, "procs", make_run([procs]))
        files = plot(run)
        for name in (
            "speedup-invert.png",
            "efficiency-invert.png",
            "oversubscription-invert.png",
            "oversubscription-bars-invert.png",
            "overhead-invert.png",
        ):
            self.assertIn(name, files)
        self.assert_contains(read(os.path.join(run, "report.html")), "(baseline only)")

    def test_threads_only_on_many_cores_and_compute_time(self):
        threads = dict(INVERT, processes=[1], threads=[1, 2, 4, 8])
        doc = make_run([threads], cores=8)
        for p in doc["points"]:
            p["time_metric"] = "compute_s"
        run = write_run(self.dir, "threads", doc)
        files = plot(run)
        self.assertIn("speedup-invert.png", files)
        self.assertNotIn("oversubscription-bars-invert.png", files)  # nothing exceeds 8 cores
        self.assert_contains(read(os.path.join(run, "report.html")), "compute time")

    def test_missing_optional_fields_do_not_crash(self):
        doc = make_run([dict(SQUARE, processes=[1, 2])])  # axes come from the parameters
        for key in ("context", "config", "description", "status", "points_total", "elapsed_s"):
            doc.pop(key)
        for p in doc["points"]:
            for key in ("label", "reps", "derived", "env", "baseline", "index", "run", "error"):
                p.pop(key)
            p["stats"].pop("cpu_util", None)
        run = write_run(self.dir, "bare", doc)
        files = plot(run)
        self.assertIn("overhead-square-n1000.png", files)  # from the stats alone
        self.assertIn("scaling-square-n.png", files)  # axes inferred from the parameters
        html = read(os.path.join(run, "report.html"))
        self.assert_contains(html, "recorded no speedup")

    def test_two_runs_of_one_kernel_get_distinct_names(self):
        run = write_run(self.dir, "tworuns", make_run([SMALL, SMALL]))
        files = plot(run)
        self.assertIn("speedup-invert-run0.png", files)
        self.assertIn("speedup-invert-run1.png", files)
        html = read(os.path.join(run, "report.html"))
        self.assert_contains(html, ">invert (run 0)</h3>")  # two sections, not one
        self.assert_contains(html, ">invert (run 1)</h3>")

    def test_out_dir_holds_images_and_report_and_svg_is_xml(self):
        run = write_run(self.dir, "elsewhere", make_run([SMALL]))
        out = os.path.join(self.dir, "out")
        status, _, err = call(plot_run_main, [run, "--out", out, "--formats", "svg"])
        self.assertEqual(status, 0, err)
        self.assertTrue(os.path.isfile(os.path.join(out, "report.html")))
        self.assertFalse(os.path.exists(os.path.join(run, "plots")))
        svgs = [f for f in os.listdir(out) if f.endswith(".svg")]
        self.assertIn("speedup-invert.svg", svgs)
        for name in svgs:
            self.assert_svg(os.path.join(out, name))
        self.assert_report_offline(os.path.join(out, "report.html"))  # the page shows the SVGs

    def test_broken_inputs_fail_naming_the_file(self):
        cases = {
            "missing": None,
            "notjson": "{ this is not json",
            "noversion": json.dumps({"points": []}),
            "future": json.dumps({"schema_version": 99, "points": []}),
            "nopoints": json.dumps({"schema_version": 1}),
            "badpoint": json.dumps(
                {"schema_version": 1, "points": [{"kernel": "square", "threads": 1}]}
            ),
        }
        expect = {
            "missing": "missing",
            "notjson": "not valid JSON",
            "noversion": "no schema_version",
            "future": "newer than these plots read",
            "nopoints": "no points list",
            "badpoint": "points[0].processes",
        }
        for name, text in cases.items():
            run = os.path.join(self.dir, name)
            os.makedirs(run)
            if text is not None:
                write_run(self.dir, name, text)
            status, out, err = call(plot_run_main, [run])
            self.assertEqual(status, 2, f"{name}: {out}{err}")
            self.assertIn(os.path.join(run, "sweep.json"), err, name)
            self.assertIn(expect[name], err, name)
        status, _, err = call(plot_run_main, [os.path.join(self.dir, "nowhere")])
        self.assertEqual(status, 2)
        self.assertIn("no such run directory", err)


class HostileSweepJson(unittest.TestCase):
    """A sweep.json nested 200,000 deep, a FIFO, a file too big, a key given twice or a NUL
    character: plot_run.py and compare_runs.py end with exit 2 and a message naming the file
    and the place, never a traceback or a hang (as `parsweep merge` does with the same files)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="parsweep-plots-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.good = write_run(self.dir, "good", make_run([SMALL]))

    def script(self, name: str, *args, env=None) -> subprocess.CompletedProcess:
        # A real process with a deadline: a FIFO would block an in-process call for ever.
        return subprocess.run(
            [sys.executable, os.path.join(PLOTS, name), *args],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, **(env or {})),
        )

    def assert_refused(self, run: str, expect: str, env=None):
        path = os.path.join(run, "sweep.json")
        for name, args in (("plot_run.py", [run]), ("compare_runs.py", [self.good, run])):
            try:
                p = self.script(name, *args, "--out", os.path.join(self.dir, "out"), env=env)
            except subprocess.TimeoutExpired:
                self.fail(f"{name} still reading {path} after 60 s")
            self.assertEqual(p.returncode, 2, f"{name}: {p.stderr}")
            self.assertNotIn("Traceback", p.stderr, name)
            self.assertIn(f"error: {path}: ", p.stderr, name)
            self.assertIn(expect, p.stderr, name)

    def test_deep_nesting(self):
        doc = json.loads(read(os.path.join(self.good, "sweep.json")))
        text = json.dumps(dict(doc, deep="@@")).replace('"@@"', "[" * 200000 + "]" * 200000)
        self.assert_refused(write_run(self.dir, "deep", text),
                            "lists and objects nest more than 64 deep")

    def test_fifo(self):
        run = os.path.join(self.dir, "fifo")
        os.makedirs(run)
        os.mkfifo(os.path.join(run, "sweep.json"))
        self.assert_refused(run, "is a FIFO (named pipe), not a regular file")

    def test_too_big(self):
        run = os.path.join(self.dir, "big")
        os.makedirs(run)
        with open(os.path.join(run, "sweep.json"), "wb") as f:
            f.truncate(300 << 20)  # sparse: nothing on disk
        self.assert_refused(run, "is 314572800 bytes, more than the 268435456 it may be")
        self.assert_refused(self.good, "more than the 1024 it may be",
                            env={"PARSWEEP_MAX_JSON_BYTES": "1k"})

    def test_duplicate_key(self):
        text = read(os.path.join(self.good, "sweep.json"))
        text = text.replace("{", '{"points": [], ', 1)  # a second list drops the first
        self.assert_refused(write_run(self.dir, "dup", text),
                            'at the top level: duplicate key "points"')

    def test_nul_character(self):
        doc = json.loads(read(os.path.join(self.good, "sweep.json")))
        doc["name"] = "a\u0000b"
        self.assert_refused(write_run(self.dir, "nul", doc), "/name: NUL character")


class ComparePairing(unittest.TestCase):
    """`make compare` pairs a run's curves with the other run's by kernel and parameters."""

    def test_the_same_text_at_another_path_pairs(self):
        from types import SimpleNamespace
        from parsweep_plots.compare import match_groups
        from parsweep_plots.load import Group

        def run(*groups):
            return SimpleNamespace(groups=[Group(key=(i,), run=0, kernel=k, params=p, axes=[])
                                           for i, (k, p) in enumerate(groups)])
        # Configs' relative files are recorded absolute: two checkouts, two paths.
        a = run(("wordcount", {"file": "/home/a/parsweep/data/t8.shakespeare.txt",
                               "chunk_bytes": 4096}),
                ("invert", {"n": 1500, "blas": "/opt/openblas-openmp/libopenblas.so.0"}))
        b = run(("wordcount", {"file": "/scratch/b/data/t8.shakespeare.txt",
                               "chunk_bytes": 4096}),
                ("invert", {"n": 1500, "blas": "/opt/openblas-pthread/libopenblas.so.0"}))
        pairs, only_a, only_b = match_groups(a, b)
        self.assertEqual([(x.kernel, y.kernel) for x, y in pairs], [("wordcount", "wordcount")])
        # Other parameters, a library's path among them, still tell curves apart.
        self.assertEqual([g.kernel for g in only_a], ["invert"])
        self.assertEqual([g.kernel for g in only_b], ["invert"])


if __name__ == "__main__":
    unittest.main()
