#!/usr/bin/env python3
"""An installed parsweep works on its own: `cmake --install` into a prefix, which is then moved
(so no path of the build helps), and run from a fresh directory with the source and build
trees hidden (a private mount namespace covers them with empty tmpfs mounts; where that is
not allowed, the test still checks every path parsweep reports is inside the prefix).

It runs a small sweep from the installed configs, draws it with the installed plots, compares
two runs, and checks that the workers ran from libexec/parsweep and that bad input is answered.

Environment: PARSWEEP_SOURCE_DIR, PARSWEEP_BUILD_DIR; PARSWEEP_MPI_WORKER=1 when the build
has parsweep-mpi-worker.
"""
import glob
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

SOURCE = os.path.realpath(os.environ["PARSWEEP_SOURCE_DIR"])
BUILD = os.path.realpath(os.environ["PARSWEEP_BUILD_DIR"])
MPI_WORKER = os.environ.get("PARSWEEP_MPI_WORKER") == "1"


def hiding_prefix():
    """The command prefix that runs a program with SOURCE and BUILD covered by empty mounts,
    or [] when this process may not make a mount namespace (not root)."""
    # BUILD first: it may be inside SOURCE, which is then covered too.
    script = 'for d in "$@"; do [ "$d" = -- ] && break; mount -t tmpfs none "$d" || exit 97; ' \
             'done; while [ "$1" != -- ]; do shift; done; shift; exec "$@"'
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
           BUILD, SOURCE, "--"]
    try:
        probe = subprocess.run(cmd + ["test", "!", "-e", os.path.join(SOURCE, "CMakeLists.txt")],
                               capture_output=True, timeout=120)
    except FileNotFoundError:
        return []
    return cmd if probe.returncode == 0 else []


