"""bench/peers/run_peers.py end to end at a tiny size: the real parsweep binary and the real
Python peers (and ripgrep, when installed) on one text, the files it writes, every answer
verified — and a wrong answer reported as wrong, a missing peer as not installed, bad
input refused with nothing written. No timing is asserted.

Environment: PARSWEEP_BINARY (the parsweep to run; default build/parsweep) and
PARSWEEP_SHAKESPEARE (the workshop text; a generated text stands in when it is absent).
"""
from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
RUNNER = os.path.join(SOURCE, "bench", "peers", "run_peers.py")
BINARY = os.environ.get("PARSWEEP_BINARY") or os.path.join(SOURCE, "build", "parsweep")
PEERS = {"wordcount_pool", "ripgrep", "square_pool", "invert_pool", "numpy_inv"}
TINY = ["--reps", "2", "--workers", "1,2", "--square-n", "1000", "--invert-n", "60",
        "--invert-count", "2", "--formats", "png"]


def make_text(path: str) -> None:
    """About 600 KB of words, the four targets among them, some of them glued to punctuation
    (which the two tokenizers treat differently), so words cross the 256 KiB chunk edges."""
    rng = random.Random(7)
    vocab = ["dog", "cat", "boy", "girl", "dogs", "Dog", "cat,", "girl's", "the", "and", "to",
             "hamlet", "thou", "art", "a", "boy.", "x" * 30]
    with open(path, "w") as f:
        size = 0
        while size < 600_000:
            line = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 14)))
            line += rng.choice(["\n", "\r\n", "\t\n", "  \n"])
            f.write(line)
            size += len(line)


class PeersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="parsweep-peers-")
        text = os.environ.get("PARSWEEP_SHAKESPEARE", "")
        if not os.path.isfile(text):
            text = os.path.join(cls.tmp, "text.txt")
            make_text(text)
        cls.text = text

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_peers(self, name: str, *extra, env=None):
        out = os.path.join(self.tmp, name)
        cmd = [sys.executable, RUNNER, "--out", out, "--parsweep", BINARY, "--text", self.text,
               *TINY, *extra]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, **(env or {})}, timeout=120)
        return proc, out

    def load(self, out: str):
        with open(os.path.join(out, "peers.json")) as f:
            doc = json.load(f)
        with open(os.path.join(out, "peers.csv")) as f:
            rows = list(csv.DictReader(f))
        return doc, rows

    def test_every_peer_verified_and_paired(self):
        proc, out = self.run_peers("ok")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        doc, csv_rows = self.load(out)
        rows = doc["rows"]
        # Every peer at both worker counts.
        self.assertEqual({(r["peer"], r["workers"]) for r in rows},
                         {(p, w) for p in PEERS for w in (1, 2)})
        self.assertEqual(len(csv_rows), len(rows))
        have_rg = shutil.which("rg") is not None
        for r in rows:
            with self.subTest(peer=r["peer"], workers=r["workers"]):
                if r["peer"] == "ripgrep" and not have_rg:
                    self.assertEqual(r["status"], "not installed")
                    continue
                self.assertEqual(r["status"], "ok", r["error"])
                self.assertTrue(r["parsweep_verified"])
                self.assertEqual(len(r["peer_times_s"]), 2)
                self.assertEqual(len(r["parsweep_times_s"]), 2)
                self.assertGreater(r["peer_median_s"], 0)
                self.assertGreater(r["parsweep_median_s"], 0)
                self.assertAlmostEqual(r["ratio"], r["peer_median_s"] / r["parsweep_median_s"])
                # The pairing: Pool peers against P×1, threaded peers against 1×T.
                if r["peer"] in ("ripgrep", "numpy_inv"):
                    self.assertEqual((r["parsweep_processes"], r["parsweep_threads"]), (1, r["workers"]))
                else:
                    self.assertEqual((r["parsweep_processes"], r["parsweep_threads"]), (r["workers"], 1))
        # The Pool's word counts are parsweep's (verified by parsweep against its reference).
        with open(os.path.join(out, "parsweep-run", "sweep.json")) as f:
            points = json.load(f)["points"]
        ws = next(p for p in points if p["kernel"] == "wordcount"
                  and p["params"]["tokenizer"] == "whitespace")
        pool = next(r for r in rows if r["peer"] == "wordcount_pool")
        self.assertEqual(pool["answer"]["counts"], ws["result"]["counts"])
        self.assertEqual(pool["answer"]["total_words"], ws["result"]["total_words"])
        self.assertEqual(next(r for r in rows if r["peer"] == "square_pool")["answer"]["sum"],
                         sum(i * i for i in range(1000)))
        with open(os.path.join(out, "peers.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertIn("ratio", proc.stdout)

    def test_wrong_answer_is_reported_wrong_and_missing_peer_not_installed(self):
        # No rg on PATH: ripgrep is "not installed" and the run goes on.
        proc, out = self.run_peers("wrong", env={"PARSWEEP_PEERS_WRONG": "wordcount_pool",
                                                 "PATH": "/nonexistent"})
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        doc, csv_rows = self.load(out)
        for r in doc["rows"]:
            with self.subTest(peer=r["peer"], workers=r["workers"]):
                if r["peer"] == "wordcount_pool":
                    self.assertEqual(r["status"], "wrong")
                    self.assertIn('"dog" counted', r["error"])
                    self.assertIsNone(r["ratio"])
                    self.assertIsNone(r["peer_median_s"])
                elif r["peer"] == "ripgrep":
                    self.assertEqual(r["status"], "not installed")
                    self.assertIsNone(r["ratio"])
                else:
                    self.assertEqual(r["status"], "ok", r["error"])
        self.assertIn("WRONG", proc.stdout)
        self.assertIn("wrong", {r["status"] for r in csv_rows})

    def test_peer_past_its_timeout_fails(self):
        proc, out = self.run_peers("timeout", "--workers", "1", "--timeout-s", "0.001")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        doc, _ = self.load(out)
        for r in doc["rows"]:
            with self.subTest(peer=r["peer"]):
                if r["status"] != "not installed":
                    self.assertEqual(r["status"], "failed")
                    self.assertIn("timed out after 0.001 s", r["error"])
                    self.assertIsNone(r["ratio"])

    def test_bad_input_names_it_and_writes_nothing(self):
        missing = os.path.join(self.tmp, "no-such-text.txt")
        out = os.path.join(self.tmp, "bad")
        proc = subprocess.run([sys.executable, RUNNER, "--out", out, "--parsweep", BINARY,
                               "--text", missing], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(missing, proc.stderr)
        self.assertFalse(os.path.exists(out))
        proc = subprocess.run([sys.executable, RUNNER, "--out", out, "--parsweep", BINARY,
                               "--text", self.text, "--workers", "0,x"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--workers", proc.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
