#!/usr/bin/env python3
"""Lesson 08 check: did the sweep run under Slurm on every CPU its job asked for, did every
point verify, and does the run show it (2 workers faster than 1)?

The run's sweep.json records the job (every SLURM_* and SRUN_* variable) and the CPUs the
job step could run on (its affinity mask, `usable_cores`).

usage: check.py RUN_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_lib as c  # noqa: E402

# What the starter's check must say (tests/lessons/test_lessons.py).
STARTER_SYMPTOM = "the job step ran on fewer CPUs than the job asked for"
# The charts the README asks about: the speedup, and which settings oversubscribed the
# CPUs the step got (`parsweep plot RUN --all-charts` draws every chart).
CHARTS = ["speedup-pi", "oversubscription-pi"]


def job_cpus(v, context):
    """The CPUs the job asked for and those its step got, judged; None when not under Slurm."""
    env = context.get("env", {})
    cores = context.get("usable_cores", {})
    if "SLURM_JOB_ID" not in env:
        v.wrong("the sweep did not run in a Slurm job (no SLURM_JOB_ID in the run's context): "
                "submit it with sbatch (make exercise N=08 does)")
        return
    asked = env.get("SLURM_CPUS_PER_TASK")
    if asked is None:
        v.wrong(f"job {env['SLURM_JOB_ID']} did not ask for CPUs per task "
                "(#SBATCH --cpus-per-task): Slurm gave it 1 CPU")
        return
    got = cores.get("affinity")
    if got < int(asked):
        how = ("SRUN_CPUS_PER_TASK was not set: since Slurm 22.05, srun no longer inherits "
               "the job's --cpus-per-task, and gives the step 1 CPU per task"
               if "SRUN_CPUS_PER_TASK" not in env else
               f"SRUN_CPUS_PER_TASK={env['SRUN_CPUS_PER_TASK']}")
        v.wrong(f"{STARTER_SYMPTOM}: {got} of {asked} (--cpus-per-task={asked}) — {how}; every "
                f"worker and thread of the sweep shared {'that one' if got == 1 else 'those'} "
                "(see TODO(cpus) in starter/sweep.sbatch)")
    else:
        v.note(f"job {env['SLURM_JOB_ID']}: the job step ran on {got} CPUs, all {asked} the job "
               f"asked for; usable cores {cores.get('reason', '?')}")


def main():
    sweep = c.load(sys.argv[1])
    v = c.Verdict("08-cluster", sys.argv[1], charts=CHARTS)
    job_cpus(v, sweep.get("context", {}))
    for p in c.points(sweep, "pi"):
        if not p["verified"]:
            v.wrong(f"{c.name(p)}: {p.get('error') or 'not verified'}")
    # The shape: with the CPUs it asked for, 2 workers (processes or threads) finish sooner
    # than 1; on one CPU they take turns, preempting each other.
    for label, outcome, ratio, fast in c.two_workers_vs_one(sweep, "pi"):
        switches = [r.get("ctx_involuntary", 0) for r in fast.get("reps", [])]
        detail = (f"{max(switches)} involuntary context switches at most in a repetition"
                  if switches else "")
        v.shape(f"pi: {label} faster than 1", outcome, ratio, detail)
    v.finish()


if __name__ == "__main__":
    main()
