#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for parsweep's tests and lessons:
# munged, slurmctld and slurmd (Debian slurm-wlm ≥ 22.05 + munge), with every key, config,
# socket, state, spool, log and pid file under one directory, and nothing of the system's
# (/etc/slurm, /etc/munge, systemd) used or changed. Root is not needed: the daemons and the
# jobs run as whoever starts it (SlurmUser = SlurmdUser = that user).
#
#   tests/hpc/slurm-cluster.sh start DIR    DIR must not exist or be empty. Starts the daemons
#                                           on free ports and waits until `sinfo` shows the
#                                           node idle; on failure prints the logs, stops
#                                           what it started, exits non-zero.
#   tests/hpc/slurm-cluster.sh stop DIR     cancels every job, stops the daemons (and job
#                                           steps left behind), removes DIR.
#   tests/hpc/slurm-cluster.sh logs DIR     the daemons' logs (for a failed test's output).
#   tests/hpc/slurm-cluster.sh env DIR      `export SLURM_CONF=…`, for eval in a shell.
#
# Clients find the cluster through SLURM_CONF=DIR/slurm.conf, which names munge's socket
# (AuthInfo), so several clusters (each test its own DIR) can run side by side. Jobs
# inherit SLURM_CONF from sbatch's environment (--export=ALL is Slurm's default).
#
# No cgroups: proctrack/linuxproc tracks a job's processes by parentage, and task/affinity
# binds each task to the CPUs Slurm gave it (sched_setaffinity), which works in containers
# where the cgroup hierarchy is not Slurm's to change.
set -euo pipefail

# Whatever ran before must not point the daemons or clients elsewhere.
unset SLURM_CONF SLURM_JOB_ID SLURM_JOBID
# The daemons are in sbin, which a non-login shell may not have on PATH.
export PATH=$PATH:/usr/sbin:/sbin

