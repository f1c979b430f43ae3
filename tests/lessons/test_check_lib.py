"""check_lib on recorded (hand-made) results: symptoms, and shape checks that say
"inconclusive" rather than pass or fail on noise."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ["PARSWEEP_SOURCE_DIR"], "exercises"))
import check_lib as c  # noqa: E402


def point(median, verified=True, metric="wall_s", threads=2, results=(1,), label="k"):
    return {"label": label, "processes": 1, "threads": threads, "verified": verified,
            "time_metric": metric, "error": "" if verified else "sum differs",
            "stats": {metric: {"median": median}} if verified else {"wall_s": {"count": 0}},
            "reps": [{"result": {"sum": r}} for r in results]}


class Compare(unittest.TestCase):
    def test_clear_effect_is_shown(self):
        self.assertEqual(c.compare(point(2.0), point(1.0))[0], "shown")

    def test_clear_opposite_is_not_shown(self):
        self.assertEqual(c.compare(point(1.0), point(2.0))[0], "not shown")

    def test_within_the_margin_is_inconclusive(self):
        outcome, ratio = c.compare(point(1.1), point(1.0), margin=1.3)
        self.assertEqual(outcome, "inconclusive")
        self.assertAlmostEqual(ratio, 1.1)

    def test_a_failed_point_has_no_time(self):
        self.assertIsNone(c.median_s(point(0.001, verified=False)))
        self.assertEqual(c.compare(point(0.001, verified=False), point(1.0))[0], "inconclusive")

    def test_the_points_time_metric_is_used(self):
        p = point(0.5, metric="compute_s")
        self.assertEqual(c.median_s(p), 0.5)


class TwoWorkersVsOne(unittest.TestCase):
    def test_each_measured_two_worker_point_against_one_by_one(self):
        def at(processes, threads, median):
            return dict(point(median, threads=threads), kernel="pi", params={},
                        processes=processes)
        sweep = {"points": [at(1, 1, 2.0), at(2, 1, 1.0), at(1, 2, 2.1)]}
        found = {label: (outcome, p["processes"]) for label, outcome, _, p
                 in c.two_workers_vs_one(sweep, "pi")}
        self.assertEqual(found, {"2 processes": ("shown", 2), "2 threads": ("inconclusive", 1)})
        self.assertEqual(list(c.two_workers_vs_one({"points": [at(2, 1, 1.0)]}, "pi")), [])


class Symptoms(unittest.TestCase):
    def test_different_results_between_runs_is_a_race(self):
        self.assertIn("differs between runs", c.race_symptom(point(1, False, results=(1, 2)), True))

    def test_right_serially_wrong_in_parallel_is_a_race(self):
        self.assertIn("correct with 1 thread", c.race_symptom(point(1, False, results=(3, 3)), True))

    def test_wrong_even_serially_is_just_wrong(self):
        self.assertIn("wrong result", c.race_symptom(point(1, False, threads=1), False))


class Points(unittest.TestCase):
    def test_selects_by_kernel_params_and_threads(self):
        sweep = {"points": [
            {"kernel": "sum_cubes", "params": {"method": "race"}, "processes": 1, "threads": 2},
            {"kernel": "sum_cubes", "params": {"method": "race"}, "processes": 1, "threads": 1},
            {"kernel": "square", "params": {}, "processes": 1, "threads": 2}]}
        self.assertEqual(len(c.points(sweep, "sum_cubes", method="race")), 2)
        self.assertEqual(len(c.points(sweep, "sum_cubes", method="race", threads=2)), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
