"""Speedup and efficiency against the number of workers P·T, one line per way of spending
them (processes only, threads only, mixed); the 1×1 point starts every line.

Values are the harness's (derived.speedup, derived.efficiency: the baseline's median time
over the point's, in the point's time metric). Error bars span the repetitions: the
baseline's median time over each verified repetition's time, fastest to slowest.

A weak-scaling group (the work grew with P·T) shows the scaled speedup, P·T × the baseline's
time over the point's, with Gustafson's law fitted where a strong one has Amdahl's; each
chart's title names the scaling it shows.
"""
from __future__ import annotations

from typing import Optional

from matplotlib.ticker import LogLocator

from . import style
from .fit import amdahl_speedup, fit_amdahl, fit_gustafson, gustafson_speedup
from .load import MIXED, PROCESSES, SERIAL, THREADS, WAYS, Group, Point, Run

SPEEDUP, EFFICIENCY = "speedup", "efficiency"

# Points of different ways often share a worker count (4×1, 1×4, 2×2): each way is nudged
# sideways a little (the x axis is log2) so that no marker or error bar hides another.
DODGE = {PROCESSES: 2**-0.05, THREADS: 1.0, MIXED: 2**0.05, SERIAL: 1.0}

LEGEND_FIRST = [style.WAY_STYLE[w]["label"] for w in WAYS + (SERIAL,)]


def _base_workers(group: Group) -> int:
    b = group.baseline
    return b.workers if b else 1


def _factor(metric: str, point: Point, group: Group) -> float:
    """The metric over base time ÷ time: efficiency is speedup per worker, counted relative
    to the baseline's workers; a weak point's speedup is scaled by those workers, so that
    its efficiency is base time ÷ time itself."""
    relative = point.workers / _base_workers(group)
    if group.weak:
        return 1.0 if metric == EFFICIENCY else relative
    return 1.0 / relative if metric == EFFICIENCY else 1.0


def scaling_name(group: Group) -> str:
    """Which scaling a chart shows, for its title."""
    return "weak scaling" if group.weak else "strong scaling"


def rep_range(metric: str, point: Point, group: Group) -> Optional[tuple]:
    """(lowest, highest) value of the metric over the point's repetitions."""
    base = group.baseline
    base_time = base.time_s if base else None
    times = point.rep_values(point.time_metric)
    if not base_time or len(times) < 2 or min(times) <= 0:
        return None
    m = _factor(metric, point, group)
    return base_time / max(times) * m, base_time / min(times) * m


def _line(group: Group, way: str, metric: str) -> tuple:
    """The points of one way of spending workers, 1×1 first: those on its line and the rest.

    Two mixed settings can share a worker count (2×4 and 4×2): the line goes through the
    better of them and the other is a marker of its own, so the line never doubles back.
    """
    by_workers: dict = {}
    for p in group.points:
        if p.way in (way, SERIAL):
            by_workers.setdefault(p.workers, []).append(p)
    on_line, others = [], []
    for workers in sorted(by_workers):
        same = sorted(by_workers[workers], key=lambda p: -(p.value(metric) or -1.0))
        on_line.append(same[0])
        others.extend(same[1:])
    return on_line, others


def _x(p: Point, way: str, group: Group) -> float:
    return p.workers if p.workers == _base_workers(group) else p.workers * DODGE[way]


def _errorbars(ax, pts: list, way: str, group: Group, metric: str, **kw) -> list:
    """One series; a failed point is a NaN, so the line breaks there instead of bridging it.
    Returns the ends of the error bars, for the axis limits."""
    ys = [p.value(metric) if p.value(metric) is not None else float("nan") for p in pts]
    lo, hi = [], []
    for p, y in zip(pts, ys):
        # The 1×1 point starts every line; its own error bar is drawn once, in black.
        r = rep_range(metric, p, group) if y == y and (p.way != SERIAL or way == SERIAL) else None
        lo.append(max(y - r[0], 0) if r else 0)
        hi.append(max(r[1] - y, 0) if r else 0)
    ax.errorbar(
        [_x(p, way, group) for p in pts],
        ys,
        yerr=[lo, hi],
        capsize=4,
        elinewidth=1.3,
        zorder=3,
        **kw,
    )
    return [y - d for y, d in zip(ys, lo) if y == y] + [y + d for y, d in zip(ys, hi) if y == y]


