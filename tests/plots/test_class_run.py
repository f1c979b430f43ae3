"""End to end: merged runs drawn as `make plots RUN=DIR` draws them. Two learners' real runs of
one lesson merged with `parsweep merge --class` get the class chart and the table of
machines; the parts of a job array merged with `parsweep merge` are drawn like a whole run."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from support import (
    BINARY,
    GROUP_CHARTS,
    ImageChecks,
    images_loaded_in_chromium,
    require_binary,
    script,
)

from parsweep_plots import classview, style  # noqa: E402  (support puts plots/ on the path)
from parsweep_plots.load import load_run  # noqa: E402

CONFIG = {
    "name": "lesson",
    "repetitions": 2,
    "warmup": 0,
    "grid": {"processes": [1, 2], "threads": [1, 2]},
    "runs": [{"kernel": "square", "params": {"mode": "omp"}, "grid": {"n": [1000, 200000]}}],
}


def parsweep(*args) -> None:
    done = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"parsweep {' '.join(args)} exited {done.returncode}: {done.stderr}")


class MergedRuns(ImageChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.dir = tempfile.mkdtemp(prefix="parsweep-plots-merge-")
        config = os.path.join(cls.dir, "lesson.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(CONFIG, f)
        # Each learner hands in results/lesson; the instructor keeps them in class/<learner>/.
        runs = []
        for learner in ("alice", "bob"):
            runs.append(os.path.join(cls.dir, "class", learner, "lesson"))
            parsweep("run", "-q", config, "--out", runs[-1])
        cls.class_run = os.path.join(cls.dir, "class-run")
        parsweep("merge", "-q", "--class", *runs, "--out", cls.class_run)
        cls.class_drawn = script("plot_run.py", cls.class_run)
        parts = []
        for k in (1, 2):
            parts.append(os.path.join(cls.dir, "array", f"part-{k}"))
            parsweep("run", "-q", config, "--part", f"{k}/2", "--out", parts[-1])
        cls.parts_run = os.path.join(cls.dir, "merged")
        parsweep("merge", "-q", *parts, "--out", cls.parts_run)
        cls.parts_drawn = script("plot_run.py", cls.parts_run)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_class_run_loads_per_learner(self):
        run = load_run(self.class_run)
        self.assertEqual(run.learners, ["alice", "bob"])
        self.assertEqual(len(run.points), 16)
        # A group per learner and size: each learner's speedups are against their own 1×1.
        self.assertEqual(
            sorted((g.learner, g.params["n"]) for g in run.groups),
            [("alice", 1000), ("alice", 200000), ("bob", 1000), ("bob", 200000)],
        )
        for g in run.groups:
            self.assertEqual(g.baseline.learner, g.learner)
            self.assertEqual({p.learner for p in g.points}, {g.learner})
        self.assertEqual([s["learner"] for s in run.sources], ["alice", "bob"])

    def test_class_chart_and_table_of_machines(self):
        self.assertEqual(self.class_drawn.returncode, 0, self.class_drawn.stderr)
        files = sorted(os.listdir(os.path.join(self.class_run, "plots")))
        self.assertEqual(
            files,
            [f"class-speedup-square-n{n}.{ext}" for n in (1000, 200000) for ext in ("png", "svg")],
        )
        for name in files:
            path = os.path.join(self.class_run, "plots", name)
            self.assert_png(path) if name.endswith(".png") else self.assert_svg(path)
        # Every learner is a series of the chart (SVG text stays text).
        with open(os.path.join(self.class_run, "plots", "class-speedup-square-n1000.svg")) as f:
            svg = f.read()
        host = load_run(self.class_run).sources[1]["context"]["host"]
        for learner in ("alice", "bob"):
            self.assert_contains(svg, f"{learner} ({host}, ")
        report = os.path.join(self.class_run, "report.html")
        self.assert_report_offline(report)
        with open(report, encoding="utf-8") as f:
            page = f.read()
        self.assert_contains(page, "The class: 2 learners' machines")
        self.assert_contains(page, "<td>bob</td>")
        self.assert_contains(page, "8 of 8 verified")
        self.assert_contains(page, "bob: square n=1000")  # the summary, a row per learner's point
        self.assertEqual(images_loaded_in_chromium(report), "2/2")

    def test_ideal_line_stops_at_the_learners_cores(self):
        # Both learners ran here, on the machine's usable cores; 2×2 is 4 workers. Past the
        # cores the ideal is flat (a 4× ideal on 2 cores promises what they cannot give), and
        # the settings beyond them are shaded.
        run = load_run(self.class_run)
        label, groups = classview.lessons(run)[0]
        fig, _ = classview.draw_speedup(run, label, groups)
        self.addCleanup(style.plt.close, fig)
        ax = fig.axes[0]
        cores = classview.machine(run, "alice")["cores"]
        settings = [t.get_text() for t in ax.get_xticklabels()]
        ideals = [ln for ln in ax.get_lines() if ln.get_label().startswith("ideal")]
        self.assertEqual(len(ideals), 1, [ln.get_label() for ln in ax.get_lines()])
        self.assertIn(f"flat past {cores}", ideals[0].get_label())
        for setting, y in zip(settings, ideals[0].get_ydata()):
            P, T = setting.split("×")
            self.assertEqual(y, min(int(P) * int(T), cores), setting)
        workers = [int(P) * int(T) for P, T in (s.split("×") for s in settings)]
        shaded = [p.get_label() for p in ax.patches]
        self.assertEqual(max(workers) > cores,
                         any(style.OVERSUBSCRIBED_LABEL in t for t in shaded))

    def test_merged_parts_are_drawn_like_a_whole_run(self):
        self.assertEqual(self.parts_drawn.returncode, 0, self.parts_drawn.stderr)
        files = sorted(os.listdir(os.path.join(self.parts_run, "plots")))
        expected = [
            f"{kind}-square-n{n}.{ext}"
            for kind in GROUP_CHARTS
            for n in (1000, 200000)
            for ext in ("png", "svg")
        ] + ["scaling-square-n.png", "scaling-square-n.svg", "roofline.png", "roofline.svg"]
        self.assertEqual(files, sorted(expected))
        self.assertEqual(load_run(self.parts_run).learners, [])
        with open(os.path.join(self.parts_run, "report.html"), encoding="utf-8") as f:
            page = f.read()
        self.assert_contains(page, "from 2 runs; speedups are computed over the merged points")
        self.assertNotIn("learners", page)
        # Both parts ran on this machine with its one cached calibration: one set of roofs.
        self.assert_contains(page, "each roof is what the machine allows")
        self.assertNotIn("recorded different limits", page)


if __name__ == "__main__":
    unittest.main()
