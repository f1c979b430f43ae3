"""parsweep under a real Slurm: a two-node cluster on this machine (munged, slurmctld and
two slurmd, n1 and n2, started by tests/hpc/slurm-cluster.sh and stopped at the end, even on
failure; MpiDefault=none, as on many clusters) runs

- scripts/slurm/sweep.sbatch on a tiny config: the run is complete and verified, and its
  context records the job (SLURM_* variables, usable cores = --cpus-per-task); with
  RESUME=<run> a second job goes on with that run;
- a job step without SRUN_CPUS_PER_TASK: Slurm ≥ 22.05 gives it 1 CPU whatever the job
  has — why the template exports it;
- `parsweep slurm --parts 3 --submit`: a job array of 3 tasks and a merge job that waits for
  it; every point of the sweep is in exactly one part, and exactly once in the merged run,
  verified; submitting a task again resumes its part (nothing left to run);
- MPI across both nodes through every path parsweep ships: the sbatch template with an mpi
  config (parsweep's own step holds CPUs the ranks' steps must share), `parsweep slurm --nodes
  2 --submit` with a weak-scaling nodes-axis sweep (merge.sbatch submitted twice), and
  `parsweep run` in a batch script of one's own, where a run forced onto the wrong MPI plugin
  fails its points with Open MPI's own words. Every point verified, word counts identical at
  every P, and each 2-rank point recorded on both nodes with both nodes' cores.

Needs Debian's slurm-wlm, munge and Open MPI (scripts/install-deps.sh installs them); not
root. Environment: PARSWEEP_BINARY, PARSWEEP_SOURCE_DIR, PARSWEEP_SHAKESPEARE.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

SOURCE = os.environ["PARSWEEP_SOURCE_DIR"]
BINARY = os.environ["PARSWEEP_BINARY"]
CLUSTER = os.path.join(SOURCE, "tests", "hpc", "slurm-cluster.sh")
TEMPLATE = os.path.join(SOURCE, "scripts", "slurm", "sweep.sbatch")
# Kernels without input files, small enough that a point takes milliseconds.
TINY = {
    "name": "tiny",
    "repetitions": 2,
    "warmup": 0,
    "grid": {"processes": [1, 2], "threads": [1, 2]},
    "runs": [
        {"kernel": "square", "params": {"n": 100000, "mode": "omp"}},
        {"kernel": "pi", "params": {"samples": 200000}},
    ],
}
TINY_POINTS = 8
NODES = ["n1", "n2"]
TEXT = os.environ["PARSWEEP_SHAKESPEARE"]
# MPI ranks on one node or spread over both: pi, and word counting of a real text.
MPI = {
    "name": "mpi",
    "repetitions": 2,
    "warmup": 0,
    "launcher": "mpi",
    "timeout_s": 300,
    "grid": {"processes": [1, 2], "threads": [1, 2]},
    "runs": [
        {"kernel": "pi", "params": {"samples": 200000}},
        {"kernel": "wordcount", "params": {"file": TEXT, "chunk_bytes": 1048576}},
    ],
}
# Weak scaling over a nodes axis: the work per process × thread stays the same.
WEAK = {
    "name": "weak",
    "repetitions": 2,
    "warmup": 0,
    "launcher": "mpi",
    "scaling": "weak",
    "timeout_s": 300,
    "grid": {"processes": [1, 2], "nodes": [1, 2]},
    "runs": [
        {"kernel": "pi", "params": {"samples": 100000}},
        {"kernel": "square", "params": {"n": 100000, "mode": "omp"}},
    ],
}
# The CPUs a job asks for: 2, or 1 on a one-CPU machine (the cluster has as many as we may use).
CPUS = min(2, len(os.sched_getaffinity(0)))
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "PREEMPTED", "BOOT_FAIL", "DEADLINE"}
WAIT_S = 180

work = None  # the module's temporary directory: cluster/, tiny.json, runs


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def setUpModule():
    global work
    work = tempfile.mkdtemp(prefix="parsweep-slurm-")
    os.chmod(work, 0o755)  # munged's socket lives below it: every user must reach it
    unittest.addModuleCleanup(shutil.rmtree, work, ignore_errors=True)
    cluster = os.path.join(work, "cluster")
    started = run([CLUSTER, "start", cluster, "--nodes", str(len(NODES))])
    if started.returncode != 0:
        raise RuntimeError(f"the Slurm cluster did not start:\n{started.stdout}{started.stderr}")
    unittest.addModuleCleanup(lambda: run([CLUSTER, "stop", cluster]))
    os.environ["SLURM_CONF"] = os.path.join(cluster, "slurm.conf")
    for name, config in (("tiny", TINY), ("mpi", MPI), ("weak", WEAK)):
        with open(os.path.join(work, f"{name}.json"), "w") as f:
            json.dump(config, f)


def cluster_logs():
    return run([CLUSTER, "logs", os.path.join(work, "cluster")]).stdout


def read(path):
    with open(path) as f:
        return f.read()


def sweep(run_dir):
    with open(os.path.join(run_dir, "sweep.json")) as f:
        return json.load(f)


def job_states(job_id):
    """{JobId: (JobState, ExitCode)} for a job, or every task of an array job."""
    out = run(["scontrol", "-o", "show", "job", job_id]).stdout
    states = {}
    for line in out.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        states[fields["JobId"]] = (fields["JobState"], fields["ExitCode"])
    return states


def wait_for(job_id, tasks=1):
    """Waits until `tasks` jobs under job_id have ended; their states."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        states = job_states(job_id)
        if len(states) >= tasks and all(s in TERMINAL for s, _ in states.values()):
            return states
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not done after {WAIT_S} s: {job_states(job_id)}\n"
                         + cluster_logs())


