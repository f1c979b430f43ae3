"""Lessons 01 (the machine) and 05 (threaded BLAS), beyond what test_lessons.py runs for every
lesson: the affinity-mask case of lesson 01 (the real binaries under `taskset -c 0`), the
cap of lesson 05's check at the CPUs OpenBLAS sees, and the two checks' shape logic on
recorded (hand-made) results.

Environment: PARSWEEP_BUILD_DIR (the CMake build directory), PARSWEEP_SOURCE_DIR.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ["PARSWEEP_SOURCE_DIR"]
BUILD = os.environ["PARSWEEP_BUILD_DIR"]
LESSONS = os.path.join(SOURCE, "exercises")


def load_check(lesson):
    path = os.path.join(LESSONS, lesson, "check.py")
    spec = importlib.util.spec_from_file_location("check_" + lesson.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


check01, CHECK01 = load_check("01-machine")
check05, CHECK05 = load_check("05-blas-threads")


def point(kernel, threads, median, verified=True, metric="wall_s", **params):
    return {"kernel": kernel, "label": kernel, "processes": 1, "threads": threads,
            "params": params, "env": {}, "verified": verified, "time_metric": metric,
            "error": "" if verified else "failed", "result": {},
            "stats": {metric: {"median": median}} if verified else {}, "reps": []}


def sweep(points, cores=2):
    return {"points": points,
            "context": {"usable_cores": {"count": cores, "reason": f"{cores} (test)"},
                        "machine_load": {"cpu_share": 1.0, "load_1min": 0.0}}}


def run_check(check, recorded):
    """check.py on a run directory holding `recorded` as sweep.json: (exit status, stdout)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "sweep.json"), "w", encoding="utf-8") as f:
            json.dump(recorded, f)
        out = subprocess.run([sys.executable, check, tmp], capture_output=True, text=True)
        return out.returncode, out.stdout


def run_lesson(binary, config, under_taskset):
    """Runs a lesson binary on `config` (a dict) in a temporary directory, pinned to CPU 0
    when asked; returns (the run directory's parent to clean up, the run directory)."""
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "config.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    out = os.path.join(tmp, "run")
    cmd = [binary, "run", "-q", path, "--out", out]
    if under_taskset:
        cmd = ["taskset", "-c", "0"] + cmd
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
    if done.returncode not in (0, 1):
        shutil.rmtree(tmp)
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr}")
    return tmp, out


def can_pin():
    return shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2


@unittest.skipUnless(can_pin(), "needs taskset and at least 2 CPUs to narrow the mask to 1")
class AffinityMask(unittest.TestCase):
    """Under `taskset -c 0`, the job may use 1 CPU of the machine's 2 or more."""

    def test_lesson01_solution_counts_the_mask_and_starter_the_machine(self):
        config = {"name": "affinity", "repetitions": 1, "warmup": 0,
                  "runs": [{"kernel": "usable_pi", "params": {"samples": 1000000},
                            "grid": {"processes": [1], "threads": [1]}}]}
        for which in ("solution", "starter"):
            with self.subTest(which=which):
                binary = os.path.join(BUILD, "exercises", f"parsweep-lesson01-{which}")
                tmp, out = run_lesson(binary, config, under_taskset=True)
                try:
                    verdict = subprocess.run([sys.executable, CHECK01, out],
                                             capture_output=True, text=True)
                finally:
                    shutil.rmtree(tmp)
                if which == "solution":
                    self.assertEqual(verdict.returncode, 0, verdict.stdout + verdict.stderr)
                    self.assertIn("usable_cores() says 1, as parsweep does", verdict.stdout)
                else:
                    self.assertEqual(verdict.returncode, 1, verdict.stdout + verdict.stderr)
                    self.assertIn("but this job may use 1 (affinity mask: 1 of the machine's",
                                  verdict.stdout)
                    self.assertIn(check01.STARTER_SYMPTOM, verdict.stdout)

    def test_lesson05_expects_no_more_blas_threads_than_the_cpus_openblas_sees(self):
        # T = 2 on 1 CPU: OpenBLAS runs 1 thread, and that is what the solution must get.
        config = {"name": "cap", "repetitions": 1, "warmup": 0,
                  "runs": [{"kernel": "blas_invert", "params": {"n": 50, "count": 2},
                            "grid": {"processes": [1], "threads": [2]}}]}
        binary = os.path.join(BUILD, "exercises", "parsweep-lesson05-solution")
        tmp, out = run_lesson(binary, config, under_taskset=True)
        try:
            with open(os.path.join(out, "sweep.json"), encoding="utf-8") as f:
                (p,) = [p for p in json.load(f)["points"] if p["threads"] == 2]
        finally:
            shutil.rmtree(tmp)
        self.assertTrue(p["verified"], p["error"])
        self.assertEqual(p["result"]["asked"], [2])
        self.assertEqual(p["result"]["blas_threads"], [1])
        self.assertEqual(p["result"]["matrices"], 2)