class InstalledParsweep(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = os.path.realpath(tempfile.mkdtemp(prefix="parsweep-install-"))
        staged = os.path.join(cls.tmp, "staged")
        subprocess.run(["cmake", "--install", BUILD, "--prefix", staged], check=True,
                       stdout=subprocess.DEVNULL)
        # Moved: the prefix given to cmake --install no longer exists.
        cls.prefix = os.path.join(cls.tmp, "moved", "prefix")
        shutil.move(staged, cls.prefix)
        cls.work = os.path.join(cls.tmp, "work")
        os.makedirs(cls.work)
        cls.hide = hiding_prefix()
        print(f"source and build trees {'hidden' if cls.hide else 'NOT hidden (no unshare)'}")
        cls.bin = os.path.join(cls.prefix, "bin", "parsweep")
        cls.configs = os.path.join(cls.prefix, "share", "parsweep", "configs")
        cls.libexec = os.path.join(cls.prefix, "libexec", "parsweep")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def parsweep(self, *args, expect=0):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARSWEEP_")}
        env["PARSWEEP_CACHE_DIR"] = os.path.join(self.tmp, "cache")
        p = subprocess.run(self.hide + [self.bin, *args], cwd=self.work, env=env,
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, expect,
                         f"parsweep {' '.join(args)}:\n{p.stdout}\n{p.stderr}")
        return p

    def inside_prefix(self, path):
        return os.path.realpath(path).startswith(self.prefix + os.sep)

    def test_layout(self):
        share = os.path.join(self.prefix, "share")
        for rel in ["bin/parsweep", "libexec/parsweep/parsweep-worker",
                    "share/parsweep/plots/plot_run.py", "share/parsweep/plots/compare_runs.py",
                    "share/parsweep/plots/parsweep_plots/draw.py",
                    "share/parsweep/configs/schema.json", "share/parsweep/configs/smoke.json",
                    "share/parsweep/configs/lessons/02-square.json",
                    "share/parsweep/exercises/README.md", "share/parsweep/exercises/check_lib.py",
                    "share/parsweep/exercises/02-square/README.md",
                    "share/parsweep/exercises/02-square/check.py",
                    "share/parsweep/exercises/02-square/starter/sum_cubes.cpp",
                    "share/parsweep/exercises/02-square/solution/sum_cubes.cpp",
                    "share/parsweep/exercises/08-cluster/run.sh",
                    "share/parsweep/examples/README.md",
                    "share/parsweep/examples/pool_squares.py",
                    "share/parsweep/examples/pool_squares.json",
                    "share/bash-completion/completions/parsweep",
                    "share/zsh/site-functions/_parsweep"]:
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, rel)), rel)
        for rel in ["bin/parsweep", "libexec/parsweep/parsweep-worker",
                    "share/parsweep/exercises/08-cluster/run.sh"]:
            self.assertTrue(os.stat(os.path.join(self.prefix, rel)).st_mode & stat.S_IXUSR, rel)
        self.assertEqual(os.path.isfile(os.path.join(self.libexec, "parsweep-mpi-worker")),
                         MPI_WORKER)
        # Nothing of the tests, benchmarks or build.
        self.assertEqual(os.listdir(os.path.join(self.prefix, "bin")), ["parsweep"])
        for path, _, files in os.walk(share):
            for f in files:
                self.assertNotIn(f, ("CMakeLists.txt",), os.path.join(path, f))
                self.assertFalse(f.endswith(".pyc"), os.path.join(path, f))

    def test_version(self):
        p = self.parsweep("--version")
        self.assertRegex(p.stdout.strip(), r"^parsweep \d+\.\d+\.\d+ \(([0-9a-f]{12}|unknown)\)$")

    def test_sweep_plot_and_compare(self):
        config = os.path.join(self.configs, "smoke.json")
        self.parsweep("validate", config)
        self.parsweep("run", config, "--out", "run", "-q", "--no-calibrate")
        with open(os.path.join(self.work, "run", "sweep.json"), encoding="utf-8") as f:
            sweep = json.load(f)
        self.assertTrue(sweep["points"])
        self.assertTrue(all(p["verified"] for p in sweep["points"]))

        p = self.parsweep("plot", "run")
        script = p.stdout.splitlines()[0].split()[1]
        self.assertTrue(script.endswith("plot_run.py") and self.inside_prefix(script), p.stdout)
        pngs = glob.glob(os.path.join(self.work, "run", "plots", "*.png"))
        self.assertTrue(pngs, p.stdout)
        self.assertTrue(os.path.isfile(os.path.join(self.work, "run", "report.html")))

        # The workers are the installed ones: a wrapper in their place records each start.
        worker = os.path.join(self.libexec, "parsweep-worker")
        marker = os.path.join(self.tmp, "worker-starts")
        os.rename(worker, worker + ".real")
        try:
            with open(worker, "w", encoding="utf-8") as f:
                f.write(f'#!/bin/sh\necho started >> "{marker}"\nexec "$0.real" "$@"\n')
            os.chmod(worker, 0o755)
            self.parsweep("run", config, "--out", "run2", "-q", "--no-calibrate")
        finally:
            os.replace(worker + ".real", worker)
        with open(marker, encoding="utf-8") as f:
            starts = len(f.read().splitlines())
        self.assertGreaterEqual(starts, len(sweep["points"]))

        p = self.parsweep("compare", "run", "run2", "--out", "cmp")
        self.assertTrue(os.path.isfile(os.path.join(self.work, "cmp", "compare.html")), p.stdout)

    def test_plot_bad_input(self):
        p = self.parsweep("plot", "no-such-run", expect=2)
        self.assertIn("no-such-run", p.stderr)
        p = self.parsweep("plot", expect=2)  # results/latest, which this directory lacks
        self.assertIn("results/latest", p.stderr)
        os.makedirs(os.path.join(self.work, "empty"), exist_ok=True)
        p = self.parsweep("plot", "empty", expect=2)
        self.assertIn("empty is not a run directory (no sweep.json", p.stderr)
        p = self.parsweep("compare", "empty", "no-such-run", expect=2)
        self.assertIn("empty", p.stderr)
        self.assertIn("no-such-run", p.stderr)

    def test_plot_without_matplotlib(self):
        # A run to draw, and a Python that cannot import matplotlib.
        run = os.path.join(self.work, "fake-run")
        os.makedirs(run, exist_ok=True)
        with open(os.path.join(run, "sweep.json"), "w", encoding="utf-8") as f:
            f.write("{}")
        p = self.parsweep("plot", "fake-run", "--python", "/bin/false", expect=1)
        self.assertIn("python3-matplotlib", p.stderr)
        self.assertIn("/bin/false", p.stderr)
        p = self.parsweep("plot", "fake-run", "--python", "/bin/false", "--if-python")
        self.assertIn("python3-matplotlib", p.stderr)

    def test_mpi_worker_from_libexec(self):
        info = json.loads(self.parsweep("info", "--json").stdout)
        if MPI_WORKER:
            self.assertEqual(info["mpi"].get("worker"),
                             os.path.join(self.libexec, "parsweep-mpi-worker"), info["mpi"])
        else:  # built without MPI: the reason names where the worker was looked for
            self.assertIn("libexec", info["mpi"]["unavailable"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