def sbatch_wait(args):
    """sbatch --wait ARGS: (job id, exit status of the job)."""
    done = run(["sbatch", "--wait", "--parsable", *args], cwd=work, timeout=WAIT_S)
    return done.stdout.strip().split(";")[0], done.returncode, done.stderr


class OneAllocation(unittest.TestCase):
    def test_the_sbatch_template_runs_a_verified_sweep_with_the_jobs_cpus(self):
        out = os.path.join(work, "one")
        log = os.path.join(work, "one.out")
        job, status, err = sbatch_wait([
            f"--cpus-per-task={CPUS}", f"--output={log}",
            f"--export=ALL,CONFIG=tiny.json,PARSWEEP={BINARY},OUT={out}", TEMPLATE])
        self.assertEqual(status, 0, f"{err}\n{read(log) if os.path.exists(log) else ''}")
        s = sweep(out)
        self.assertEqual(s["status"], "complete")
        self.assertEqual(len(s["points"]), TINY_POINTS)
        self.assertEqual(s["points_failed"], 0)
        self.assertTrue(all(p["verified"] for p in s["points"]))
        ctx = s["context"]
        self.assertEqual(ctx["env"].get("SLURM_JOB_ID"), job)
        self.assertEqual(ctx["env"].get("SLURM_CPUS_PER_TASK"), str(CPUS))
        self.assertEqual(ctx["env"].get("SRUN_CPUS_PER_TASK"), str(CPUS))
        self.assertIn("SLURM_STEP_ID", ctx["env"])  # parsweep ran in the srun step
        cores = ctx["usable_cores"]
        self.assertEqual(cores["slurm_cpus"], CPUS)
        self.assertEqual(cores["affinity"], CPUS, cores["reason"])
        self.assertEqual(cores["count"], CPUS, cores["reason"])

        # RESUME=DIR completes a run in a new job; this one has nothing left to run.
        again = os.path.join(work, "again.out")
        _, status, err = sbatch_wait([
            f"--cpus-per-task={CPUS}", f"--output={again}",
            f"--export=ALL,RESUME={out},PARSWEEP={BINARY}", TEMPLATE])
        self.assertEqual(status, 0, err + read(again))
        self.assertIn(f"{TINY_POINTS} of {TINY_POINTS} points done before", read(again))
        self.assertEqual(sweep(out)["points"], s["points"])

    def test_a_step_without_srun_cpus_per_task_gets_one_cpu(self):
        # What the template's export is for: srun no longer inherits --cpus-per-task.
        info = os.path.join(work, "info.json")
        job, status, err = sbatch_wait([
            f"--cpus-per-task={CPUS}", f"--output={os.path.join(work, 'info.out')}",
            f"--wrap=unset SRUN_CPUS_PER_TASK; srun --ntasks=1 {BINARY} info --json > {info}"])
        self.assertEqual(status, 0, err)
        cores = json.loads(read(info))["usable_cores"]
        self.assertEqual(cores["affinity"], 1, cores["reason"])
        self.assertEqual(cores["count"], 1, cores["reason"])
        self.assertEqual(cores["slurm_cpus"], CPUS)  # the job's variable still says CPUS


