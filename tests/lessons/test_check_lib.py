"""check_lib on recorded (hand-made) results: symptoms, and shape checks that say
"inconclusive" rather than pass or fail on noise."""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

EXERCISES = os.path.join(os.environ["PARSWEEP_SOURCE_DIR"], "exercises")
sys.path.insert(0, EXERCISES)
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

    def test_a_baseline_measured_twice_is_one_point(self):
        one = {"kernel": "k", "params": {"n": 9}, "processes": 1, "threads": 1, "env": {},
               "time_metric": "wall_s"}
        sweep = {"points": [dict(one, run=0, baseline_only=False),
                            dict(one, processes=2, run=0, baseline_only=False),
                            dict(one, run=1, baseline_only=True),
                            dict(one, threads=2, run=1, baseline_only=False)]}
        found = c.points(sweep, "k", processes=1, threads=1)
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["run"], 0)
        self.assertEqual(len(c.points(sweep, "k")), 3)

    def test_the_point_on_the_grid_wins_over_a_baseline_only_copy(self):
        one = {"kernel": "k", "params": {}, "processes": 1, "threads": 1}
        sweep = {"points": [dict(one, run=0, baseline_only=True), dict(one, run=1)]}
        self.assertEqual(c.points(sweep, "k")[0]["run"], 1)

    def test_another_environment_is_another_measurement(self):
        one = {"kernel": "k", "params": {}, "processes": 1, "threads": 1}
        sweep = {"points": [dict(one, env={}), dict(one, env={"OMP_WAIT_POLICY": "passive"})]}
        self.assertEqual(len(c.points(sweep, "k")), 2)

    def test_baseline_is_the_one_of_the_points_own_run(self):
        one = {"kernel": "k", "params": {"n": 9}, "baseline": {"processes": 1, "threads": 1}}
        sweep = {"points": [dict(one, run=0, processes=1, threads=1, tag="a"),
                            dict(one, run=1, processes=1, threads=1, tag="b"),
                            dict(one, run=1, processes=1, threads=2, tag="c"),
                            dict(one, run=1, params={"n": 7}, processes=1, threads=1, tag="d")]}
        self.assertEqual(c.baseline(sweep, sweep["points"][2])["tag"], "b")
        self.assertEqual(c.baseline(sweep, sweep["points"][1])["tag"], "b")
        lone = dict(one, run=2, processes=2, threads=1)
        self.assertIsNone(c.baseline({"points": [lone]}, lone))


class Neutral(unittest.TestCase):
    def test_differs_between_runs_names_no_cause(self):
        words = c.differs_symptom(point(1, False, results=(1, 2, 2)), "the sum")
        self.assertEqual(words, "the sum differs between runs (2 different answers in 3 runs)")
        self.assertNotIn("race", words)


def rep_point(values, field="ctx_involuntary", verified=True):
    return {"verified": verified, "reps": [{"verified": verified, field: x} for x in values]}


class RepMedians(unittest.TestCase):
    def test_median_of_the_verified_repetitions(self):
        p = rep_point([5, 1, 9])
        p["reps"].append({"verified": False, "ctx_involuntary": 1000})
        self.assertEqual(c.rep_median(p, "ctx_involuntary"), 5)
        self.assertIsNone(c.rep_median(rep_point([1], verified=False), "ctx_involuntary"))

    def test_ratio_of_medians(self):
        self.assertAlmostEqual(c.ratio_of_medians(rep_point([90, 100]), rep_point([10, 9, 11]),
                                                  "ctx_involuntary"), 9.5)
        self.assertEqual(c.ratio_of_medians(rep_point([3]), rep_point([0]), "ctx_involuntary"),
                         math.inf)
        self.assertEqual(c.ratio_of_medians(rep_point([0]), rep_point([0]), "ctx_involuntary"), 1.0)
        self.assertIsNone(c.ratio_of_medians(rep_point([3]), rep_point([], verified=False),
                                             "ctx_involuntary"))

    def test_duration(self):
        self.assertEqual(c.duration(0.00231), "2.31 ms")
        self.assertEqual(c.duration(8.4e-4), "840 µs")
        self.assertEqual(c.duration(1.2), "1.2 s")
        self.assertEqual(c.duration(None), "failed")


