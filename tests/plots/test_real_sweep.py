"""End to end: two small real sweeps (OMP_WAIT_POLICY active and passive, each recording the
machine's calibration) drawn by the command-line scripts, their report opened in headless
Chromium, and `compare` of the two."""
import csv
import os
import shutil
import tempfile
import unittest

from support import (
    GROUP_CHARTS,
    ImageChecks,
    images_loaded_in_chromium,
    real_run,
    require_binary,
    script,
)

CONFIG = {
    "repetitions": 2,
    "warmup": 0,
    "grid": {"processes": [1, 2], "threads": [1, 2]},
    "runs": [{"kernel": "square", "params": {"mode": "omp"}, "grid": {"n": [1000, 200000]}}],
}


def sweep(parent: str, name: str, env: dict) -> str:
    return real_run(parent, name, dict(CONFIG, name=name, env=env))


class RealSweep(ImageChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.dir = tempfile.mkdtemp(prefix="parsweep-plots-e2e-")
        cls.active = sweep(cls.dir, "active", {"OMP_WAIT_POLICY": "active"})
        cls.passive = sweep(cls.dir, "passive", {"OMP_WAIT_POLICY": "passive"})
        cls.drawn = script("plot_run.py", cls.active)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_charts_of_a_real_run(self):
        self.assertEqual(self.drawn.returncode, 0, self.drawn.stderr)
        self.assertIn("report:", self.drawn.stdout)
        files = sorted(os.listdir(os.path.join(self.active, "plots")))
        expected = [
            f"{kind}-square-n{n}.{ext}"
            for kind in GROUP_CHARTS
            for n in (1000, 200000)
            for ext in ("png", "svg")
        ] + ["scaling-square-n.png", "scaling-square-n.svg", "roofline.png", "roofline.svg"]
        self.assertEqual(files, sorted(expected))
        for name in files:
            path = os.path.join(self.active, "plots", name)
            self.assert_png(path) if name.endswith(".png") else self.assert_svg(path)

    def test_report_loads_every_image_in_chromium(self):
        report = os.path.join(self.active, "report.html")
        self.assert_report_offline(report)
        with open(report, encoding="utf-8") as f:
            images = f.read().count("<img ")
        self.assertEqual(images, 12)
        self.assertEqual(images_loaded_in_chromium(report), f"{images}/{images}")

    def test_report_flags_a_missing_image(self):
        # The check is real: with one image gone, Chromium reports it.
        copy = os.path.join(self.dir, "copy")
        shutil.copytree(self.active, copy)
        os.remove(os.path.join(copy, "plots", "speedup-square-n1000.png"))
        self.assertEqual(images_loaded_in_chromium(os.path.join(copy, "report.html")), "11/12")

    def test_compare_two_runs(self):
        out = os.path.join(self.dir, "cmp")
        done = script(
            "compare_runs.py", self.active, self.passive, "--out", out, "--formats", "png"
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(
            sorted(f for f in os.listdir(out) if f.endswith(".png")),
            ["compare-square-n1000.png", "compare-square-n200000.png"],
        )
        for name in os.listdir(out):
            if name.endswith(".png"):
                self.assert_png(os.path.join(out, name))
        with open(os.path.join(out, "compare.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 8)  # 2 sizes × 2 × 2
        for r in rows:
            ratio = float(r["ratio_b_over_a"])
            self.assertAlmostEqual(ratio, float(r["b_median_s"]) / float(r["a_median_s"]), places=4)
        page = os.path.join(out, "compare.html")
        self.assert_report_offline(page)
        with open(page, encoding="utf-8") as f:
            html = f.read()
        self.assert_contains(html, "OMP_WAIT_POLICY=passive")
        self.assertEqual(images_loaded_in_chromium(page), "2/2")

    def test_compare_default_directory_is_beside_b(self):
        done = script("compare_runs.py", self.active, self.passive, "--formats", "svg")
        self.assertEqual(done.returncode, 0, done.stderr)
        out = os.path.join(self.dir, "compare-active-vs-passive")
        self.assertTrue(os.path.isfile(os.path.join(out, "compare.html")), os.listdir(self.dir))

    def test_bad_run_directory_fails_clearly(self):
        done = script("plot_run.py", os.path.join(self.dir, "nothing-here"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("nothing-here", done.stderr)


if __name__ == "__main__":
    unittest.main()
