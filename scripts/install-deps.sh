#!/usr/bin/env bash
# Installs what parsweep needs, when it is missing. Idempotent: on a machine that has
# everything it only checks and says so.
#
#   scripts/install-deps.sh sweep      what `make sweep` needs: compiler, CMake, the libraries,
#                                      matplotlib for the charts (make sweep, make exercise)
#   scripts/install-deps.sh [test]     that and the test tools (make test, make build)
#   PARSWEEP_SKIP_DEPS=1 make …        skip this check (modules loaded by hand, say)
#
# Debian / Ubuntu: installs the packages with apt-get (as root, or through sudo). No system
# service is started or enabled by the install: Debian's maintainer scripts would start
# munged and the Slurm daemons (the tests start their own), so a policy-rc.d forbids starting
# any during the install, and the services of the packages it installed are disabled after.
# Elsewhere: prints what to install (dnf, spack, environment modules) and stops, unless
# pkg-config already finds every library.
set -euo pipefail

SET=${1:-test}
if [[ $SET != sweep && $SET != test ]]; then
    echo "install-deps: usage: $0 [sweep|test] (got \"$SET\")" >&2
    exit 2
fi
if [[ "${PARSWEEP_SKIP_DEPS:-0}" == 1 ]]; then
    echo "install-deps: skipped (PARSWEEP_SKIP_DEPS=1)"
    exit 0
fi

# Debian package names, one per dependency (DESIGN.md "Dependencies"). A sweep needs these:
SWEEP_PACKAGES=(
    g++ cmake make pkg-config              # toolchain (OpenMP is g++'s libgomp)
    libopenblas-dev liblapacke-dev         # BLAS and LAPACKE (OpenBLAS's LAPACK)
    nlohmann-json3-dev libcli11-dev libfmt-dev libhwloc-dev
    libxxhash-dev                          # the content hash of a run's input files (header only)
    python3-matplotlib                     # plots/: charts and report.html
    python3-numpy                          # lesson 12 and examples/: the workshop's numpy
    ca-certificates                        # make data: the workshop text over https
)
# The tests and the other targets add these:
TEST_PACKAGES=(
    git                                    # the tests read the commit a build records
    libgtest-dev libbenchmark-dev          # tests and micro-benchmarks
    clang libclang-rt-dev libomp-dev       # make fuzz (libFuzzer), the clang/libomp build
    python3-jsonschema                     # the config schema test
    ripgrep                                # make bench-peers: the rg peer (numpy: above)
    chromium                               # the report test opens report.html headless
    slurm-wlm munge                        # the hpc tests start a two-node Slurm cluster
    openmpi-bin libopenmpi-dev             # the mpi launcher (parsweep-mpi-worker, mpirun)
    zsh                                    # the packaging test checks the zsh completion
    libopenblas0-openmp libblis4-openmp    # the blas axis tests: OpenBLAS's OpenMP build, BLIS
    liblapack3 libblas3                    # the blas axis tests: the reference LAPACK for BLIS
)
# CXX=clang++ (make sweep CXX=clang++): clang, and LLVM's libomp for its OpenMP.
[[ ${CXX:-} == *clang* ]] && SWEEP_PACKAGES+=(clang libomp-dev)
DEBIAN_PACKAGES=("${SWEEP_PACKAGES[@]}")
[[ $SET == test ]] && DEBIAN_PACKAGES+=("${TEST_PACKAGES[@]}")

missing_debian() {
    local p out=()
    for p in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
    done
    echo "${out[@]:-}"
}

# apt-get install with no service started (policy-rc.d, which invoke-rc.d and
# deb-systemd-invoke obey) and, after, the installed packages' services disabled (their
# maintainer scripts enable them for the next boot). A policy-rc.d already there is the
# administrator's and is kept.
install_without_services() {
    local policy=/usr/sbin/policy-rc.d ours=0 p unit
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# parsweep install-deps: no service starts during the install\nexit 101\n' |
            "${SUDO[@]}" tee "$policy" >/dev/null
        "${SUDO[@]}" chmod 755 "$policy"
        ours=1
    fi
    local status=0
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" || status=$?
    [[ $ours == 1 ]] && "${SUDO[@]}" rm -f "$policy"
    [[ $status == 0 ]] || return $status
    local disabled=()
    for p in "$@"; do
        while read -r unit; do
            unit=$(basename "$unit")
            if command -v deb-systemd-helper >/dev/null; then
                "${SUDO[@]}" deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true
            fi
            if [[ -x /usr/sbin/update-rc.d && -e /etc/init.d/${unit%.service} ]]; then
                "${SUDO[@]}" update-rc.d "${unit%.service}" disable >/dev/null 2>&1 || true
            fi
            disabled+=("${unit%.service}")
        done < <(dpkg -L "$p" 2>/dev/null | grep -E '^/(usr/)?lib/systemd/system/[^/]+\.service$' || true)
    done
    if [[ ${#disabled[@]} -gt 0 ]]; then
        echo "install-deps: installed, not started and not enabled: ${disabled[*]}" \
             "(the tests start their own daemons)"
    fi
}

if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
    read -r -a missing <<<"$(missing_debian)"
    if [[ ${#missing[@]} -eq 0 ]]; then
        echo "install-deps: all ${#DEBIAN_PACKAGES[@]} packages for $SET present"
        exit 0
    fi
    echo "install-deps: installing ${missing[*]}"
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null; then
            SUDO=(sudo)
        else
            echo "install-deps: not root and no sudo; ask an administrator to run:" >&2
            echo "  apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    install_without_services "${missing[@]}"
    read -r -a still <<<"$(missing_debian)"
    if [[ ${#still[@]} -ne 0 ]]; then
        echo "install-deps: still missing after apt-get: ${still[*]}" >&2
        exit 1
    fi
    echo "install-deps: done"
    exit 0
fi

# Not Debian: good enough if the libraries are already visible (modules loaded, spack env).
ok=1
for pc in openblas lapacke hwloc fmt nlohmann_json libxxhash; do
    pkg-config --exists "$pc" 2>/dev/null || ok=0
done
if [[ $ok == 1 ]] && command -v cmake >/dev/null && command -v c++ >/dev/null; then
    echo "install-deps: not a Debian system, but pkg-config finds every library; going on"
    exit 0
fi
cat >&2 <<'MSG'
install-deps: this is not a Debian/Ubuntu system and some dependencies are not found.
Install them, then run make again (or set PARSWEEP_SKIP_DEPS=1 to skip this check):

  Fedora / RHEL / Rocky (dnf, EPEL for some):
    dnf install gcc-c++ cmake make pkgconf-pkg-config git openblas-devel lapack-devel \
        json-devel cli11-devel fmt-devel hwloc-devel xxhash-devel gtest-devel google-benchmark-devel \
        python3-jsonschema openmpi-devel
  Spack:
    spack install openblas netlib-lapack+lapacke nlohmann-json cli11 fmt hwloc xxhash googletest benchmark openmpi
    spack load openblas netlib-lapack nlohmann-json cli11 fmt hwloc xxhash googletest benchmark openmpi
  HPC environment modules (names vary by site; `module avail` lists them):
    module load gcc cmake openblas hwloc openmpi
MSG
exit 1
