"""Charts that do not mislead: no Amdahl fit on a curve with no speedup, an ideal speedup
line that stops at the usable cores (past them the region is shaded), and each timed point's
95% interval drawn on the time-against-size chart, and a heatmap whose colours are the ratio to
the baseline on a scale that noise cannot fill."""
import copy
import shutil
import tempfile
import unittest

from matplotlib.container import ErrorbarContainer

from support import make_run, write_run
from parsweep_plots import captions, curves, oversub, scaling, style  # noqa: E402
from parsweep_plots.load import load_run  # noqa: E402

# 16 workers on 2 cores: the old ideal line ran to 16× and squashed the data.
WIDE = {"processes": [1, 2, 4], "threads": [1, 2, 4]}
FLAT = dict(WIDE, kernel="reduction", params={"n": 1000}, f=1.0)  # no speedup at all
GAINS = dict(WIDE, kernel="invert", params={"n": 500}, f=0.1)  # 1.8× on 2 cores
SIZES = {"kernel": "square", "params": {"mode": "omp"}, "axes": {"n": [1000, 100000]},
         "processes": [1, 2], "threads": [1, 2], "f": 0.1}


def legend_texts(ax) -> list:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


class HonestCharts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="parsweep-plots-honest-")
        doc = make_run([FLAT, GAINS, SIZES], cores=2)
        # One point as noisy as a busy laptop makes it: a median of 493 ms, mean 500 ms ± 442.
        cls.noisy = next(p for p in doc["points"]
                         if p["kernel"] == "square" and p["params"]["n"] == 100000
                         and (p["processes"], p["threads"]) == (2, 2))
        cls.noisy["stats"]["wall_s"].update(median=0.493, mean=0.5, ci95=0.442, min=0.2,
                                            max=0.9)
        cls.sweep = load_run(write_run(cls.dir, "honest", doc))
        cls.groups = {g.kernel: g for g in cls.sweep.groups if g.kernel != "square"}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def speedup(self, kernel: str):
        fig, facts = curves.draw_speedup(self.sweep, self.groups[kernel])
        self.addCleanup(style.plt.close, fig)
        return fig.axes[0], facts

    def test_flat_curve_gets_no_fit_but_says_why(self):
        ax, facts = self.speedup("reduction")
        legend = "\n".join(legend_texts(ax))
        self.assertNotIn("serial fraction", legend)
        self.assertIn("no speedup", legend)
        self.assertIn("an Amdahl fit would be meaningless", legend)
        self.assertIsNone(facts["serial_fraction"])
        self.assertFalse([ln for ln in ax.get_lines() if ln.get_color() == style.PURPLE])
        text = captions.speedup(self.sweep, self.groups["reduction"], facts)
        self.assertNotIn("f = 1.000", text)
        self.assertIn("no Amdahl fit is drawn", text)

    def test_curve_with_speedup_keeps_its_fit(self):
        ax, facts = self.speedup("invert")
        self.assertAlmostEqual(facts["serial_fraction"], 0.1, delta=0.02)
        self.assertTrue(any("Amdahl fit: serial fraction f = 0.1" in t for t in legend_texts(ax)))
        self.assertNotIn("meaningless", "\n".join(legend_texts(ax)))

    def test_ideal_line_stops_at_the_usable_cores(self):
        for kernel in ("reduction", "invert"):
            ax, _ = self.speedup(kernel)
            ideal = next(ln for ln in ax.get_lines() if ln.get_label().startswith("ideal"))
            xs, ys = ideal.get_xdata(), ideal.get_ydata()
            self.assertGreaterEqual(max(xs), 16 * 0.99)  # drawn across the whole axis,
            self.assertAlmostEqual(max(ys), 2.0)  # but no higher than 2 cores allow
            self.assertIn("flat beyond", ideal.get_label())
            self.assertLess(ax.get_ylim()[1], 5, kernel)  # the data are not squashed
            shaded = [p for p in ax.patches if "more threads than cores" in p.get_label()]
            self.assertEqual(len(shaded), 1, kernel)
            self.assertAlmostEqual(min(shaded[0].get_xy()[:, 0]), 2.0)  # from the cores on
            self.assertIn("more threads than cores", [t.get_text() for t in ax.texts])

    def test_scaling_chart_draws_each_points_95_percent_interval(self):
        family = [g for g in self.sweep.groups if g.kernel == "square"]
        fig, _ = scaling._draw_family(self.sweep, "n", family)
        self.addCleanup(style.plt.close, fig)
        ax = fig.axes[0]
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        self.assertEqual(len(bars), 4)  # one per setting: every timed series
        for c in bars:
            self.assertTrue(c.has_yerr, c.get_label())
            segments = c.lines[2][0].get_segments()
            self.assertEqual(len(segments), 2, c.get_label())  # one per size
            self.assertTrue(all(s[1][1] > s[0][1] for s in segments), c.get_label())
        # A median of 493 ms, mean 500 ms ± 442 ms, is a bar from 58 ms to 942 ms, not a point.
        unit, _ = style.time_unit([p.time_s for g in family for p in g.points])
        noisy = next(c for c in bars if c.get_label() == "2×2")
        low, high = sorted(noisy.lines[2][0].get_segments(), key=lambda s: s[0][0])[1][:, 1]
        self.assertAlmostEqual(low * unit, 0.500 - 0.442)
        self.assertAlmostEqual(high * unit, 0.500 + 0.442)
        self.assertIn("95%", ax.get_ylabel())

    def test_subtitles_say_the_parameters_in_plain_words(self):
        fig, _ = curves.draw_speedup(self.sweep, self.groups["invert"])
        self.addCleanup(style.plt.close, fig)
        self.assertIn("500×500 matrices", fig._suptitle.get_text())
        self.assertEqual(
            style.params_line({"chunk": 0, "p": 3, "n": 1000, "schedule": "static"}, "square"),
            "1,000 numbers · cubes (p = 3) · OpenMP schedule: static · "
            "OpenMP chunk: the schedule's default",
        )
        self.assertEqual(
            style.params_line({"file": "/w/data/t8.shakespeare.txt", "chunk_bytes": 262144},
                              "chunk_count"),
            "chunk size: 256 KiB · text: t8.shakespeare.txt",
        )
        self.assertEqual(style.params_line({"cmd": "", "items": 0, "argv": []}, "command"), "")
        self.assertEqual(style.params_line({"colour": "blue"}, "mine"), "colour: blue")
        # A list (the command kernel's argv, wordcount's words) has no word: shown as it is.
        self.assertIn("python3", style.params_line({"argv": ["python3", "x.py"]}, "command"))
        self.assertIn("the", style.params_line({"words": ["the", "dog"]}, "wordcount"))

    def test_an_interval_reaching_below_zero_stops_at_the_fastest_repetition(self):
        point = copy.deepcopy(next(p for g in self.sweep.groups if g.kernel == "square"
                                   for p in g.points))
        point.stats["wall_s"].update(median=0.02, mean=0.02, ci95=0.065, min=0.014)
        below, above = scaling.interval_95(point)
        self.assertAlmostEqual(0.02 - below, 0.014)
        self.assertAlmostEqual(0.02 + above, 0.085)


