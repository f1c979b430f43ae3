"""Kernel parameters in plain words, for the lines under a chart's name: "cubes (p = 3)",
"OpenMP chunk: the schedule's default" and "chunk size: 256 KiB" rather than p=3, chunk=0 and
chunk_bytes=262144. Each parameter the shipped kernels and lessons declare has its words here
(by kernel, or for every kernel that has it); any other is "name: value".
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from .load import param_text


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def count(v: Any) -> str:
    """12,345,678: thousands apart, so that a size reads at a glance."""
    return f"{v:,.0f}" if _number(v) and float(v).is_integer() else param_text(v)


def size_bytes(v: float) -> str:
    """256 KiB, 4 MiB, 64 B."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if v >= size:
            return f"{v / size:g} {unit}"
    return f"{v:g} B"


def _counted(noun: str) -> Callable:
    return lambda v: f"{count(v)} {noun}"


def _named(label: str, words: Optional[dict] = None) -> Callable:
    """label: the value's word, or the value as it is. A list (the command kernel's argv)
    or an object has no word: it is shown as it is."""
    def say(v: Any) -> str:
        word = (words or {}).get(v) if isinstance(v, (str, int, float, bool)) else None
        return f"{label}: {word if word is not None else param_text(v)}"
    return say


_MATRICES = {"n": lambda v: f"{count(v)}×{count(v)} matrices", "count": _counted("matrices")}

# kernel → parameter → its words; "*" for a parameter that means the same in every kernel.
# A function that returns None leaves the parameter out (it says nothing).
WORDS: dict = {
    "*": {
        "n": lambda v: f"n = {count(v)}",
        "chunk_bytes": lambda v: f"chunk size: {size_bytes(v)}" if _number(v) else param_text(v),
        "file": _named("text"),
        "words": _named("words"),
        "tokenizer": _named(
            "words",
            {"whitespace": "split at whitespace", "alpha": "runs of letters"},
        ),
        "fold_case": lambda v: "case-insensitive" if v else "case-sensitive",
        "samples": _counted("samples"),
        "seed": lambda v: f"seed {param_text(v)}",
        "count": _counted("items"),
        "method": _named("method"),
        "blas": _named("BLAS"),
        "bind": lambda v: f"OMP_PROC_BIND={param_text(v)}",
        "places": lambda v: f"OMP_PLACES={param_text(v)}",
        "cpu_set": _named("CPUs per process"),
    },
    "square": {
        "n": _counted("numbers"),
        "p": lambda v: {1: "the numbers themselves", 2: "squares", 3: "cubes"}.get(v, f"power {v}")
        + f" (p = {param_text(v)})",
        "mode": _named("loop", {"serial": "serial", "omp": "OpenMP parallel for"}),
        "schedule": _named("OpenMP schedule"),
        "chunk": lambda v: "OpenMP chunk: the schedule's default"
        if v == 0
        else f"OpenMP chunk: {count(v)} numbers",
    },
    "sum_cubes": {"n": _counted("numbers")},
    "split_sum": {"n": _counted("numbers")},
    "invert": {
        **_MATRICES,
        "method": _named(
            "method",
            {
                "gje": "Gauss-Jordan on OpenMP threads",
                "getri": "LAPACK getrf + getri on the BLAS's threads",
                "trtri": "LAPACK getrf + trtri",
            },
        ),
    },
    "pool_invert": _MATRICES,
    "blas_invert": _MATRICES,
    "triad": {
        "n": _counted("elements"),
        "passes": lambda v: f"{count(v)} pass{'' if v == 1 else 'es'}",
        "scalar": lambda v: f"s = {param_text(v)}",
    },
    "command": {
        "cmd": _named("command"),
        "argv": _named("command"),
        "items": lambda v: f"{count(v)} items" if v else None,
        "expect": _named("output must match"),
        "check": _named("checked by"),
        "workdir": _named("in"),
        "check_timeout_s": lambda v: f"check timeout {param_text(v)} s",
    },
}


def words(kernel: str, name: str, value: Any) -> Optional[str]:
    """One parameter in plain words; None when it says nothing (an empty value)."""
    if value in ("", []):
        return None
    say = WORDS.get(kernel, {}).get(name) or WORDS["*"].get(name)
    return say(value) if say else f"{name}: {param_text(value)}"


def line(params: dict, kernel: str = "", per_worker: Iterable = ()) -> str:
    """The parameters in plain words, " · " between them, in the order of WORDS (the size of
    the work first); a weak-scaling curve's work size, given per worker, says so."""
    order = list(WORDS.get(kernel, {})) + list(WORDS["*"])

    def place(item) -> int:
        return order.index(item[0]) if item[0] in order else len(order)

    parts = []
    for k, v in sorted(params.items(), key=place):
        text = words(kernel, k, v)
        if text:
            parts.append(text + (" per worker" if k in per_worker else ""))
    return " · ".join(parts)