def _draw_lines(ax, group: Group, metric: str) -> list:
    """Each way's line with error bars; mixed points are named with their P×T."""
    drawn = []
    for way in WAYS:
        on_line, others = _line(group, way, metric)
        if not any(p.way == way for p in on_line):
            continue
        st = style.WAY_STYLE[way]
        drawn += _errorbars(ax, on_line, way, group, metric, **st)
        if others:
            drawn += _errorbars(
                ax,
                others,
                way,
                group,
                metric,
                color=st["color"],
                marker=st["marker"],
                linestyle="",
                markerfacecolor="white",
            )
        # The name of a point off the line goes below it, clear of the line's.
        for p, below in [(p, False) for p in on_line] + [(p, True) for p in others]:
            y = p.value(metric)
            if p.way == way == MIXED and y is not None:
                ax.annotate(
                    p.setting,
                    (_x(p, way, group), y),
                    xytext=(8, -6 if below else 6),
                    textcoords="offset points",
                    fontsize=11,
                    color=st["color"],
                    va="top" if below else "bottom",
                )
    serial = [p for p in group.points if p.way == SERIAL]
    if serial:
        drawn += _errorbars(ax, serial, SERIAL, group, metric, **style.WAY_STYLE[SERIAL])
    return drawn


def _need_curve(group: Group) -> None:
    if group.baseline is None or not group.baseline.ok:
        raise style.Skip(
            "its baseline, the point speedup is measured against, has no verified time"
        )
    if len({p.workers for p in group.points}) < 2:
        raise style.Skip("it was measured with one worker count only: there is no curve to draw")
    if not any(p.value(SPEEDUP) is not None for p in group.points if p is not group.baseline):
        raise style.Skip("the run recorded no speedup for it (derived.speedup is missing)")


def _axes(run: Run, group: Group, metric: str):
    """A figure with what both charts share: the workers axis, the usable cores, the
    failed marks, the lines."""
    _need_curve(group)
    fig, ax = style.figure()
    style.workers_axis(ax, [p.workers for p in group.points])
    style.mark_cores(ax, group.usable_cores(run))
    style.shade_oversubscribed(ax, group.usable_cores(run))
    style.mark_failed(ax, [p.workers for p in group.points if not p.ok])
    return fig, ax, _draw_lines(ax, group, metric)


# Below this best speedup (or above this serial fraction) the points show no gain to fit: a
# flat curve would fit f ≈ 1, which reads as a finding when it is only "no speedup".
MIN_FIT_SPEEDUP = 1.1
MAX_FIT_FRACTION = 0.95


def _serial_fit(ax, run: Run, group: Group, xs: list) -> tuple:
    """Fits the law of the group's scaling, Amdahl's (strong) or Gustafson's (weak), to the
    points that have a core each (P·T ≤ usable cores): past the cores, time-sharing, not the
    serial fraction, caps the speedup. Where those points show no speedup, no line is drawn
    and the legend says why. Returns (f or None, whether the points showed no speedup)."""
    cores = group.usable_cores(run) or max(p.workers for p in group.points)
    fit_pts = [p for p in group.points if p.workers <= cores and p.value(SPEEDUP) is not None]
    base = _base_workers(group)
    fit, law, name = (
        (fit_gustafson, gustafson_speedup, "Gustafson")
        if group.weak
        else (fit_amdahl, amdahl_speedup, "Amdahl")
    )
    f = fit([p.workers for p in fit_pts], [p.value(SPEEDUP) for p in fit_pts], base)
    if f is None:
        return None, False
    best = max((p.value(SPEEDUP) for p in fit_pts if p.workers != base), default=1.0)
    if best < MIN_FIT_SPEEDUP or f >= MAX_FIT_FRACTION:
        # An empty handle: the legend carries the sentence, the chart no line.
        ax.plot([], [], " ", label=no_fit_label(name, best, cores))
        return None, True
    ax.plot(
        xs,
        [law(x, f, base) for x in xs],
        color=style.PURPLE,
        linestyle=(0, (10, 3)),
        linewidth=2,
        zorder=2,
        label=f"{name} fit: serial fraction f = {f:.3f}\n(fitted to P·T ≤ {cores})",
    )
    return f, False


