#!/usr/bin/env bash
# A real Slurm cluster on this machine, for parsweep's tests and lessons: munged, slurmctld
# and one slurmd per node (Debian slurm-wlm ≥ 22.05 + munge), with every key, config,
# socket, state, spool, log and pid file under one directory, and nothing of the system's
# (/etc/slurm, /etc/munge, systemd) used or changed. Root is not needed: the daemons and the
# jobs run as whoever starts it (SlurmUser = SlurmdUser = that user).
#
#   tests/hpc/slurm-cluster.sh start DIR [--nodes N]
#                                           DIR must not exist or be empty. Starts the daemons
#                                           on free ports and waits until `sinfo` shows every
#                                           node idle; on failure prints the logs, stops
#                                           what it started, exits non-zero. One node (named
#                                           as this host) unless --nodes N: then N nodes
#                                           n1 … nN, each a slurmd of its own.
#   tests/hpc/slurm-cluster.sh stop DIR     cancels every job, stops the daemons (and job
#                                           steps left behind), removes DIR.
#   tests/hpc/slurm-cluster.sh logs DIR     the daemons' logs (for a failed test's output).
#   tests/hpc/slurm-cluster.sh env DIR      `export SLURM_CONF=…`, for eval in a shell.
#
# Clients find the cluster through SLURM_CONF=DIR/slurm.conf, which names munge's socket
# (AuthInfo), so several clusters (each test its own DIR) can run side by side. Jobs
# inherit SLURM_CONF from sbatch's environment (--export=ALL is Slurm's default).
#
# Several nodes on one machine: each slurmd is started as `slurmd -N nK` and listens on a port
# of its own (NodeAddr=127.0.0.1, Port=…); its spool, pid and log files are per node (%n), and
# so is its TmpFS: PMIx keeps a job's per-node directory there (spmix_appdir_<uid>_<job>.<step>),
# and two nodes creating the same one in a shared /tmp fail with "File exists"; a TaskProlog
# moves each task's TMPDIR and Open MPI's shared memory there too. Both nodes
# advertise the CPUs we may use, so Slurm sees twice the machine: fine for testing placement,
# and why a two-node test never measures speed. MpiDefault=none, as on many real clusters: a
# job's srun gets the MPI plugin only when it asks (parsweep asks, see mpi_launcher.hpp).
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
    echo "usage: $0 start DIR [--nodes N] | stop DIR | logs DIR | env DIR" >&2
    exit 2
}
[[ $# -ge 2 ]] || usage
action=$1
dir=$2
nodes=1
shift 2
while [[ $# -gt 0 ]]; do
    case $1 in
    --nodes)
        [[ $action == start && $# -ge 2 && $2 =~ ^[1-9][0-9]?$ ]] || usage
        nodes=$2
        shift 2
        ;;
    *) usage ;;
    esac
done
marker=.parsweep-slurm-cluster  # stop removes only a directory that start made

die() {
    echo "slurm-cluster: $*" >&2
    exit 1
}

# $1 TCP ports nobody listens on now (slurmctld's, then each slurmd's). Asking the kernel for
# them keeps side-by-side clusters, and a system Slurm on the default 6817/6818, apart.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
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
    local pidfile
    for pidfile in "$dir"/pid/slurmd*.pid; do
        stop_pidfile "$pidfile"
    done
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

    mkdir -p "$dir"/{munge,socket,state,spool,log,pid,tmp}
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

    local cpus mem user ports ctld_port
    local -a names=() node_ports=()
    user=$(id -un)
    cpus=$(nproc)
    mem=$(real_memory_mb)
    if ((nodes == 1)); then
        names=("$(hostname -s)")
    else
        local k
        for ((k = 1; k <= nodes; k++)); do names+=("n$k"); done
        # Each node's share of the memory, so that Slurm does not count it twice.
        mem=$((mem / nodes))
    fi
    read -r ctld_port ports <<<"$(free_ports $((nodes + 1)))"
    read -r -a node_ports <<<"$ports"
    local nodelist
    nodelist=$(IFS=,; echo "${names[*]}")
    cat >"$dir/slurm.conf" <<CONF
# Written by tests/hpc/slurm-cluster.sh: a cluster of $nodes node(s) on localhost for
# parsweep's tests.
ClusterName=parsweep-test
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/socket/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/pid/slurmctld.pid
SlurmdPidFile=$dir/pid/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
# Per node: PMIx's job directories live here, and each task's TMPDIR and Open MPI's
# shared-memory files (task-prolog.sh; see the script's header).
TmpFS=$dir/tmp/%n
TaskProlog=$dir/task-prolog.sh
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
# The nodes as configured here, whatever slurmd detects (CPUs = the CPUs we may use).
SlurmdParameters=config_overrides
# Short waits keep the tests short.
SchedulerParameters=sched_min_interval=100000
MinJobAge=300
KillWait=5
InactiveLimit=0
# No mail from a test cluster (the default /bin/mail is rarely installed).
MailProg=/bin/true
CONF
    local k
    for ((k = 0; k < nodes; k++)); do
        echo "NodeName=${names[k]} NodeAddr=127.0.0.1 Port=${node_ports[k]} CPUs=$cpus" \
            "RealMemory=$mem State=UNKNOWN" >>"$dir/slurm.conf"
        mkdir -p "$dir/tmp/${names[k]}"
    done
    echo "PartitionName=debug Nodes=$nodelist Default=YES MaxTime=INFINITE State=UP" \
        >>"$dir/slurm.conf"
    # Open MPI names its shared-memory segments after the host name, the job and the rank on
    # the node: ranks on two nodes of one machine would open each other's (a SIGSEGV or a hang
    # with 2 ranks on each of 2 nodes). Each node's tasks keep theirs in the node's own TmpFS.
    cat >"$dir/task-prolog.sh" <<'PROLOG'
#!/bin/sh
# Slurm's TaskProlog: what it prints as "export NAME=value" is set in the task's environment.
tmp=$(dirname "$0")/tmp/$SLURMD_NODENAME
echo "export TMPDIR=$tmp"
echo "export OMPI_MCA_btl_vader_backing_directory=$tmp"
PROLOG
    chmod 755 "$dir/task-prolog.sh"
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$SLURM_CONF" || die "slurmctld did not start"
    for ((k = 0; k < nodes; k++)); do
        slurmd -f "$SLURM_CONF" -N "${names[k]}" || die "slurmd -N ${names[k]} did not start"
    done

    local i idle=0
    for ((i = 0; i < 600; i++)); do
        idle=$(sinfo -h -N -n "$nodelist" -o "%N %T" 2>/dev/null | grep -c ' idle$' || true)
        ((idle == nodes)) && break
        sleep 0.1
    done
    ((idle == nodes)) || die "$idle of $nodes node(s) idle after 60 s (sinfo says:" \
        "$(sinfo -h -N -o '%N %T' 2>/dev/null | tr '\n' ' '))"
    echo "slurm-cluster: node(s) $nodelist idle ($cpus CPUs, $mem MB each) on ports" \
        "$ctld_port/${node_ports[*]}; export SLURM_CONF=$SLURM_CONF"
    trap - EXIT
}

case $action in
start) start ;;
stop) stop ;;
logs) logs ;;
env) echo "export SLURM_CONF=$(cd "$dir" && pwd)/slurm.conf" ;;
*) usage ;;
esac
