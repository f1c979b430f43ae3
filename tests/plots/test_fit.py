"""The Amdahl fit recovers a known serial fraction from synthetic speedups."""
import random
import unittest

import support  # noqa: F401  (puts plots/ on the path)
from parsweep_plots.fit import amdahl_speedup, fit_amdahl

WORKERS = [1, 2, 4, 8, 16, 32]


class AmdahlFit(unittest.TestCase):
    def test_exact_data_gives_the_serial_fraction_back(self):
        for f in (0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 1.0):
            speedups = [amdahl_speedup(p, f) for p in WORKERS]
            self.assertAlmostEqual(fit_amdahl(WORKERS, speedups), f, delta=1e-6, msg=f"f = {f}")

    def test_noisy_data_lands_close(self):
        rng = random.Random(7)
        for f in (0.05, 0.2, 0.6):
            speedups = [amdahl_speedup(p, f) * (1 + rng.uniform(-0.02, 0.02)) for p in WORKERS]
            self.assertAlmostEqual(fit_amdahl(WORKERS, speedups), f, delta=0.01, msg=f"f = {f}")

    def test_baseline_of_two_workers(self):
        f = 0.15
        speedups = [amdahl_speedup(p, f, base_workers=2) for p in (2, 4, 8)]
        self.assertAlmostEqual(fit_amdahl([2, 4, 8], speedups, base_workers=2), f, delta=1e-6)

    def test_slowdowns_fit_a_wholly_serial_program(self):
        # Parallel slower than serial (small work): Amdahl's best is f = 1, no gain.
        self.assertAlmostEqual(fit_amdahl([1, 2, 4], [1.0, 0.6, 0.3]), 1.0, delta=1e-6)

    def test_nothing_to_fit(self):
        self.assertIsNone(fit_amdahl([1], [1.0]))
        self.assertIsNone(fit_amdahl([], []))
        self.assertIsNone(fit_amdahl([2, 2], [1.0, 1.0], base_workers=2))

    def test_amdahl_speedup(self):
        self.assertAlmostEqual(amdahl_speedup(4, 0.0), 4.0)
        self.assertAlmostEqual(amdahl_speedup(4, 1.0), 1.0)
        self.assertAlmostEqual(amdahl_speedup(2, 0.5), 1 / (0.5 + 0.25))


if __name__ == "__main__":
    unittest.main()