def no_fit_label(law: str, best: float, cores: int) -> str:
    article = "an" if law[0] in "AEIOU" else "a"
    return (
        f"no speedup (best {style.fmt_ratio(best)}× at P·T ≤ {cores}):\n"
        f"{article} {law} fit would be meaningless"
    )


def draw_speedup(run: Run, group: Group):
    fig, ax, drawn = _axes(run, group, SPEEDUP)
    lo, hi = min(p.workers for p in group.points), max(p.workers for p in group.points)
    base = _base_workers(group)
    xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]  # even steps on the log2 axis
    # No more than the usable cores can run at once: past them the ideal stays flat, so that
    # a 16× ideal on 2 cores neither promises what the machine cannot give nor squashes the data.
    cores = max(group.usable_cores(run) or hi, base)
    ideal = [min(x, cores) / base for x in xs]
    ideal_s = "S = P·T" if base == 1 else f"S = P·T ÷ {base}"
    if cores < hi:
        ideal_s += f" up to {cores} cores, flat beyond"
    ax.plot(
        xs,
        ideal,
        color=style.BLACK,
        linewidth=1.2,
        zorder=2,
        # Weak: P·T times the work in the baseline's time; strong: the work in 1/P·T of it.
        label=f"ideal ({ideal_s}: the time stays flat)" if group.weak else f"ideal ({ideal_s})",
    )
    ax.axhline(1, color=style.GREY, linewidth=1, zorder=1)
    f, no_speedup = _serial_fit(ax, run, group, xs)
    # Log scale: a speedup of 0.04 (25× slower) must be as visible as one of 4.
    ax.set_yscale("log")
    ax.set_ylim(min(drawn + ideal + [1]) / 1.6, max(drawn + ideal) * 1.6)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs="auto", numticks=50))
    style.label_ticks(ax.yaxis)
    metric = style.METRIC_WORDS[group.time_metric]
    if group.weak:
        ax.set_ylabel(
            f"scaled speedup over {group.baseline.setting}\n"
            f"(P·T × its median {metric} ÷ the point's; work ∝ P·T)"
        )
        ax.set_xlabel("workers P·T (processes × threads); the work grows with P·T")
    else:
        ax.set_ylabel(f"speedup over {group.baseline.setting}\n(median {metric}; below 1 = slower)")
    style.legend_outside(ax, LEGEND_FIRST)
    chart = "Scaled speedup" if group.weak else "Speedup"
    style.group_title(fig, f"{chart} ({scaling_name(group)})", run, group)
    return fig, {"serial_fraction": f, "no_speedup": no_speedup}


def draw_efficiency(run: Run, group: Group):
    fig, ax, drawn = _axes(run, group, EFFICIENCY)
    ideal = "ideal (the time stays flat)" if group.weak else "ideal (every worker busy)"
    ax.axhline(1, color=style.BLACK, linewidth=1.2, zorder=2, label=ideal)
    ax.set_ylim(0, max([1.0] + drawn) * 1.12)
    if group.weak:
        base = group.baseline.setting
        ax.set_ylabel(f"weak-scaling efficiency\n= {base}'s time ÷ the point's (work ∝ P·T)")
        ax.set_xlabel("workers P·T (processes × threads); the work grows with P·T")
    else:
        ax.set_ylabel("efficiency = speedup ÷ P·T")
    style.legend_outside(ax, LEGEND_FIRST)
    style.group_title(fig, f"Efficiency ({scaling_name(group)})", run, group)
    return fig, {}