class Crossover(unittest.TestCase):
    def series(self, *ratios):
        """(n, serial, parallel) with serial / parallel = ratio at n = 10, 100, …"""
        return [(10 ** (i + 1), point(r), point(1.0)) for i, r in enumerate(ratios)]

    def test_the_smallest_size_that_wins_and_keeps_winning(self):
        outcome, n, ratio = c.crossover(self.series(0.2, 0.9, 1.5, 1.9), margin=1.3)
        self.assertEqual((outcome, n), ("shown", 1000))
        self.assertAlmostEqual(ratio, 1.5)

    def test_a_win_then_a_clear_loss_is_noise(self):
        self.assertEqual(c.crossover(self.series(0.2, 1.5, 0.5))[0], "inconclusive")

    def test_losing_at_the_largest_size_is_not_shown(self):
        outcome, n, _ = c.crossover(self.series(0.2, 0.3, 0.5))
        self.assertEqual((outcome, n), ("not shown", None))

    def test_within_the_margin_everywhere_is_inconclusive(self):
        self.assertEqual(c.crossover(self.series(0.9, 1.0, 1.1))[0], "inconclusive")
        self.assertEqual(c.crossover([])[0], "inconclusive")

    def test_a_failed_point_decides_nothing(self):
        pairs = self.series(0.2, 2.0)
        pairs[1] = (pairs[1][0], point(2.0), point(1.0, verified=False))
        self.assertEqual(c.crossover(pairs)[0], "inconclusive")


# A hand-made run's machine: quiet, so that the check does not measure the machine it runs
# on (busy in CI) and the verdicts are those of the recorded times.
QUIET = {"cpu_share": 1.0, "load_1min": 0.0}


# Lesson checks on hand-made runs: the shape verdicts they print, never a pass/fail in CI.
def run_check(lesson, points, cores=2):
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "sweep.json"), "w", encoding="utf-8") as f:
            json.dump({"context": {"usable_cores": {"count": cores}, "machine_load": QUIET},
                       "points": points}, f)
        return subprocess.run([sys.executable, os.path.join(EXERCISES, lesson, "check.py"), tmp],
                              capture_output=True, text=True)


def made(kernel, P, T, wall_s, run=0, params=None, ctx=0, result=None, error="", **phases):
    """A verified point with 3 identical repetitions (or failed, with `error`)."""
    ok = not error
    rep = dict({"wall_s": wall_s, "ctx_involuntary": ctx, "verified": ok, "result": result},
               **phases)
    return {"kernel": kernel, "label": kernel, "processes": P, "threads": T, "run": run,
            "params": params or {}, "env": {}, "time_metric": "wall_s", "verified": ok,
            "error": error, "baseline": {"processes": 1, "threads": 1}, "result": result,
            "baseline_only": False, "stats": {"wall_s": {"median": wall_s}} if ok else {},
            "reps": [rep] * 3}


class Lesson03Shapes(unittest.TestCase):
    def sweep(self, times):
        """times: {n: (1×1, 2×1, 1×2)} in seconds; runs as configs/lessons/03-overhead.json."""
        pts = []
        for n, (t11, t21, t12) in times.items():
            phases = {"spawn_s": t21 * 0.9, "compute_s": 4e-6, "dispatch_s": 1e-5,
                      "gather_s": 5e-5}
            pts += [made("split_sum", 1, 1, t11, 0, {"n": n}, **phases),
                    made("split_sum", 2, 1, t21, 0, {"n": n}, **phases),
                    dict(made("split_sum", 1, 1, t11, 1, {"n": n}), baseline_only=True),
                    made("split_sum", 1, 2, t12, 1, {"n": n})]
        return pts

    def test_overhead_and_crossovers_shown(self):
        out = run_check("03-overhead", self.sweep({999: (1e-3, 3e-3, 2e-3),
                                                   99999: (2e-3, 2e-3, 2e-3),
                                                   9999999: (40e-3, 22e-3, 21e-3)})).stdout
        self.assertIn("999 items: 2 processes slower than 1 (3.00×): shows the lesson", out)
        self.assertIn("spawn 2.7 ms", out)
        self.assertIn("compute 4 µs", out)
        self.assertIn("2 processes win from n = 9,999,999 on", out)
        self.assertIn("2 threads win from n = 9,999,999 on", out)
        self.assertEqual(out.count("items: 2 processes slower"), 1)  # the duplicate 1×1 once

    def test_noise_is_inconclusive(self):
        out = run_check("03-overhead", self.sweep({999: (1e-3, 1.1e-3, 1e-3),
                                                   9999999: (40e-3, 38e-3, 41e-3)})).stdout
        self.assertIn("999 items: 2 processes slower than 1 (1.10×): inconclusive", out)
        self.assertIn("crossover: 2 threads beat 1 from some n on (0.98×): inconclusive", out)

    def test_the_starters_symptom_names_the_remainder(self):
        error = ("repetition 0: worker 0: split_sum: items never computed: the last 1 of 999 "
                 "items — the split drops the remainder of n / parts (999 / 2 leaves 1)")
        pts = self.sweep({999: (1e-3, 3e-3, 2e-3)})
        pts[3] = made("split_sum", 1, 2, 0, 1, {"n": 999}, error=error)
        out = run_check("03-overhead", pts)
        self.assertEqual(out.returncode, 1)
        self.assertIn("the split drops the remainder of n / parts", out.stdout)
        self.assertIn("TODO(share)", out.stdout)