class JobArray(unittest.TestCase):
    def test_parts_of_a_job_array_merge_into_the_whole_sweep(self):
        arr = os.path.join(work, "arr")
        made = run([BINARY, "slurm", "tiny.json", "--parts", "3", "--cpus-per-task", "1",
                    "--time", "10", "--out", arr, "--submit"], cwd=work)
        self.assertEqual(made.returncode, 0, made.stderr)
        self.assertRegex(made.stdout, r"submitted job array \d+ \(3 tasks\)")
        self.assertRegex(made.stdout, r"submitted merge job \d+")
        array_id = re.search(r"submitted job array (\d+)", made.stdout).group(1)
        merge_id = re.search(r"submitted merge job (\d+)", made.stdout).group(1)
        self.assertIn(f"parsweep merge {arr}/part-1 {arr}/part-2 {arr}/part-3 --out {arr}/merged",
                      made.stdout)
        tasks = wait_for(array_id, tasks=3)
        merged_job = wait_for(merge_id)
        logs = "".join(f"--- {name}\n{read(os.path.join(arr, 'logs', name))}"
                       for name in sorted(os.listdir(os.path.join(arr, "logs"))))
        self.assertEqual(sorted(tasks.values()), [("COMPLETED", "0:0")] * 3, logs)
        self.assertEqual(list(merged_job.values()), [("COMPLETED", "0:0")], logs)

        keys = []
        for k in (1, 2, 3):
            part = sweep(os.path.join(arr, f"part-{k}"))
            self.assertEqual(part["status"], "complete")
            self.assertEqual(part["part"]["index"], k)
            self.assertTrue(all(p["verified"] for p in part["points"]))
            self.assertEqual(part["context"]["env"].get("SLURM_ARRAY_JOB_ID"), array_id)
            self.assertEqual(part["context"]["env"].get("SLURM_ARRAY_TASK_ID"), str(k))
            self.assertEqual(part["context"]["usable_cores"]["count"], 1)
            keys += [p["key"] for p in part["points"]]
        self.assertEqual(len(keys), TINY_POINTS)
        self.assertEqual(len(set(keys)), TINY_POINTS, "a point ran in two parts")

        merged = sweep(os.path.join(arr, "merged"))
        self.assertEqual(merged["status"], "complete")
        merged_keys = [p["key"] for p in merged["points"]]
        self.assertEqual(sorted(merged_keys), sorted(keys))
        self.assertTrue(all(p["verified"] for p in merged["points"]))
        self.assertEqual(merged["points_failed"], 0)

        # A task submitted again (after a time limit, say) goes on with its part: here it
        # has every point already, so nothing runs again.
        before = sweep(os.path.join(arr, "part-2"))
        job, status, err = sbatch_wait(["--array=2", os.path.join(arr, "array.sbatch")])
        log = read(os.path.join(arr, "logs", "part-2.out"))
        self.assertEqual(status, 0, err + log)
        n = len(before["points"])
        self.assertIn(f"{n} of {n} points done before", log)
        self.assertEqual(sweep(os.path.join(arr, "part-2"))["points"], before["points"])



