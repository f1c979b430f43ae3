"""Where the wall time of each setting went: spawn, dispatch, compute, load imbalance,
gather — and, for the command kernel, the user's program starting before its parsweep-time. The lesson it makes visible: for small work (squaring 1,000 numbers) starting
workers costs more than the work, and parallel is slower than serial.

Phases are taken from one repetition per point, the one with the median wall time, so the
stack adds up to a time that was measured (medians of each phase need not add up).
compute_s spans the workers' first batch start to the last batch end, and imbalance_s (the
slowest minus the fastest worker's busy time) lies inside it: the stack shows
compute − imbalance and imbalance one above the other. Spawn, compute and gather are
disjoint intervals of the wall time; the rest of it is dispatch ("go" sent → a worker's first
batch, where it precedes the compute span) and the parent's hand-offs. dispatch_s itself
is not stacked: it ends when the *last* worker starts, inside the compute span.
"""
from __future__ import annotations

from typing import Optional

from . import style
from .load import Group, Point, Run

PHASES = (
    # (name, colour, hatch, what it is)
    ("spawn", style.ORANGE, "//", "spawn: processes, libraries, input, OpenMP team"),
    ("setup", style.SKY_BLUE, "++", "your program starting: before its parsweep-time"),
    ("compute", style.BLUE, "", "compute (balanced part)"),
    ("imbalance", style.PURPLE, "xx", "load imbalance: slowest − fastest worker"),
    ("gather", style.GREEN, "\\\\", "gather: last result back to the parent"),
    ("other", style.LIGHT_GREY, "..", "dispatch and hand-offs: the rest"),
)


def median_rep(point: Point) -> Optional[dict]:
    """The verified repetition whose wall time is the median (the lower one of two)."""
    reps = [
        r
        for r in point.reps
        if r.get("verified", True) and isinstance(r.get("wall_s"), (int, float))
    ]
    if not point.ok or not reps:
        return None
    reps.sort(key=lambda r: r["wall_s"])
    return reps[(len(reps) - 1) // 2]


def phases(point: Point) -> Optional[dict]:
    """Seconds per phase of the median repetition; without repetitions, the point's medians."""
    rep = median_rep(point)
    if rep is None and point.ok:  # a hand-trimmed sweep.json: the medians are all there is
        rep = {
            k: point.stat(k) or 0.0
            for k in ("wall_s", "spawn_s", "compute_s", "gather_s", "imbalance_s")
        }
    if rep is None:
        return None

    def get(k):
        v = rep.get(k)
        return max(float(v), 0.0) if isinstance(v, (int, float)) else 0.0

    wall, imbalance = get("wall_s"), get("imbalance_s")
    out = {
        "spawn": get("spawn_s"),
        "compute": max(get("compute_s") - imbalance, 0.0),
        "imbalance": imbalance,
        "gather": get("gather_s"),
    }
    rest = max(wall - sum(out.values()), 0.0)
    # A command kernel's program that printed parsweep-time started up before it: part of
    # what would otherwise be the rest (its result's setup_s, the longest over its workers).
    result = rep.get("result")
    setup = result.get("setup_s") if isinstance(result, dict) else None
    out["setup"] = min(max(float(setup), 0.0), rest) if isinstance(setup, (int, float)) else 0.0
    out["other"] = rest - out["setup"]
    out["wall"] = wall
    return out


def _height(split: Optional[dict], phase: str, share: bool, scale: float) -> float:
    """A phase's bar: its percentage of the wall time, or its time in the chart's unit."""
    if not split or not split["wall"]:
        return 0.0
    return 100 * split[phase] / split["wall"] if share else split[phase] / scale


def draw_overhead(run: Run, group: Group):
    pts = group.points
    split = {p.index: phases(p) for p in pts}
    if not any(split.values()):
        raise style.Skip("no point of it has a verified repetition")
    fig, (ax_abs, ax_share) = style.figure(
        style.FIG_TALL, nrows=2, sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    xs = list(range(len(pts)))
    scale, unit = style.time_unit([s["wall"] for s in split.values() if s])
    # A program's own start-up is a phase only where there is one (the command kernel).
    shown = [ph for ph in PHASES
             if ph[0] != "setup" or any(s and s["setup"] > 0 for s in split.values())]
    for ax, share in ((ax_abs, False), (ax_share, True)):
        bottoms = [0.0] * len(pts)
        for name, color, hatch, label in shown:
            heights = [_height(split[p.index], name, share, scale) for p in pts]
            ax.bar(
                xs,
                heights,
                bottom=bottoms,
                color=color,
                hatch=hatch,
                edgecolor="white",
                width=0.72,
                label=label,
            )
            bottoms = [b + h for b, h in zip(bottoms, heights)]
        ax.grid(axis="x", visible=False)
        style.mark_failed(ax, [x for x, p in zip(xs, pts) if not p.ok])
    for x, p in zip(xs, pts):
        s = split[p.index]
        if s:
            ax_abs.annotate(
                style.fmt_time(s["wall"]),
                (x, s["wall"] / scale),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=10.5,
            )
    base = group.baseline
    if base and split.get(base.index):
        ax_abs.axhline(
            split[base.index]["wall"] / scale,
            color=style.BLACK,
            linestyle="--",
            linewidth=1.5,
            label=f"{base.setting} wall time: above it, slower than serial",
        )
    ax_share.set_xticks(xs, [p.setting for p in pts])
    ax_share.set_xlabel("processes × threads")
    ax_abs.margins(y=0.12)
    ax_abs.set_ylabel(f"wall time ({unit}), median repetition")
    ax_share.set_ylabel("share of the wall time (%)")
    ax_share.set_ylim(0, 100)
    # The legend lists the phases top to bottom, as the bars stack them.
    style.legend_outside(ax_abs, [label for *_, label in reversed(shown)], fontsize=11)
    style.group_title(fig, "Overhead", run, group)
    return fig, {}
