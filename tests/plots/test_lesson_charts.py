"""A lesson's run: the check's verdict beside it (lesson.json, written by check_lib's Verdict
as the lessons' checks write it) chooses the charts drawn — only those it names, decided
before anything is rendered, and every chart with --all-charts — and the report opens with
the verdict. The methods chart puts the values of a parameter swept in words side by side,
and marks a failed point as failed, never as a time."""
import json
import os
import re
import shutil
import sys
import tempfile
import unittest
from unittest import mock

from matplotlib.patches import Rectangle

from support import SOURCE, ImageChecks, call, make_run, plot, plot_run_main, write_run
from parsweep_plots import captions, methods, style  # noqa: E402
from parsweep_plots.load import load_run  # noqa: E402
from parsweep_plots.scaling import interval_95  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE, "exercises"))
import check_lib  # noqa: E402

# Lesson 02 in small: the sum of cubes added up three ways (critical the slow one), and the
# serial and OpenMP loops against n.
SUM_CUBES = {"kernel": "sum_cubes", "params": {"n": 2000000},
             "axes": {"method": ["race", "critical", "reduction"]},
             "processes": [1], "threads": [1, 2, 4], "f": 0.1, "factor": {"critical": 8}}
SQUARE = {"kernel": "square", "params": {"p": 3, "chunk": 0},
          "axes": {"n": [1000, 100000, 10000000], "mode": ["serial", "omp"]},
          "processes": [1], "threads": [1, 2], "f": 0.1}
LESSON_CHARTS = ["methods-sum_cubes-method", "scaling-square-n"]
# Where every chart is drawn: fewer, since each is a rendering.
SMALL = dict(SUM_CUBES, axes={"method": ["race", "critical"]}, threads=[1, 2])


def lesson_02() -> dict:
    """The run, with race at 2 threads failed (the race lost an update)."""
    doc = make_run([SUM_CUBES, SQUARE], cores=2)
    failed = next(p["index"] for p in doc["points"] if p["kernel"] == "sum_cubes"
                  and p["params"]["method"] == "race" and p["threads"] == 2)
    return make_run([SUM_CUBES, SQUARE], cores=2, failed={failed})


def write_verdict(run_dir: str, charts: list) -> None:
    """lesson.json as lesson 02's check writes it, on a quiet machine with ±4% noise."""
    v = check_lib.Verdict("02-square", run_dir, charts=charts,
                          machine={"busy": False, "noise_pct": 4.0})
    v.wrong("sum_cubes method=race P=1 T=2: sum differs between runs: a data race")
    v.shape("critical vs reduction at 2 threads", "shown", 8.0, "every update waits for the lock")
    v.shape("cubing 1,000 numbers: 2 threads slower than serial", "inconclusive", 1.1)
    v.shape("cubing 10 million numbers: 2 threads faster than serial", "not shown", 0.7)
    v.note("sum_cubes method=race P=1 T=4: the race gave the right sum this time")
    v.write()


def read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


