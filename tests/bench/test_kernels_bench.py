"""parsweep_bench (make bench) at its smallest sizes: every kernel's benchmark and the
harness's spawn + gather benchmark run, verify, and write Google Benchmark JSON with the
counters bench/README.md promises. No timing is asserted.

Environment: PARSWEEP_BENCH_BINARY (default build/bench/parsweep_bench) and
PARSWEEP_BENCH_TEXT (the text of the word-count benchmarks; a generated one otherwise).
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
BINARY = os.environ.get("PARSWEEP_BENCH_BINARY") or os.path.join(SOURCE, "build", "bench", "parsweep_bench")

# name prefix → counters its runs must carry
EXPECTED = {
    "BM_WordCountKernel/262144/1/0/": ["bytes_per_second", "items_per_second"],
    "BM_WordCountKernel/262144/2/1/": ["bytes_per_second", "items_per_second"],
    "BM_Square/1000/1/": ["bytes_per_second", "items_per_second", "flops"],
    "BM_Square/1000/2/": ["bytes_per_second", "items_per_second", "flops"],
    "BM_Pi/1000000/1/": ["items_per_second", "flops"],
    "BM_Pi/1000000/2/": ["items_per_second", "flops"],
    "BM_Invert/1000/1/0/": ["items_per_second", "flops"],
    "BM_Invert/1000/2/2/": ["items_per_second", "flops"],
    "BM_HarnessSpawnGather/1/": ["spawn_s", "gather_s", "spawn_gather_s_per_worker"],
    "BM_HarnessSpawnGather/2/": ["spawn_s", "gather_s", "spawn_gather_s_per_worker"],
}


class KernelsBenchTest(unittest.TestCase):
    def test_small_benchmarks_verify_and_carry_counters(self):
        with tempfile.TemporaryDirectory(prefix="parsweep-bench-") as tmp:
            env = dict(os.environ)
            text = env.get("PARSWEEP_BENCH_TEXT", "")
            if not os.path.isfile(text):
                text = os.path.join(tmp, "text.txt")
                with open(text, "w") as f:
                    f.write("the dog and the cat, a boy and a girl\n" * 20000)
                env["PARSWEEP_BENCH_TEXT"] = text
            out = os.path.join(tmp, "bench.json")
            pattern = "|".join("^" + k for k in EXPECTED)
            proc = subprocess.run(
                [BINARY, f"--benchmark_filter={pattern}", "--benchmark_min_time=0.01",
                 f"--benchmark_out={out}", "--benchmark_out_format=json"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=240)
            self.assertEqual(proc.returncode, 0, proc.stdout)
            with open(out) as f:
                runs = json.load(f)["benchmarks"]
        for prefix, counters in EXPECTED.items():
            with self.subTest(benchmark=prefix):
                found = [r for r in runs if r["name"].startswith(prefix)]
                self.assertEqual(len(found), 1, [r["name"] for r in runs])
                r = found[0]
                self.assertFalse(r.get("error_occurred", False), r.get("error_message"))
                self.assertTrue(r["name"].endswith("real_time"))
                for c in counters:
                    self.assertGreater(r.get(c, 0), 0, c)


if __name__ == "__main__":
    unittest.main()