class Lesson04Shapes(unittest.TestCase):
    def sweep(self, t22, ctx22, t21=0.4, t12=0.5):
        budget = {"processes": 2, "usable_cores": 2, "blas_threads_asked": 1}
        return [made("pool_invert", 2, 1, 0.4, 0, result=budget),
                made("invert", 1, 1, 0.7, 1, ctx=40),
                made("invert", 2, 1, t21, 1, ctx=50),
                made("invert", 1, 2, t12, 1, ctx=100),
                made("invert", 2, 2, t22, 1, ctx=ctx22)]

    def test_oversubscription_cost_shown_with_context_switches(self):
        out = run_check("04-oversubscription", self.sweep(0.56, 450)).stdout
        self.assertIn("2 processes × 2 threads on 2 cores slower than 2 × 1 (one BLAS thread "
                      "per process) (1.40×): shows the lesson", out)
        self.assertIn("4 busy threads take turns: 9.0× more involuntary context switches "
                      "(450 vs 50 per repetition)", out)
        self.assertIn("slower than 1 × 2 (one process with all the threads) (1.12×): "
                      "inconclusive", out)

    def test_as_many_switches_is_said_so(self):
        pts = self.sweep(0.56, 450, t12=0.3)
        pts[3] = made("invert", 1, 2, 0.3, 1, ctx=400)
        out = run_check("04-oversubscription", pts).stdout
        self.assertIn("slower than 1 × 2 (one process with all the threads) (1.87×): shows the "
                      "lesson — about as many involuntary context switches (450 vs 400 per "
                      "repetition)", out)

    def test_faster_when_oversubscribed_is_not_shown(self):
        out = run_check("04-oversubscription", self.sweep(0.2, 60)).stdout
        self.assertIn("slower than 2 × 1 (one BLAS thread per process) (0.50×): does NOT show "
                      "it", out)

    def test_the_starters_symptom(self):
        error = ("repetition 0: oversubscribed: 4 workers × 2 BLAS threads = 8 threads on 2 "
                 "usable cores (blas_threads_per_worker(4, 2) returned 2)")
        pts = self.sweep(0.56, 450) + [made("pool_invert", 4, 1, 0, 0, error=error)]
        out = run_check("04-oversubscription", pts)
        self.assertEqual(out.returncode, 1)
        self.assertIn("oversubscribed: 4 workers × 2 BLAS threads = 8 threads on 2 usable cores",
                      out.stdout)
        self.assertIn("TODO(threads)", out.stdout)

    def test_processes_alone_above_the_cores_are_not_the_functions_fault(self):
        budget = {"processes": 4, "usable_cores": 2, "blas_threads_asked": 1}
        pts = self.sweep(0.56, 450) + [made("pool_invert", 4, 1, 0.5, 0, result=budget)]
        out = run_check("04-oversubscription", pts)
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertIn("the processes alone oversubscribe", out.stdout)


