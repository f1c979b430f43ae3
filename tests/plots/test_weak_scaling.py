"""A real weak-scaling sweep beside a strong one of the same kernel: the weak points make one
curve whatever their real sizes, and the charts say which scaling they show (scaled speedup,
Gustafson's fit and a flat-time ideal for weak; Amdahl's fit for strong)."""
import os
import shutil
import tempfile
import unittest

from support import ImageChecks, plot, real_run, require_binary
from parsweep_plots import captions, curves  # noqa: E402
from parsweep_plots.load import load_run  # noqa: E402

PER_WORKER = 40000
CONFIG = {
    "name": "weak",
    "repetitions": 2,
    "warmup": 0,
    "grid": {"processes": [1, 2], "threads": [1, 2]},
    "runs": [
        {"kernel": "pi", "params": {"samples": PER_WORKER}, "scaling": "weak"},
        {"kernel": "pi", "params": {"samples": PER_WORKER}},
    ],
}


def texts(fig) -> str:
    """Every text a chart shows: its bold header and details, axis labels, legend entries."""
    out = [fig._parsweep_header.get_text(), fig._suptitle.get_text()]
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend:
            out += [t.get_text() for t in legend.get_texts()]
    return "\n".join(out)


class WeakScaling(ImageChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.dir = tempfile.mkdtemp(prefix="parsweep-plots-weak-")
        cls.run_dir = real_run(cls.dir, "weak", CONFIG, "--no-calibrate")
        cls.sweep = load_run(cls.run_dir)
        cls.weak, cls.strong = sorted(cls.sweep.groups, key=lambda g: g.run)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_weak_points_are_one_curve_at_their_real_sizes(self):
        self.assertEqual(len(self.sweep.groups), 2)
        self.assertTrue(self.weak.weak)
        self.assertFalse(self.strong.weak)
        self.assertEqual(self.weak.params["samples"], PER_WORKER)  # as given: per worker
        self.assertEqual(self.weak.label, "pi (weak)")
        self.assertEqual(len(self.weak.points), 4)
        for p in self.weak.points:
            self.assertTrue(p.ok, p.error)
            self.assertEqual(p.params["samples"], PER_WORKER * p.workers)
        for p in self.strong.points:
            self.assertEqual(p.params["samples"], PER_WORKER)

    def test_weak_charts_show_scaled_speedup_and_gustafson(self):
        fig, facts = curves.draw_speedup(self.sweep, self.weak)
        shown = texts(fig)
        self.assertIn("Scaled speedup (weak scaling) — pi (weak)", shown)
        self.assertIn("scaled speedup over 1×1", shown)
        self.assertIn("the work grows with P·T", shown)
        self.assertIn("Gustafson fit", shown)
        self.assertNotIn("Amdahl", shown)
        self.assertIn("the time stays flat", shown)
        self.assertIn(f"{PER_WORKER:,} samples per worker", shown)
        # A busy machine may show no gain at all: then the fit is withheld, and said so.
        self.assertTrue(facts["serial_fraction"] is not None or facts["no_speedup"], facts)
        self.assertIn("Gustafson", captions.speedup(self.sweep, self.weak, facts))
        fig, _ = curves.draw_efficiency(self.sweep, self.weak)
        shown = texts(fig)
        self.assertIn("Efficiency (weak scaling)", shown)
        self.assertIn("weak-scaling efficiency", shown)

    def test_strong_charts_say_so_and_keep_amdahl(self):
        fig, _ = curves.draw_speedup(self.sweep, self.strong)
        shown = texts(fig)
        self.assertIn("Speedup (strong scaling) — pi", shown)
        self.assertIn("Amdahl fit", shown)
        self.assertNotIn("Gustafson", shown)
        self.assertNotIn("per worker", shown)
        fig, _ = curves.draw_efficiency(self.sweep, self.strong)
        self.assertIn("Efficiency (strong scaling)", texts(fig))

    def test_error_bars_span_the_scaled_speedup(self):
        # Each repetition's scaled speedup is P·T × the baseline's median ÷ its time: the
        # median's value lies between the slowest and the fastest repetition's.
        for p in self.weak.points:
            for metric in (curves.SPEEDUP, curves.EFFICIENCY):
                r = curves.rep_range(metric, p, self.weak)
                self.assertIsNotNone(r)
                self.assertLessEqual(r[0], p.value(metric) * (1 + 1e-9), (p.setting, metric))
                self.assertGreaterEqual(r[1], p.value(metric) * (1 - 1e-9), (p.setting, metric))

    def test_plot_run_draws_both_and_the_report_explains_weak(self):
        files = plot(self.run_dir)
        for kind in ("speedup", "efficiency"):
            for run in (0, 1):
                self.assertIn(f"{kind}-pi-run{run}.png", files)
        for name in files:
            self.assert_png(os.path.join(self.run_dir, "plots", name))
        with open(os.path.join(self.run_dir, "report.html"), encoding="utf-8") as f:
            report = f.read()
        self.assertIn("pi (weak)", report)
        self.assertIn("Gustafson", report)
        self.assertIn("scaled speedup", report)


if __name__ == "__main__":
    unittest.main()