def failures(s):
    return {p["label"] + f" P={p['processes']} T={p['threads']}": p["error"]
            for p in s["points"] if not p["verified"]}


class AcrossTwoNodes(unittest.TestCase):
    def assert_spread_over_both_nodes(self, s):
        """Every 2-rank point not held to one node (nodes=1) ran a rank on each node, and
        counts both nodes' cores; the others ran on one node and count its cores."""
        cores = {n["name"]: n["cpus"] for n in s["context"]["allocation"]["nodes"]}
        self.assertEqual(sorted(cores), NODES)
        spread = [p for p in s["points"] if p["processes"] == 2 and "nodes=1" not in p["label"]]
        self.assertTrue(spread)
        for p in s["points"]:
            if p in spread:
                continue
            self.assertEqual(len(p["nodes"]), 1, p["label"])
            self.assertEqual(p["usable_cores"], cores[p["nodes"][0]])
        for p in spread:
            self.assertEqual(sorted(p["nodes"]), NODES)
            self.assertEqual(p["usable_cores"], sum(cores.values()))
            self.assertAlmostEqual(p["derived"]["oversubscription"],
                                   p["processes"] * p["threads"] / sum(cores.values()))
            for rep in p["reps"]:
                self.assertEqual(sorted(w["node"] for w in rep["workers"]), NODES)

    def test_the_sbatch_template_runs_an_mpi_sweep_over_two_nodes(self):
        out = os.path.join(work, "template-mpi")
        log = os.path.join(work, "template-mpi.out")
        job, status, err = sbatch_wait([
            "--nodes=2", f"--cpus-per-task={CPUS}", f"--output={log}",
            f"--export=ALL,CONFIG=mpi.json,PARSWEEP={BINARY},OUT={out}", TEMPLATE])
        self.assertEqual(status, 0, f"{err}\n{read(log) if os.path.exists(log) else ''}")
        s = sweep(out)
        self.assertEqual(s["status"], "complete")
        self.assertEqual(len(s["points"]), 8)
        self.assertEqual(failures(s), {})
        mpi = s["context"]["mpi"]
        # The cluster says MpiDefault=none: parsweep picked pmix from srun --mpi=list.
        self.assertEqual((mpi["plugin"], mpi["plugin_source"]), ("pmix", "srun --mpi=list"))
        self.assertIn("slurm", mpi["launcher_version"])
        self.assertIn("Open MPI", mpi["library"])
        self.assertIn("slurm", s["context"]["allocation"]["slurm_version"])
        self.assert_spread_over_both_nodes(s)
        counts = [json.dumps([p["result"]["counts"], p["result"]["total_words"]], sort_keys=True)
                  for p in s["points"] if p["kernel"] == "wordcount"]
        self.assertEqual(len(counts), 4)
        self.assertEqual(len(set(counts)), 1, "the word counts differ between P and T")

    def test_parsweep_slurm_nodes_2_submits_a_weak_scaling_mpi_sweep(self):
        arr = os.path.join(work, "weak-arr")
        made = run([BINARY, "slurm", "weak.json", "--nodes", "2", "--parts", "2",
                    "--cpus-per-task", "1", "--time", "10", "--out", arr, "--submit"], cwd=work)
        self.assertEqual(made.returncode, 0, made.stderr)
        script = read(os.path.join(arr, "array.sbatch"))
        self.assertIn("#SBATCH --nodes=2\n", script)
        self.assertNotIn("--ntasks=1\n#", script)
        array_id = re.search(r"submitted job array (\d+)", made.stdout).group(1)
        merge_id = re.search(r"submitted merge job (\d+)", made.stdout).group(1)
        tasks = wait_for(array_id, tasks=2)
        merged_job = wait_for(merge_id)
        logs = "".join(f"--- {name}\n{read(os.path.join(arr, 'logs', name))}"
                       for name in sorted(os.listdir(os.path.join(arr, "logs"))))
        self.assertEqual(sorted(tasks.values()), [("COMPLETED", "0:0")] * 2, logs)
        self.assertEqual(list(merged_job.values()), [("COMPLETED", "0:0")], logs)
        merged = sweep(os.path.join(arr, "merged"))
        self.assertEqual(merged["status"], "complete")
        self.assertEqual(len(merged["points"]), 6)  # per kernel: baseline, P=2 on 1 and 2 nodes
        self.assertEqual(failures(merged), {})
        self.assert_spread_over_both_nodes(merged)
        for p in merged["points"]:
            self.assertEqual(p["scaling"], "weak")
            size = "samples" if p["kernel"] == "pi" else "n"
            self.assertEqual(p["params"][size],
                             WEAK["runs"][0 if p["kernel"] == "pi" else 1]["params"][size]
                             * p["processes"] * p["threads"])
            self.assertIsNotNone(p["derived"]["speedup"], p["label"])

        # Each node count is a curve of its own, in the charts.
        charts = os.path.join(work, "weak-charts")
        drawn = run([BINARY, "plot", os.path.join(arr, "merged"), "--out", charts,
                     "--formats", "png", "--no-report", "--if-python"])
        self.assertEqual(drawn.returncode, 0, drawn.stdout + drawn.stderr)
        if os.path.isdir(charts):  # a Python with matplotlib was found
            names = " ".join(sorted(os.listdir(charts)))
            for curve in ("pi-nodes1", "pi-nodes2", "square-nodes2"):
                self.assertIn(curve, names)

        # The merge job submitted again replaces its own merge.
        _, status, err = sbatch_wait([os.path.join(arr, "merge.sbatch")])
        self.assertEqual(status, 0, err + read(os.path.join(arr, "logs", "merge.out")))
        self.assertEqual([p["key"] for p in sweep(os.path.join(arr, "merged"))["points"]],
                         [p["key"] for p in merged["points"]])

    def test_parsweep_run_in_a_batch_script_and_a_wrong_mpi_plugin(self):
        config = dict(MPI, name="plugins", runs=[
            {"kernel": "pi", "params": {"samples": 200000}},
            {"kernel": "pi", "params": {"samples": 300000}, "mpi_plugin": "none"},
        ], grid={"processes": [2]}, baseline={"processes": 2})
        with open(os.path.join(work, "plugins.json"), "w") as f:
            json.dump(config, f)
        out = os.path.join(work, "plugins")
        log = os.path.join(work, "plugins.out")
        _, status, err = sbatch_wait([
            "--nodes=2", f"--output={log}",
            f"--wrap={BINARY} run plugins.json --out {out} --no-calibrate"])
        self.assertEqual(status, 1, err + read(log))  # points failed: exit 1, not a hang
        s = sweep(out)
        self.assertEqual(s["status"], "complete")
        ok = [p for p in s["points"] if p["params"]["samples"] == 200000]
        bad = [p for p in s["points"] if p["params"]["samples"] == 300000]
        self.assertTrue(ok and all(p["verified"] for p in ok), failures(s))
        for p in bad:
            self.assertFalse(p["verified"])
            # The plugin that was given, and Open MPI's own words: its help text ("… not built
            # with SLURM's PMI support …"), or only its first error line when srun ended the
            # step (--kill-on-bad-exit) before the help text of either rank came through.
            self.assertRegex(p["error"], r"\(srun --mpi=none\): (Open MPI: .*PMI|.*OPAL ERROR)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