class Lesson01Shapes(unittest.TestCase):
    def test_more_threads_than_cores_faster_is_not_shown(self):
        outcome, ratio = check01.more_threads_not_faster(
            point("pi", 2, 1.0), point("pi", 4, 0.5), cores_speedup_shown=True)
        self.assertEqual(outcome, "not shown")
        self.assertAlmostEqual(ratio, 2.0)

    def test_flat_past_the_cores_is_shown(self):
        outcome, _ = check01.more_threads_not_faster(
            point("pi", 2, 1.0), point("pi", 4, 1.05), cores_speedup_shown=True)
        self.assertEqual(outcome, "shown")

    def test_without_a_speedup_up_to_the_cores_it_is_inconclusive(self):
        for over in (0.5, 1.0, 2.0):
            outcome, _ = check01.more_threads_not_faster(
                point("pi", 2, 1.0), point("pi", 4, over), cores_speedup_shown=False)
            self.assertEqual(outcome, "inconclusive")

    def test_a_failed_point_is_inconclusive(self):
        outcome, ratio = check01.more_threads_not_faster(
            point("pi", 2, 1.0), point("pi", 4, 0.5, verified=False), cores_speedup_shown=True)
        self.assertEqual((outcome, ratio), ("inconclusive", None))

    def test_check_on_a_recorded_run(self):
        ok = point("usable_pi", 1, 0.5)
        ok["result"] = {"usable_cores": [1], "job_cores": [1]}
        ok["env"] = {"SLURM_CPUS_PER_TASK": "1"}
        run = sweep([ok, point("pi", 1, 2.0), point("pi", 2, 1.0), point("pi", 4, 1.02)])
        status, out = run_check(CHECK01, run)
        self.assertEqual(status, 0, out)
        self.assertIn("with SLURM_CPUS_PER_TASK=1: usable_cores() says 1, as parsweep does", out)
        self.assertIn("pi: 2 threads (the usable cores) faster than 1 (2.00×): shows the lesson",
                      out)
        self.assertIn("pi: 4 threads not faster than 2, the usable cores (0.98×): shows the "
                      "lesson", out)

    def test_check_names_the_failure(self):
        bad = point("usable_pi", 1, None, verified=False)
        bad["error"] = "usable_cores() says 2, but this job may use 1 (SLURM_CPUS_PER_TASK=1)"
        status, out = run_check(CHECK01, sweep([bad]))
        self.assertEqual(status, 1, out)
        self.assertIn("NOT CORRECT", out)
        self.assertIn("see the TODOs in starter/usable_cores.cpp", out)


class Lesson05Shapes(unittest.TestCase):
    def shapes(self, small_1, small_2, large_1, large_2, cores=2):
        run = sweep([point("invert", 1, small_1, n=check05.SMALL_N),
                     point("invert", 2, small_2, n=check05.SMALL_N),
                     point("invert", 1, large_1, n=check05.LARGE_N),
                     point("invert", 2, large_2, n=check05.LARGE_N)], cores)
        v = check05.c.Verdict("05")
        check05.size_shapes(v, run, cores)
        return v.notes

    def test_small_slower_and_large_faster_are_shown(self):
        small, large = self.shapes(0.01, 0.02, 1.0, 0.55)
        self.assertIn(f"n={check05.SMALL_N}: 2 BLAS threads slower than 1 (2.00×): shows", small)
        self.assertIn(f"n={check05.LARGE_N}: 2 BLAS threads faster than 1 (1.82×): shows", large)

    def test_the_opposite_is_not_shown(self):
        small, large = self.shapes(0.02, 0.01, 0.55, 1.0)
        self.assertIn("does NOT show it", small)
        self.assertIn("does NOT show it", large)

    def test_within_the_margin_is_inconclusive(self):
        small, large = self.shapes(0.01, 0.011, 1.0, 0.9)
        self.assertIn("inconclusive", small)
        self.assertIn("inconclusive", large)

    def test_one_core_has_no_shape(self):
        self.assertEqual(self.shapes(0.01, 0.02, 1.0, 0.5, cores=1), [])

    def test_check_reports_the_blas_cap_and_the_failure(self):
        capped = point("invert", 4, 1.0, n=check05.SMALL_N)
        capped["reps"] = [{"blas_threads": 2}]
        bad = point("blas_invert", 1, None, verified=False)
        bad["error"] = "asked for 1 BLAS thread, OpenBLAS runs 2: " + check05.STARTER_SYMPTOM
        status, out = run_check(CHECK05, sweep([bad, capped]))
        self.assertEqual(status, 1, out)
        self.assertIn("see TODO(order) in starter/start_blas.cpp", out)
        self.assertIn("OpenBLAS ran 2 threads, not 4: it starts at most one per CPU it sees", out)

    def test_the_blas_threads_said_are_those_counted_after_start_blas(self):
        # A worker reads blas_threads when it starts, before start_blas() loads the BLAS: 1.
        # What ran is in blas_invert's result, counted after start_blas(2).
        good = point("blas_invert", 2, 1.0)
        good["result"] = {"blas_threads": [2], "asked": [2]}
        good["reps"] = [{"blas_threads": 1, "verified": True}]
        status, out = run_check(CHECK05, sweep([good]))
        self.assertEqual(status, 0, out)
        self.assertIn("start_blas(2) — OpenBLAS ran 2 thread(s), as asked", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