class HonestHeatmap(unittest.TestCase):
    def test_one_row_of_noise_is_not_stretched_over_the_colour_scale(self):
        # 1×1..1×4 at 1.22–1.36 s: the old scale ran from 1.22 s to 1.36 s, dark to light.
        dir_ = tempfile.mkdtemp(prefix="parsweep-plots-heat-")
        self.addCleanup(shutil.rmtree, dir_, ignore_errors=True)
        doc = make_run([dict(FLAT, processes=[1], threads=[1, 2, 4])], cores=2)
        for p, t in zip(doc["points"], (1.30, 1.22, 1.36)):
            p["stats"]["wall_s"].update(median=t, mean=t, ci95=0.08 * t, min=0.9 * t)
            p["derived"]["speedup"] = 1.30 / t
            p["derived"]["efficiency"] = 1.30 / t / p["threads"]
        sweep = load_run(write_run(dir_, "row", doc))
        fig, _ = oversub.draw_heatmap(sweep, sweep.groups[0])
        self.addCleanup(style.plt.close, fig)
        times = fig.axes[0]
        norm = times.images[0].norm
        self.assertLessEqual(norm.vmin, 0.5)  # the ratio to 1×1, at least 2× either way
        self.assertGreaterEqual(norm.vmax, 2.0)
        self.assertAlmostEqual(norm.vmin * norm.vmax, 1.0)  # white is "as fast as 1×1"
        self.assertIn("÷ 1×1", times.get_title())
        cells = [t.get_text() for t in times.texts]
        self.assertIn("1.22 s\n0.94×", cells)
        # The noise band (8% here) is hatched on the colour bar and named.
        bar = next(ax for ax in fig.axes if ax not in (times, fig.axes[1]) and ax.patches)
        band = [p for p in bar.patches if p.get_hatch()]
        self.assertEqual(len(band), 1)
        ys = band[0].get_xy()[:, 1]
        self.assertAlmostEqual(max(ys), 1.08, places=6)
        self.assertIn("noise (±8%", bar.get_ylabel())


if __name__ == "__main__":
    unittest.main()