class LessonCharts(ImageChecks, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="parsweep-plots-lesson-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.run_dir = write_run(self.dir, "lesson02-starter", lesson_02())

    def test_lesson_json_draws_only_its_charts_and_nothing_else_is_rendered(self):
        write_verdict(self.run_dir, LESSON_CHARTS + ["nosuch-*"])
        figures = []
        real_figure = style.figure

        def counting_figure(*args, **kw):
            figures.append(1)
            return real_figure(*args, **kw)

        with mock.patch.object(style, "figure", counting_figure):
            status, out, err = call(plot_run_main, [self.run_dir, "--formats", "png"])
        self.assertEqual(status, 0, out + err)
        files = sorted(os.listdir(os.path.join(self.run_dir, "plots")))
        self.assertEqual(files, ["methods-sum_cubes-method.png", "scaling-square-n.png"])
        self.assertEqual(len(figures), 2, "a chart the lesson does not ask for was rendered")
        self.assertIn("2 charts (png)", out)
        self.assertIn("--all-charts draws up to", out)
        self.assertIn("asks for 'nosuch-*', which names no chart of this run", out)
        for name in files:
            self.assert_png(os.path.join(self.run_dir, "plots", name))

    def test_all_charts_draws_the_rest(self):
        run_dir = write_run(self.dir, "small", make_run([SMALL], cores=2))
        write_verdict(run_dir, ["methods-sum_cubes-method"])
        files = plot(run_dir, "--formats", "png", "--all-charts")
        want = ["methods-sum_cubes-method.png"] + [
            f"{kind}-sum_cubes-method{m}.png"
            # (no oversubscription bars: no setting is beyond the 2 cores)
            for kind in ("speedup", "efficiency", "oversubscription", "overhead")
            for m in ("race", "critical")
        ]
        self.assertEqual(files, sorted(want))
        # The lesson's chart leads the report; the others follow the machine and the table.
        page = read(os.path.join(run_dir, "report.html"))
        self.assertLess(page.index("The lesson's charts"), page.index('id="methods-sum_cubes'))
        self.assertLess(page.index('id="methods-sum_cubes-method"'), page.index("Where it ran"))
        self.assertLess(page.index("Where it ran"), page.index('id="speedup-sum_cubes-methodrace"'))

    def test_a_broken_lesson_json_is_named_and_every_chart_drawn(self):
        run_dir = write_run(self.dir, "small", make_run([SMALL], cores=2))
        with open(os.path.join(run_dir, "lesson.json"), "w", encoding="utf-8") as f:
            json.dump({"lesson": "02-square", "correct": True, "charts": "methods*"}, f)
        status, out, err = call(plot_run_main, [run_dir, "--formats", "png", "--no-report"])
        self.assertEqual(status, 0, out + err)
        self.assertIn("lesson.json: charts must be a list of strings", err)
        self.assertIn("every chart is drawn", err)
        self.assertEqual(len(os.listdir(os.path.join(run_dir, "plots"))), 9)

    def test_report_opens_with_the_verdict(self):
        write_verdict(self.run_dir, LESSON_CHARTS)
        plot(self.run_dir, "--formats", "png")
        page = read(os.path.join(self.run_dir, "report.html"))
        self.assert_report_offline(os.path.join(self.run_dir, "report.html"))
        body = page[page.index("<body"):]
        headings = re.findall(r"<h2[^>]*>(.*?)</h2>", body)
        self.assertEqual(headings[0], "Lesson 02-square: NOT correct", headings)
        self.assertEqual(headings[1], "The lesson's charts", headings)
        verdict = body[: body.index("</section>")]
        self.assert_contains(verdict, "sum differs between runs: a data race")
        self.assert_contains(verdict, "critical vs reduction at 2 threads (8.00×): "
                                      '<span class="outcome">shows the lesson</span>'
                                      " — every update waits for the lock")
        self.assert_contains(verdict, "does NOT show it")
        self.assert_contains(verdict, "inconclusive: within the noise (noise ±4%); run again")
        self.assert_contains(verdict, "the race gave the right sum this time")
        # The machine and the table follow the lesson's charts.
        self.assertLess(body.index('id="methods-sum_cubes-method"'), body.index("Where it ran"))
        self.assertLess(body.index("Where it ran"), body.index("<h2>Summary</h2>"))
        self.assert_contains(body, "--all-charts</code> draws up to")

    def test_methods_chart_marks_a_failed_point_and_draws_intervals(self):
        run = load_run(self.run_dir)
        family = [g for g in run.groups if g.kernel == "sum_cubes"]
        fig, facts = methods.draw_methods(run, "method", family)
        self.addCleanup(style.plt.close, fig)
        ax = fig.axes[0]
        # Three settings × three methods, one of them failed: eight bars and one ✗.
        bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0
                and p.get_width() < 1]
        self.assertEqual(len(bars), 8)
        marks = [t for t in ax.texts if t.get_text() == methods.FAILED_TEXT]
        self.assertEqual(len(marks), 1)
        # Its slot: race is the first of three bars in the 2-thread group (x = 1).
        x = marks[0].get_position()[0]
        self.assertAlmostEqual(x, 1 - 0.8 / 3)
        self.assertFalse([b for b in bars if abs(b.get_x() + b.get_width() / 2 - x) < 1e-9],
                         "a failed point has a bar")
        self.assertEqual(facts["failed"], ["race at 2 threads"])
        self.assertIn("race at 2 threads", captions.methods(facts))
        self.assertIn("✗ failed: not verified, no time",
                      [t.get_text() for t in ax.get_legend().get_texts()])
        # Each bar's whisker is the 95% interval of its mean.
        critical = next(g for g in family if g.params["method"] == "critical").points[0]
        below, above = interval_95(critical)
        scale, _ = style.time_unit([p.time_s for g in family for p in g.points if p.ok])
        segments = [seg for c in ax.collections for seg in c.get_segments()]
        want = (critical.time_s - below) / scale, (critical.time_s + above) / scale
        self.assertTrue(any(abs(s[0][1] - want[0]) < 1e-9 and abs(s[1][1] - want[1]) < 1e-9
                            for s in segments), want)

    def test_scaling_puts_the_values_of_a_word_axis_on_one_chart(self):
        write_verdict(self.run_dir, ["scaling-*"])
        files = plot(self.run_dir, "--formats", "svg")
        self.assertEqual(files, ["scaling-square-n.svg"])
        svg = read(os.path.join(self.run_dir, "plots", "scaling-square-n.svg"))
        for line in ("serial 1×1", "serial 1×2", "omp 1×1", "omp 1×2"):
            self.assert_contains(svg, line)
        self.assert_contains(svg, "cubes (p = 3)")  # the parameters in plain words
        self.assert_contains(svg, "OpenMP chunk: the schedule's default")
        self.assertNotIn("p=3", svg)
        self.assertNotIn("chunk=0", svg)


if __name__ == "__main__":
    unittest.main()
