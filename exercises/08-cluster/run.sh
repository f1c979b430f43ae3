#!/usr/bin/env bash
# Lesson 08's way to run: the learner's sbatch script (starter/ or solution/sweep.sbatch)
# submitted with `sbatch --wait` — to the Slurm cluster this machine belongs to when
# `sinfo` answers, or else to a one-node cluster started here for the run and stopped after
# it (tests/hpc/slurm-cluster.sh: needs Debian's slurm-wlm and munge).
#
#   exercises/08-cluster/run.sh starter|solution CONFIG OUT      (`make exercise N=08` calls it)
#
# PARSWEEP (default build/parsweep) is the binary the job runs. The exit status is the
# job's: parsweep's (0 every point verified, 1 some failed, 2 bad input).
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 starter|solution CONFIG OUT" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
script=$here/$1/sweep.sbatch
[[ -f $script ]] || { echo "$0: no $script (starter or solution?)" >&2; exit 2; }
config=$(realpath "$2")
out=$(realpath -m "$3")
parsweep=$(realpath "${PARSWEEP:-$root/build/parsweep}")

if [[ -z ${SLURM_CONF:-} ]] && ! sinfo -h >/dev/null 2>&1; then
    cluster=$(mktemp -d /tmp/parsweep-lesson08-XXXXXX)
    chmod 755 "$cluster"  # munged's socket lives below it, for every user
    trap '"$root/tests/hpc/slurm-cluster.sh" stop "$cluster/slurm"; rmdir "$cluster"' EXIT
    echo "no Slurm cluster here (sinfo): starting a one-node cluster for the lesson"
    "$root/tests/hpc/slurm-cluster.sh" start "$cluster/slurm"
    export SLURM_CONF=$cluster/slurm/slurm.conf
fi

# The job's own output (Slurm's log) ends up in the run directory, beside the results. It is
# written beside it while the job runs — parsweep takes only a new or empty --out, so that a
# run's files never mix with others — on the same (shared) file system, and moved in after.
mkdir -p "$(dirname "$out")"
logs=$(dirname "$out")/.$(basename "$out").slurm-logs
rm -rf "$logs" && mkdir -p "$logs"
echo "sbatch --wait $script"
status=0
sbatch --wait --output="$logs/slurm-%j.out" \
    --export="ALL,CONFIG=$config,OUT=$out,PARSWEEP=$parsweep" "$script" || status=$?
mkdir -p "$out"
mv "$logs"/slurm-*.out "$out"/ 2>/dev/null || true
rmdir "$logs" 2>/dev/null || true
cat "$out"/slurm-*.out
exit $status
