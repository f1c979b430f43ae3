"""One sentence per chart on how to read it, for the report. Kept beside each other so the
report reads as one voice, and filled in with the run's own numbers."""
from __future__ import annotations

from .load import Group, Run
from .style import METRIC_WORDS, fmt_time


def _metric(group: Group) -> str:
    return METRIC_WORDS[group.time_metric]


def _cores(run: Run, group: Group) -> str:
    cores = group.usable_cores(run)
    return f"{cores} usable cores" if cores else "the usable cores"


def speedup(run: Run, group: Group, facts: dict) -> str:
    base = group.baseline.setting if group.baseline else "1×1"
    if group.weak:
        return _weak_speedup(run, group, facts, base)
    text = (
        f"Each line is one way of spending P·T workers, starting at {base}: the black line "
        f"is ideal (twice the workers, half the time), below 1 the setting is slower than "
        f"{base}, and error bars run from the slowest to the fastest repetition "
        f"({base}'s median {_metric(group)} ÷ each repetition's)"
    )
    f = facts.get("serial_fraction")
    if f is not None:
        limit = f"at most {1 / f:.3g}× however many cores" if f > 1e-6 else "no serial limit"
        text += (
            f"; the Amdahl fit to the points with P·T ≤ "
            f"{group.usable_cores(run) or 'cores'} finds a serial fraction f = {f:.3f}, {limit}"
        )
    elif facts.get("no_speedup"):
        text += (
            "; no setting with a core per worker was clearly faster, so no Amdahl fit is "
            "drawn: on a flat curve it would find f ≈ 1 from noise"
        )
    return text + "."


def _weak_speedup(run: Run, group: Group, facts: dict, base: str) -> str:
    text = (
        f"Weak scaling: every worker has the same work, so P·T workers do P·T times "
        f"{base}'s. Each line is one way of spending them, starting at {base}; the scaled "
        f"speedup is P·T × {base}'s median {_metric(group)} ÷ the point's, the black line is "
        f"ideal (the time stays flat as the work grows), and error bars run from the slowest "
        f"to the fastest repetition"
    )
    f = facts.get("serial_fraction")
    if f is not None:
        text += (
            f"; Gustafson's law fitted to the points with P·T ≤ "
            f"{group.usable_cores(run) or 'cores'} finds a serial fraction f = {f:.3f} of the "
            f"parallel run's time (scaled speedup P·T − f·(P·T − 1))"
        )
    elif facts.get("no_speedup"):
        text += (
            "; no setting with a core per worker gained, so no Gustafson fit is drawn: on a "
            "flat curve it would find f ≈ 1 from noise"
        )
    return text + "."


def efficiency(run: Run, group: Group, facts: dict) -> str:
    if group.weak:
        base = group.baseline.setting if group.baseline else "1×1"
        return (
            f"Weak-scaling efficiency is {base}'s time divided by the point's, while the work "
            f"grows with P·T: 1 means the time stayed flat, and past the dotted line at "
            f"{_cores(run, group)} it must fall, because workers then share cores."
        )
    return (
        f"Efficiency is the speedup divided by P·T, the share of the workers' time that "
        f"does useful work: 1 means every worker pulls its full weight, and past the dotted "
        f"line at {_cores(run, group)} it must fall, because workers then share cores."
    )


def heatmap(run: Run, group: Group, facts: dict) -> str:
    return (
        f"Each cell is one processes × threads setting (left: median {_metric(group)} and its "
        f"ratio to the baseline's, blue faster and red slower, white the same, with the "
        f"colour bar's hatched band the typical 95% interval: a ratio inside it is noise; "
        f"right: efficiency, lighter is better); cells beyond the black staircase are "
        f"hatched because they run more workers than {_cores(run, group)}, and grey cells failed "
        f"or have not run."
    )


def bars(run: Run, group: Group, facts: dict) -> str:
    return (
        f"The settings that fit {_cores(run, group)} (blue) beside those that oversubscribe "
        f"them (orange, hatched): involuntary context switches count how often the OS "
        f"took a core from a running worker, and CPU utilisation (cores kept busy) cannot "
        f"rise above the cores however many workers wait for them."
    )


def overhead(run: Run, group: Group, facts: dict) -> str:
    return (
        "Each bar splits the repetition with the median wall time into its phases "
        "(top: in time, bottom: as shares of the wall time): when spawn and gather outweigh "
        "compute, the work is too small to split, and a bar above the dashed 1×1 line is "
        "slower than serial."
    )


