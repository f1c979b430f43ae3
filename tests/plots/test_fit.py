"""The Amdahl and Gustafson fits recover a known serial fraction from synthetic speedups."""
import random
import unittest

import support  # noqa: F401  (puts plots/ on the path)
from parsweep_plots.fit import amdahl_speedup, fit_amdahl, fit_gustafson, gustafson_speedup

WORKERS = [1, 2, 4, 8, 16, 32]
LAWS = {"Amdahl": (amdahl_speedup, fit_amdahl), "Gustafson": (gustafson_speedup, fit_gustafson)}


class BothLaws(unittest.TestCase):
    def test_exact_data_gives_the_serial_fraction_back(self):
        for name, (law, fit) in LAWS.items():
            for f in (0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 1.0):
                speedups = [law(p, f) for p in WORKERS]
                self.assertAlmostEqual(fit(WORKERS, speedups), f, delta=1e-6, msg=f"{name} f={f}")

    def test_baseline_of_two_workers(self):
        for name, (law, fit) in LAWS.items():
            f = 0.15
            speedups = [law(p, f, base_workers=2) for p in (2, 4, 8)]
            self.assertAlmostEqual(law(2, f, base_workers=2), 1.0, msg=name)
            self.assertAlmostEqual(fit([2, 4, 8], speedups, base_workers=2), f, delta=1e-6)

    def test_nothing_to_fit(self):
        for _, fit in LAWS.values():
            self.assertIsNone(fit([1], [1.0]))
            self.assertIsNone(fit([], []))
            self.assertIsNone(fit([2, 2], [1.0, 1.0], base_workers=2))


class AmdahlFit(unittest.TestCase):
    def test_noisy_data_lands_close(self):
        rng = random.Random(7)
        for f in (0.05, 0.2, 0.6):
            speedups = [amdahl_speedup(p, f) * (1 + rng.uniform(-0.02, 0.02)) for p in WORKERS]
            self.assertAlmostEqual(fit_amdahl(WORKERS, speedups), f, delta=0.01, msg=f"f = {f}")


    def test_slowdowns_fit_a_wholly_serial_program(self):
        # Parallel slower than serial (small work): Amdahl's best is f = 1, no gain.
        self.assertAlmostEqual(fit_amdahl([1, 2, 4], [1.0, 0.6, 0.3]), 1.0, delta=1e-6)


    def test_amdahl_speedup(self):
        self.assertAlmostEqual(amdahl_speedup(4, 0.0), 4.0)
        self.assertAlmostEqual(amdahl_speedup(4, 1.0), 1.0)
        self.assertAlmostEqual(amdahl_speedup(2, 0.5), 1 / (0.5 + 0.25))


class GustafsonFit(unittest.TestCase):
    def test_one_worker_baseline_is_the_least_squares_line(self):
        # S = p − f (p − 1) is linear in f: f = Σ (p − 1)(p − S) / Σ (p − 1)².
        rng = random.Random(11)
        for f in (0.05, 0.3, 0.7):
            scaled = [gustafson_speedup(p, f) * (1 + rng.uniform(-0.03, 0.03)) for p in WORKERS]
            ols = sum((p - 1) * (p - s) for p, s in zip(WORKERS, scaled)) / sum(
                (p - 1) ** 2 for p in WORKERS
            )
            self.assertAlmostEqual(fit_gustafson(WORKERS, scaled), ols, delta=1e-7)
            self.assertAlmostEqual(fit_gustafson(WORKERS, scaled), f, delta=0.03)

    def test_not_even_the_baselines_time_fits_a_wholly_serial_program(self):
        # Weak points slower than P·T times the baseline: the best f is 1 (no scaled gain).
        self.assertAlmostEqual(fit_gustafson([1, 2, 4], [1.0, 0.8, 0.6]), 1.0, delta=1e-6)

    def test_gustafson_speedup(self):
        self.assertAlmostEqual(gustafson_speedup(4, 0.0), 4.0)
        self.assertAlmostEqual(gustafson_speedup(4, 1.0), 1.0)
        self.assertAlmostEqual(gustafson_speedup(8, 0.25), 8 - 0.25 * 7)
        # Unlike Amdahl's, the scaled speedup keeps growing: no ceiling of 1/f.
        self.assertGreater(gustafson_speedup(1024, 0.5), 1 / 0.5)


if __name__ == "__main__":
    unittest.main()
