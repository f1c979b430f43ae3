#!/usr/bin/env bash
# Installs what parsweep needs to build and test, when it is missing. Idempotent: on a
# machine that has everything it only checks and says so.
#
#   scripts/install-deps.sh            build + test dependencies
#   PARSWEEP_SKIP_DEPS=1 make …        skip this check (modules loaded by hand, say)
#
# Debian / Ubuntu: installs the packages with apt-get (as root, or through sudo).
# Elsewhere: prints what to install (dnf, spack, environment modules) and stops, unless
# pkg-config already finds every library.
set -euo pipefail

if [[ "${PARSWEEP_SKIP_DEPS:-0}" == 1 ]]; then
    echo "install-deps: skipped (PARSWEEP_SKIP_DEPS=1)"
    exit 0
fi

# Debian package names, one per dependency (DESIGN.md "Dependencies").
DEBIAN_PACKAGES=(
    g++ cmake make pkg-config git          # toolchain (OpenMP is g++'s libgomp)
    libopenblas-dev liblapacke-dev         # BLAS and LAPACKE (OpenBLAS's LAPACK)
    nlohmann-json3-dev libcli11-dev libfmt-dev libhwloc-dev
    libgtest-dev libbenchmark-dev          # tests and micro-benchmarks
    clang libclang-rt-dev libomp-dev       # make fuzz: libFuzzer, and OpenMP for clang
    python3 python3-jsonschema             # the config schema test
    python3-matplotlib                     # plots/: charts and report.html (make plots)
    python3-numpy ripgrep                  # make bench-peers: the Python and rg peers
    chromium                               # the report test opens report.html headless
    slurm-wlm munge                        # the hpc tests start a one-node Slurm cluster
    openmpi-bin libopenmpi-dev             # the mpi launcher (parsweep-mpi-worker, mpirun)
    libopenblas0-openmp libblis4-openmp    # the blas axis tests: OpenBLAS's OpenMP build, BLIS
    liblapack3 libblas3                    # the blas axis tests: the reference LAPACK for BLIS
)

missing_debian() {
    local p out=()
    for p in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
    done
    echo "${out[@]:-}"
}

if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
    read -r -a missing <<<"$(missing_debian)"
    if [[ ${#missing[@]} -eq 0 ]]; then
        echo "install-deps: all ${#DEBIAN_PACKAGES[@]} packages present"
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
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
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
for pc in openblas lapacke hwloc fmt nlohmann_json; do
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
        json-devel cli11-devel fmt-devel hwloc-devel gtest-devel google-benchmark-devel \
        python3-jsonschema openmpi-devel
  Spack:
    spack install openblas netlib-lapack+lapacke nlohmann-json cli11 fmt hwloc googletest benchmark openmpi
    spack load openblas netlib-lapack nlohmann-json cli11 fmt hwloc googletest benchmark openmpi
  HPC environment modules (names vary by site; `module avail` lists them):
    module load gcc cmake openblas hwloc openmpi
MSG
exit 1