def scaling(run: Run, axis: str, metric: str, facts: dict) -> str:
    per = " and ".join([f"{w} (by colour)" for w in facts.get("words") or []]
                       + ["processes × threads setting"])
    return (
        f"Median {METRIC_WORDS[metric]} against {axis}, one line per {per} on log scales: "
        f"lines that rise together scale the same way, and where "
        f"they cross, the best setting changes with {axis}. Error bars are the 95% "
        f"confidence interval of each point's mean time: where two settings' bars overlap, "
        f"the run cannot tell them apart."
    )


def _kernels(names: list, verb: str) -> str:
    """The start of a sentence: 'invert and pi count', 'wordcount counts'."""
    return f"{' and '.join(names)} {verb if len(names) > 1 else verb + 's'}"


def roofline(facts: dict) -> str:
    if not facts.get("roofline"):
        return (
            f"{_kernels(facts['no_flops'], 'count')} bytes but no flops, so no point has a "
            f"place on a roofline; each bar is a point's share of the STREAM triad bandwidth "
            f"at its P·T threads (roofline_fraction), and a bar above the dashed line reaches "
            f"{facts['guide']:g} of what the machine can do ({facts['near']} of "
            f"{facts['held']} points here)."
        ) + _roofline_notes(facts)
    text = (
        "Top: each roof is what the machine allows at P·T threads, min(DGEMM GFLOP/s, "
        "intensity × STREAM triad GB/s) from the run's calibration, in the colour of its "
        "thread count; each point is a kernel at one setting, placed at its arithmetic "
        "intensity and the GFLOP/s it achieved (median compute time), in its roof's colour. "
        "Left of the bend bandwidth holds a point back, right of it arithmetic; the closer a "
        "point sits under its own roof, the less there is left to gain."
    )
    shared = facts.get("shared_roofs")
    if shared:
        counts = "; ".join(", ".join(str(w) for w in ws) for ws in shared)
        text += (
            f" P·T = {counts} share one roof: beyond the calibrated thread counts the machine "
            "has no more to give."
        )
    if facts.get("at_edge"):
        text += (
            f" {_kernels(facts['at_edge'], 'count')} flops but no bytes (the work stays in "
            "registers and caches): with no finite intensity, those points stand in the strip "
            "at the right, under the DGEMM ceiling."
        )
    if facts.get("no_flops"):
        text += (
            f" {_kernels(facts['no_flops'], 'count')} bytes but no flops: those points are not "
            "on the roofline, and the lower panel judges them by bandwidth."
        )
    if facts.get("unnamed"):
        text += f" {facts['unnamed']} points stood too close together to be named."
    text += (
        f" Bottom: each point's share of its limit (roofline_fraction: GB/s over triad, or "
        f"GFLOP/s over DGEMM); a bar above the dashed line reaches {facts['guide']:g} of what "
        f"the machine can do ({facts['near']} of {facts['held']} points here)."
    )
    return text + _roofline_notes(facts)


def _roofline_notes(facts: dict) -> str:
    """The closest point, and what to make of shares above 1 or of merged runs' limits."""
    text = ""
    best = facts.get("best")
    if best:
        text += f" The closest: {best[0]} at {best[1]}, {best[2] * 100:.0f}% of its limit."
    if facts.get("above_one"):
        text += (
            " A share above 1 means the calibration ran while something else was using the "
            "machine: calibrate again when it is quiet (parsweep calibrate --force)."
        )
    if facts.get("sources_differ"):
        text += (
            " The runs merged here recorded different limits: the roofs are the first run's, "
            "each point's share is against its own run's."
        )
    return text


def compare(a_label: str, b_label: str, metric: str) -> str:
    return (
        f"Top: the median {METRIC_WORDS[metric]} of each setting in A ({a_label}, blue) "
        f"and B ({b_label}, orange, hatched), with whiskers from the fastest to the "
        f"slowest repetition; bottom: B's time ÷ A's, below 1 where B is faster."
    )


def methods(facts: dict) -> str:
    axis, metric = facts["axis"], METRIC_WORDS[facts["metric"]]
    text = (
        f"Each group of bars is one setting, each bar one {axis}'s median {metric} there, "
        f"with whiskers for the 95% confidence interval of its mean: where two whiskers "
        f"overlap, the run cannot tell those two apart. A slot marked ✗ failed had no "
        f"verified result, so it has no time"
    )
    if facts.get("failed"):
        text += f" ({', '.join(facts['failed'])})"
    fastest = facts.get("fastest")
    if fastest:
        text += f". At {facts['setting']} the fastest was {fastest[0]}, {fmt_time(fastest[1])}"
    return text + "."
