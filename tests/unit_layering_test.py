#!/usr/bin/env python3
"""harness/'s folders depend on each other one way, down the data flow.

Each folder of harness/ is one stage (its README.md says what it owns). A file may include
headers of its own folder and of the folders below it in LAYERS, never of a folder above: so a
newcomer can read the stages bottom-up, change one without the ones below it, and no two files
include each other. kernels/ (the Kernel interface, the registry, the kernels) sits below all
of harness/ and must not include it.

usage: unit_layering_test.py SOURCE_DIR
"""
import os
import re
import sys
import unittest

SOURCE = sys.argv[1]

# Bottom to top. A folder may include itself and anything before it.
LAYERS = [
    "util",         # files, units, terminal, subprocess, interrupt flag, field lists
    "input",        # the text the word-counting kernels read
    "machine",      # facts: cores, memory, affinity, pinning, OpenMP/BLAS, Slurm allocation
    "sweep",        # the model (Point, Sweep) and the config → points
    "measure",      # the result model, clock, statistics, roofline
    "launch",       # one repetition as processes or MPI ranks; the wire protocol; the worker
    "calibration",  # the machine's measured limits (runs probes through launch), cached
    "report",       # the reporters: one file per format
    "run",          # the runner and what a run needs before it starts (load, estimate)
    "cluster",      # Slurm job arrays, merging runs measured apart
    "cli",          # main and one file per command
]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[A-Za-z0-9_.]+"', re.M)


def sources(top):
    for folder, _, names in os.walk(top):
        for name in names:
            if name.endswith((".cpp", ".hpp")):
                yield os.path.join(folder, name)


def includes(path):
    with open(path, encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


class LayeringTest(unittest.TestCase):
    def test_every_folder_has_a_layer_and_a_readme(self):
        harness = os.path.join(SOURCE, "harness")
        folders = sorted(d for d in os.listdir(harness)
                         if os.path.isdir(os.path.join(harness, d)))
        self.assertEqual(folders, sorted(LAYERS),
                         "a folder of harness/ missing from LAYERS, or LAYERS naming none")
        for d in folders:
            self.assertTrue(os.path.isfile(os.path.join(harness, d, "README.md")),
                            f"harness/{d}/README.md")

    def test_harness_includes_only_its_own_layer_and_below(self):
        harness = os.path.join(SOURCE, "harness")
        upward = []
        for path in sources(harness):
            own = os.path.relpath(path, harness).split(os.sep)[0]
            for target in includes(path):
                if target in LAYERS and LAYERS.index(target) > LAYERS.index(own):
                    upward.append(f"{os.path.relpath(path, SOURCE)} includes {target}/ "
                                  f"({own}/ is below {target}/)")
        self.assertEqual(upward, [], "includes against the flow:\n" + "\n".join(upward))

    def test_kernels_do_not_include_the_harness(self):
        found = [f"{os.path.relpath(p, SOURCE)} includes {t}/"
                 for p in sources(os.path.join(SOURCE, "kernels"))
                 for t in includes(p) if t in LAYERS]
        self.assertEqual(found, [], "kernels/ below harness/:\n" + "\n".join(found))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
