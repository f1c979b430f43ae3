"""Every workshop lesson, end to end at a small size: the solution passes its check, and the
starter fails it with the symptom the lesson is about (each check.py names it in
STARTER_SYMPTOM). Shapes are not asserted (noise); check_lib's shape logic is unit-tested in
test_check_lib.py.

Each lesson runs in a temporary directory whose data/t8.shakespeare.txt is the workshop text
($PARSWEEP_SHAKESPEARE) or, where that is absent, deterministic generated text: never a skip.

Environment: PARSWEEP_BUILD_DIR (the CMake build directory), PARSWEEP_SOURCE_DIR,
PARSWEEP_SHAKESPEARE (optional).
"""
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ["PARSWEEP_SOURCE_DIR"]
BUILD = os.environ["PARSWEEP_BUILD_DIR"]
PARSWEEP = os.path.join(BUILD, "parsweep")
SMALL = {"n": 200_000, "samples": 2_000_000, "steps": 2}  # the largest sizes a lesson runs with here


def shrink(config):
    """The lesson's config at a small size: 3 repetitions (not adaptive), no warmup, n
    capped."""
    # Three repetitions: a race does not show every time, and each one is a chance to.
    config = dict(config, repetitions=3, warmup=0)
    config.pop("adaptive", None)  # a fixed count: the test is about correctness, not timing
    for run in config["runs"]:
        run.pop("repetitions", None)
        run.pop("adaptive", None)
        run.pop("warmup", None)
        params, grid = run.get("params", {}), run.get("grid", {})
        for name, cap in SMALL.items():
            if isinstance(params.get(name), int):
                params[name] = min(params[name], cap)
            if isinstance(grid.get(name), list):
                grid[name] = sorted({min(v, cap) for v in grid[name]})
    return config


def provide_text(directory):
    """data/t8.shakespeare.txt in `directory`: the workshop text, or a generated stand-in."""
    os.makedirs(os.path.join(directory, "data"))
    target = os.path.join(directory, "data", "t8.shakespeare.txt")
    shared = os.environ.get("PARSWEEP_SHAKESPEARE", "")
    if os.path.isfile(shared):
        os.symlink(shared, target)
        return
    words = ["the", "dog", "cat", "boy", "girl", "thou", "art", "a", "king", "Dog,", "catalogue"]
    seps = [" ", " ", "\n", "\t", "  "]
    state, out = 1, []
    for _ in range(200_000):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append(words[(state >> 33) % len(words)] + seps[(state >> 17) % len(seps)])
    with open(target, "w", encoding="ascii") as f:
        f.write("".join(out))


def lessons():
    for check in sorted(glob.glob(os.path.join(SOURCE, "exercises", "[0-9][0-9]-*", "check.py"))):
        lesson_dir = os.path.dirname(check)
        number = os.path.basename(lesson_dir)[:2]
        configs = glob.glob(os.path.join(SOURCE, "configs", "lessons", number + "-*.json"))
        yield number, lesson_dir, check, configs[0] if configs else None


class Lessons(unittest.TestCase):
    def test_there_are_lessons(self):
        self.assertTrue(list(lessons()))

    def test_solution_passes_and_starter_fails_with_the_symptom(self):
        for number, lesson_dir, check, config in lessons():
            with self.subTest(lesson=number):
                self.assertIsNotNone(config, f"no configs/lessons/{number}-*.json")
                spec = importlib.util.spec_from_file_location(f"check{number}", check)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                with tempfile.TemporaryDirectory() as tmp:
                    provide_text(tmp)
                    # Where the lesson's config sits, so that its relative paths
                    # (../../data/t8.shakespeare.txt) find the text in tmp/data/.
                    os.makedirs(os.path.join(tmp, "configs", "lessons"))
                    small = os.path.join(tmp, "configs", "lessons", "small.json")
                    with open(config, encoding="utf-8") as f:
                        cfg = shrink(json.load(f))
                    with open(small, "w", encoding="utf-8") as f:
                        json.dump(cfg, f)
                    for which in ("solution", "starter"):
                        binary = os.path.join(BUILD, "exercises", f"parsweep-lesson{number}-{which}")
                        out = os.path.join(tmp, which)
                        command = [binary, "run", "-q", small, "--out", out]
                        # A lesson whose learner's file is not a kernel (08: an sbatch
                        # script) runs through its own run.sh, as `make exercise` does.
                        run_sh = os.path.join(lesson_dir, "run.sh")
                        if os.path.exists(run_sh):
                            command = [run_sh, which, small, out]
                        run = subprocess.run(command, capture_output=True, text=True, cwd=tmp,
                                             env=dict(os.environ, PARSWEEP=PARSWEEP))
                        self.assertIn(run.returncode, (0, 1), run.stderr)
                        verdict = subprocess.run([sys.executable, check, out],
                                                 capture_output=True, text=True)
                        if which == "solution":
                            self.assertEqual(verdict.returncode, 0, verdict.stdout + verdict.stderr)
                        else:
                            self.assertEqual(verdict.returncode, 1, verdict.stdout + verdict.stderr)
                            self.assertIn(module.STARTER_SYMPTOM, verdict.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
