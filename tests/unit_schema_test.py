#!/usr/bin/env python3
"""configs/schema.json against `parsweep schema`, the shipped configs and `parsweep list --json`.

The schema is for editors; parsweep's own checks are the authority. This test keeps the two
from drifting: the committed file must be exactly what `parsweep schema` prints (the kernels'
parts generated from their parameter declarations), every shipped config must pass the
schema, a few bad ones must fail it, and the schema must describe exactly the kernels and
parameters the binary has.

usage: unit_schema_test.py SOURCE_DIR PARSWEEP_BINARY
"""
import glob
import json
import os
import subprocess
import sys
import unittest

import jsonschema

SOURCE, BINARY = sys.argv[1], sys.argv[2]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema = load(os.path.join(SOURCE, "configs", "schema.json"))
        jsonschema.Draft202012Validator.check_schema(cls.schema)
        cls.validator = jsonschema.Draft202012Validator(cls.schema)

    def test_committed_schema_is_parsweep_schemas_output(self):
        printed = subprocess.run([BINARY, "schema"], check=True, capture_output=True,
                                 text=True).stdout
        with open(os.path.join(SOURCE, "configs", "schema.json"), encoding="utf-8") as f:
            committed = f.read()
        self.assertEqual(committed, printed,
                         "configs/schema.json differs from `parsweep schema`: run "
                         "build/parsweep schema > configs/schema.json")

    def test_shipped_configs_are_valid(self):
        # configs/lessons/ use the lessons' own kernels (their binaries check those configs).
        configs = [p for p in glob.glob(os.path.join(SOURCE, "configs", "*.json"))
                   if not p.endswith("schema.json")]
        self.assertTrue(configs)
        for path in configs:
            errors = [e.message for e in self.validator.iter_errors(load(path))]
            self.assertEqual(errors, [], path)

    def test_bad_configs_are_rejected(self):
        bad = [
            {},
            {"runs": []},
            {"repetitons": 3, "runs": [{"kernel": "square"}]},
            {"runs": [{"kernel": "squares"}]},
            {"runs": [{"kernel": "square", "params": {"chunk_bytes": 4}}]},
            {"runs": [{"kernel": "wordcount", "grid": {"chunk_bytes": [0]}}]},
            {"runs": [{"kernel": "square", "params": {"mode": "openmp"}}]},
            {"grid": {"processes": []}, "runs": [{"kernel": "square"}]},
            {"env": {"OMP_NUM_THREADS": "4"}, "runs": [{"kernel": "square"}]},
            {"launcher": "bogus", "runs": [{"kernel": "square"}]},
            {"runs": [{"kernel": "square", "launcher": "mpirun"}]},
            {"grid": {"bind": ["sideways"]}, "runs": [{"kernel": "square"}]},
            {"runs": [{"kernel": "square", "params": {"cpu_set": "packed"}}]},
            {"runs": [{"kernel": "square", "params": {"blas": "blis"}}]},
            {"runs": [{"kernel": "invert", "grid": {"blas": ["mkl"]}}]},
            {"scaling": "wek", "runs": [{"kernel": "square"}]},
            {"runs": [{"kernel": "pi", "scaling": "Weak"}]},
        ]
        for doc in bad:
            self.assertFalse(self.validator.is_valid(doc), json.dumps(doc))

    def test_launchers_are_accepted_at_both_levels(self):
        for launcher in ("spawn", "mpi"):
            doc = {"launcher": launcher, "runs": [{"kernel": "pi", "launcher": launcher}]}
            self.assertTrue(self.validator.is_valid(doc), json.dumps(doc))

    def test_scaling_is_accepted_at_both_levels(self):
        for scaling in ("strong", "weak"):
            doc = {"scaling": scaling, "runs": [{"kernel": "pi", "scaling": scaling}]}
            self.assertTrue(self.validator.is_valid(doc), json.dumps(doc))

    def test_schema_describes_the_binarys_kernels(self):
        listed = json.loads(subprocess.run([BINARY, "list", "--json"], check=True,
                                           capture_output=True, text=True).stdout)
        run = self.schema["$defs"]["run"]
        self.assertEqual(run["properties"]["kernel"]["enum"], [k["kernel"] for k in listed])
        by_kernel = {v["if"]["properties"]["kernel"]["const"]: v["then"]["properties"]
                     for v in run["allOf"]}
        # Every kernel also takes the pinning axes (harness/machine/pinning.cpp, `parsweep list`).
        pinning = self.schema["$defs"]["pinning"]
        self.assertEqual(sorted(pinning), ["bind", "cpu_set", "places"])
        human = subprocess.run([BINARY, "list"], check=True, capture_output=True,
                               text=True).stdout
        for name, spec in pinning.items():
            self.assertIn(f"[one of {' '.join(spec['enum'])}]", human, name)
        # The kernels that use the BLAS also take the blas axis (harness/machine/blas_axis.cpp).
        self.assertIn("blas", self.schema["$defs"])
        self.assertTrue(any(k["uses_blas"] for k in listed))
        for k in listed:
            props = by_kernel[k["kernel"]]["params"]["properties"]
            blas = ["blas"] if k["uses_blas"] else []
            self.assertEqual(sorted(props),
                             sorted([p["name"] for p in k["params"]] + list(pinning) + blas),
                             k["kernel"])
            grid = by_kernel[k["kernel"]]["grid"]["properties"]
            self.assertEqual("blas" in grid, bool(blas), k["kernel"])
            for p in k["params"]:
                spec = props[p["name"]]
                if "choices" in p:
                    self.assertEqual(spec["enum"], p["choices"], p["name"])
                if "min" in p:
                    self.assertEqual(spec.get("minimum"), p["min"], p["name"])
                if "max" in p:
                    self.assertEqual(spec.get("maximum"), p["max"], p["name"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