def timed(times, metric="wall_s"):
    """A verified point whose repetitions took `times`."""
    return {"label": "k", "processes": 1, "threads": 1, "verified": True, "time_metric": metric,
            "stats": {metric: {"median": sorted(times)[len(times) // 2]}},
            "reps": [{"verified": True, metric: t, "result": 1} for t in times]}


class Intervals(unittest.TestCase):
    def test_few_repetitions_give_the_range_and_many_an_inner_interval(self):
        self.assertEqual(c.interval(timed([3.0, 1.0, 2.0])), (1.0, 2.0, 3.0))
        low, median, high = c.interval(timed([float(t) for t in range(1, 21)]))
        self.assertEqual((low, median, high), (6.0, 10.5, 15.0))  # ranks 6 and 15 of 20

    def test_overlapping_intervals_are_inconclusive_whatever_the_medians(self):
        slow, fast = timed([2.0, 2.1, 0.9, 2.2, 2.0]), timed([1.0, 1.0, 1.1, 1.0, 1.0])
        outcome, ratio = c.compare(slow, fast)
        self.assertEqual(outcome, "inconclusive")
        self.assertAlmostEqual(ratio, 2.0)
        self.assertEqual(c.compare(timed([2.0, 2.1, 2.2]), fast)[0], "shown")
        self.assertEqual(c.compare(fast, timed([2.0, 2.1, 2.2]))[0], "not shown")

    def test_a_busy_machine_decides_no_shape(self):
        busy = {"busy": True, "cpu_share": 0.5, "noise_pct": 12.0}
        v = c.Verdict("02-square", machine=busy)
        v.shape("2 threads faster than 1", "not shown", 0.5, "slower")
        v.shape("critical slower than reduction", "shown", 3.0)
        self.assertEqual([f["outcome"] for f in v.findings], ["inconclusive", "inconclusive"])
        self.assertIn("inconclusive: the machine was too busy (noise ±12%, a program got 50% "
                      "of the cores); close other programs and run again", v.notes[0])
        quiet = c.Verdict("02-square", machine={"busy": False, "noise_pct": 3.0})
        quiet.shape("2 threads faster than 1", "not shown", 0.5)
        quiet.shape("4 threads faster than 2", "inconclusive", 1.1)
        self.assertIn("does NOT show it", quiet.notes[0])
        self.assertIn("inconclusive: within the noise (noise ±3%)", quiet.notes[1])

    def test_the_machine_is_measured_when_the_run_does_not_say(self):
        state = c.machine_state({"context": {"usable_cores": {"count": 1}},
                                 "points": [timed([1.0, 1.2, 0.8])]})
        self.assertGreater(state["cpu_share"], 0)
        self.assertLessEqual(state["cpu_share"], 1)
        self.assertAlmostEqual(state["noise_pct"], 20.0)
        recorded = c.machine_state({"context": {"machine_load": {"cpu_share": 0.4}}})
        self.assertTrue(recorded["busy"])
        # Free cores at the check, but times that spread ±50% in the run: load came and went.
        spread = c.machine_state({"context": {"machine_load": {"cpu_share": 1.0}},
                                  "points": [timed([1.0, 2.0, 3.0])]})
        self.assertTrue(spread["busy"])


class LessonRecord(unittest.TestCase):
    def test_the_verdict_is_written_beside_the_run_for_the_report(self):
        with tempfile.TemporaryDirectory() as tmp:
            v = c.Verdict("02-square", tmp, charts=["speedup-sum_cubes*"])
            v.wrong("P=1 T=2: a data race")
            v.shape("critical vs reduction", "shown", 3.0, "the lock")
            with self.assertRaises(SystemExit) as exit_status:
                v.finish()
            self.assertEqual(exit_status.exception.code, 1)
            with open(os.path.join(tmp, "lesson.json"), encoding="utf-8") as f:
                record = json.load(f)
            self.assertEqual(record["lesson"], "02-square")
            self.assertFalse(record["correct"])
            self.assertEqual(record["problems"], ["P=1 T=2: a data race"])
            self.assertEqual(record["findings"][0]["outcome"], "shown")
            self.assertEqual(record["charts"], ["speedup-sum_cubes*"])
            self.assertEqual(os.listdir(tmp), ["lesson.json"])
            self.assertFalse(record["machine"]["busy"])  # no run: taken as quiet


if __name__ == "__main__":
    unittest.main(verbosity=2)