usage() {
    echo "usage: $0 start|stop|logs|env DIR" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
action=$1
dir=$2
marker=.parsweep-slurm-cluster  # stop removes only a directory that start made

die() {
    echo "slurm-cluster: $*" >&2
    exit 1
}

# Two TCP ports nobody listens on now (slurmctld, slurmd). Asking the kernel for them keeps
# side-by-side clusters, and a system Slurm on the default 6817/6818, apart.
free_ports() {
    python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# The node's memory in MB as slurmd itself measures it (a larger RealMemory would drain the
# node as "Low RealMemory"); MemTotal when slurmd -C does not say.
real_memory_mb() {
    local mb
    mb=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
    if [[ -z $mb ]]; then
        mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
    fi
    echo "$mb"
}

logs() {
    local f
    for f in "$dir"/log/*.log; do
        [[ -f $f ]] || continue
        echo "===== $f (last 40 lines)"
        tail -n 40 "$f"
    done
}

# Sends SIGTERM to the process in pid file $1, waits up to 10 s, then SIGKILL.
stop_pidfile() {
    local pidfile=$1 pid i
    [[ -f $pidfile ]] || return 0
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# The processes of this cluster's job steps: each slurmstepd its slurmd started (they carry
# its SLURM_CONF) and all their descendants. Read from /proc (procps is not in every minimal
# image).
step_processes() {
    local proc pid stat rest comm
    local -A parent=() mine=()
    for proc in /proc/[0-9]*; do
        pid=${proc#/proc/}
        stat=$(cat "$proc/stat" 2>/dev/null) || continue
        rest=${stat##*) }  # after "pid (comm) ": state ppid …
        read -r _ "parent[$pid]" _ <<<"$rest"
        comm=$(cat "$proc/comm" 2>/dev/null) || continue
        if [[ $comm == slurmstepd ]] &&
            tr '\0' '\n' <"$proc/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$dir/slurm.conf"; then
            mine[$pid]=1
        fi
    done
    local grew=1
    while ((grew)); do
        grew=0
        for pid in "${!parent[@]}"; do
            if [[ -z ${mine[$pid]:-} && -n ${mine[${parent[$pid]}]:-} ]]; then
                mine[$pid]=1
                grew=1
            fi
        done
    done
    echo "${!mine[@]}"
}

stop() {
    [[ -d $dir ]] || return 0
    [[ -f $dir/$marker ]] || die "$dir was not made by '$0 start'; not touching it"
    export SLURM_CONF=$dir/slurm.conf
    # Jobs first, while slurmctld and slurmd can still end them cleanly.
    if [[ -f $dir/pid/slurmctld.pid ]] && kill -0 "$(cat "$dir/pid/slurmctld.pid")" 2>/dev/null; then
        scancel --quiet --full --user="$(id -un)" 2>/dev/null || true
        local i
        for ((i = 0; i < 50; i++)); do
            [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
            sleep 0.2
        done
    fi
    stop_pidfile "$dir/pid/slurmd.pid"
    stop_pidfile "$dir/pid/slurmctld.pid"
    stop_pidfile "$dir/pid/munged.pid"
    # Job steps whose slurmd went first (killed, crashed): every process of them.
    local pid
    for pid in $(step_processes); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
}

# The EXIT trap of a start that has begun: on failure, the logs and a clean stop.
stop_on_failure() {
    local status=$?
    if [[ $status -ne 0 ]]; then
        logs >&2
        stop
    fi
}

start() {
    local tool
    for tool in munged mungekey slurmctld slurmd sinfo sbatch python3; do
        command -v "$tool" >/dev/null ||
            die "$tool not found: run scripts/install-deps.sh (Debian packages slurm-wlm, munge)"
    done
    if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then
        die "$dir exists and is not empty; give a new directory"
    fi
    dir=$(realpath -m "$dir")
    # munged serves its socket only from a path every user may search (clients of any user
    # connect to it), so every directory above DIR needs o+x: mktemp -d's 0700 is too tight.
    local up=$dir
    while up=$(dirname "$up") && [[ $up != / ]]; do
        [[ -e $up ]] || continue
        [[ $((0$(stat -c %a "$up") & 1)) -eq 1 ]] ||
            die "$up is not searchable by all users (mode $(stat -c %a "$up")), which munged" \
                "needs for its socket under $dir: chmod o+x $up, or choose another DIR"
    done
    mkdir -p "$dir"
    touch "$dir/$marker"
    # From here on a failure stops whatever was started.
    trap stop_on_failure EXIT

    mkdir -p "$dir"/{munge,socket,state,spool,log,pid}
    # munged wants its key where only its user can read, and its socket where everyone may
    # enter but nobody else may write.
    chmod 755 "$dir" "$dir/socket"
    chmod 700 "$dir/munge"
    mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null
    chmod 400 "$dir/munge/munge.key"
    munged --key-file="$dir/munge/munge.key" --socket="$dir/socket/munge.socket" \
        --pid-file="$dir/pid/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munged.seed" ||
        die "munged did not start (see $dir/log/munged.log)"

    local node cpus mem ctld_port slurmd_port user
    node=$(hostname -s)
    user=$(id -un)
    cpus=$(nproc)
    mem=$(real_memory_mb)
    read -r ctld_port slurmd_port <<<"$(free_ports)"
    cat >"$dir/slurm.conf" <<CONF
# Written by tests/hpc/slurm-cluster.sh: a one-node cluster on localhost for parsweep's tests.
ClusterName=parsweep-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/socket/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/pid/slurmctld.pid
SlurmdPidFile=$dir/pid/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups (see the script's header).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
# Each step's tasks are bound to the CPUs the step was given, as ConstrainCores does on a
# cgroup cluster: a step that asked for fewer CPUs than the job has really gets fewer.
TaskPluginParam=autobind=cores
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# The node as configured here, whatever slurmd detects (CPUs = the CPUs we may use).
SlurmdParameters=config_overrides
# Short waits keep the tests short.
SchedulerParameters=sched_min_interval=100000
MinJobAge=300
KillWait=5
InactiveLimit=0
# No mail from a test cluster (the default /bin/mail is rarely installed).
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$SLURM_CONF" || die "slurmctld did not start"
    slurmd -f "$SLURM_CONF" -N "$node" || die "slurmd did not start"

    local i state=""
    for ((i = 0; i < 600; i++)); do
        state=$(sinfo -h -n "$node" -o %T 2>/dev/null | head -1 || true)
        [[ $state == idle ]] && break
        sleep 0.1
    done
    [[ $state == idle ]] || die "node $node is not idle after 60 s (sinfo says '${state:-nothing}')"
    echo "slurm-cluster: node $node idle ($cpus CPUs, $mem MB) on ports $ctld_port/$slurmd_port;" \
        "export SLURM_CONF=$SLURM_CONF"
    trap - EXIT
}

case $action in
start) start ;;
stop) stop ;;
logs) logs ;;
env) echo "export SLURM_CONF=$(cd "$dir" && pwd)/slurm.conf" ;;
*) usage ;;
esac
