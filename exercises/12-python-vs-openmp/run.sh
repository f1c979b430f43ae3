#!/usr/bin/env bash
# Lesson 12's way to run: the lesson's sweep, whose Python runs (the `command` kernel) call
# lesson12.py with the learner's workshop.py (starter/ or solution/), beside the C++ kernels.
#
#   exercises/12-python-vs-openmp/run.sh starter|solution CONFIG OUT   (`make exercise N=12`)
#
# The Python: $PYTHON when set, else the first of `python3` on PATH and /usr/bin/python3 that
# has numpy (a pyenv or venv python3 often has not; Debian's python3-numpy is in
# /usr/bin/python3). None: a message saying what to install, exit 2. The config runs
# `lesson12 …` (bin/lesson12: lesson12.py on that Python), found on PATH, with the learner's
# code in LESSON12_CODE. PARSWEEP (default build/parsweep) is the binary that runs the sweep;
# the exit status is its own (0 every point verified, 1 some failed, 2 bad input).
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 starter|solution CONFIG OUT" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ -f $here/$1/workshop.py ]] || { echo "$0: no $here/$1/workshop.py (starter or solution?)" >&2; exit 2; }

has_numpy() { "$1" -c 'import numpy' >/dev/null 2>&1; }
if [[ -n ${PYTHON:-} ]]; then
    python=$(command -v "$PYTHON") || { echo "$0: PYTHON=$PYTHON: no such program" >&2; exit 2; }
    has_numpy "$python" || { echo "$0: PYTHON=$python has no numpy: install it ($python -m pip install numpy) or name another python3" >&2; exit 2; }
else
    python=
    for candidate in python3 /usr/bin/python3; do
        if command -v "$candidate" >/dev/null && has_numpy "$candidate"; then
            python=$(command -v "$candidate")
            break
        fi
    done
    if [[ -z $python ]]; then
        echo "$0: no python3 with numpy (tried python3 on PATH: $(command -v python3 || echo none), and /usr/bin/python3)." >&2
        echo "  Install it — sudo apt-get install python3-numpy (Debian, Ubuntu), or python3 -m pip install numpy —" >&2
        echo "  or name a Python that has it: PYTHON=/path/to/python3 make exercise N=12" >&2
        exit 2
    fi
fi
echo "python: $python (numpy $("$python" -c 'import numpy; print(numpy.__version__)'))"

export LESSON12_PYTHON=$python LESSON12_CODE=$here/$1 PATH=$here/bin:$PATH
exec "${PARSWEEP:-$root/build/parsweep}" run "$2" --out "$3"
