"""Oversubscription: what happens when processes × threads exceeds the usable cores.

A heatmap of the processes × threads grid (median time, and efficiency) with the
P·T = usable-cores boundary drawn and the oversubscribed cells hatched; and bars that put
the settings that fit the cores beside those that oversubscribe them, with the involuntary
context switches (the OS taking a CPU away) and the CPU utilisation that explain the time.
"""
from __future__ import annotations

import math
import statistics
from typing import Optional

import matplotlib.patheffects as pe
from matplotlib.colors import LogNorm, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import LogLocator

from . import style
from .load import Group, Run

# Light where the setting is good in both panels: short times, high efficiency.
TIME_CMAP = "cividis_r"
# Time relative to the baseline: blue faster, white the same, red slower (a diverging map
# that stays readable with common colour-vision deficiencies).
RATIO_CMAP = "RdBu_r"
EFFICIENCY_CMAP = "cividis"


def _grid_points(group: Group) -> dict:
    """(P, T) → point, for the grid proper: a baseline measured off the grid has no cell."""
    return {(p.processes, p.threads): p for p in group.points if not p.baseline_only}


def _cell_text(ax, x, y, text, color=style.BLACK, boxed=False):
    box = (
        dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.8)
        if boxed
        else None
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=12, color=color, bbox=box, zorder=4)


def _boundary(ax, procs: list, threads: list, cores: int) -> None:
    """The staircase between cells with P·T ≤ cores and cells beyond them."""

    def inside(i, j):
        return procs[i] * threads[j] <= cores

    segments = []
    for i in range(len(procs)):
        for j in range(len(threads)):
            if j + 1 < len(threads) and inside(i, j) != inside(i, j + 1):
                segments.append(([j + 0.5, j + 0.5], [i - 0.5, i + 0.5]))
            if i + 1 < len(procs) and inside(i, j) != inside(i + 1, j):
                segments.append(([j - 0.5, j + 0.5], [i + 0.5, i + 0.5]))
    halo = [pe.Stroke(linewidth=6, foreground="white"), pe.Normal()]
    for xs, ys in segments:
        ax.plot(
            xs,
            ys,
            color=style.BLACK,
            linewidth=3,
            solid_capstyle="projecting",
            path_effects=halo,
            zorder=5,
        )


def _heat_panel(
    ax, group: Group, run: Run, procs, threads, value_of, norm, cmap, fmt, label, cell_fmt=None
):
    """One panel; the colour bar is labelled with fmt, each cell with cell_fmt(point) (its
    value in fmt by default). Returns the colour bar, or None when no cell has a value."""
    cell_fmt = cell_fmt or (lambda p: fmt(value_of(p)))
    cells = _grid_points(group)
    planned = set(group.expected)
    grid = [[math.nan] * len(threads) for _ in procs]
    for i, P in enumerate(procs):
        for j, T in enumerate(threads):
            p = cells.get((P, T))
            v = value_of(p) if p else None
            if v is not None:
                grid[i][j] = v
    image = ax.imshow(grid, origin="lower", cmap=cmap, norm=norm, aspect="auto")
    image.cmap.set_bad(style.LIGHT_GREY)
    cores = group.usable_cores(run)
    for i, P in enumerate(procs):
        for j, T in enumerate(threads):
            p = cells.get((P, T))
            over = bool(cores) and P * T > cores
            if over:
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        fill=False,
                        linewidth=0,
                        hatch=style.OVERSUBSCRIBED_HATCH,
                        edgecolor="white",
                        alpha=0.55,
                        zorder=3,
                    )
                )
            if p is None:
                _cell_text(
                    ax, j, i, "not run yet" if (P, T) in planned else "not in grid", style.GREY
                )
            elif not p.ok:
                _cell_text(ax, j, i, f"{style.FAILED_MARK} failed", style.FAILED_COLOR, boxed=True)
            elif value_of(p) is None:
                _cell_text(ax, j, i, "–", style.GREY)
            else:
                _cell_text(ax, j, i, cell_fmt(p), boxed=True)
    if cores:
        _boundary(ax, procs, threads, cores)
    empty = all(math.isnan(v) for row in grid for v in row)
    ax.set_xticks(range(len(threads)), [str(t) for t in threads])
    ax.set_yticks(range(len(procs)), [str(p) for p in procs])
    ax.set_xlabel("threads per process T")
    ax.set_ylabel("processes P")
    ax.grid(False)
    ax.set_title(label + ("\n(no values)" if empty else ""), fontsize=14)
    if empty:
        return None  # a colour bar would have no range
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
    bar.ax.tick_params(labelsize=11)
    if isinstance(norm, LogNorm):  # times: 1-2-5 ticks, labelled in their unit
        bar.ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    style.label_ticks(bar.ax.yaxis, fmt)
    return bar


# The colours of the time panel span at least this ratio to the baseline either way, so that
# a spread of a few percent (noise, on a busy machine) stays pale instead of filling the scale.
MIN_RATIO_SPAN = 2.0


def noise_of(group: Group) -> Optional[float]:
    """The typical relative 95% interval of the group's times (the median over its points of
    ci95 ÷ mean): a ratio to the baseline within 1 ± this is not told apart from noise."""
    rel = []
    for p in group.points:
        mean, ci95 = p.stat(p.time_metric, "mean"), p.stat(p.time_metric, "ci95")
        if p.ok and mean and ci95 is not None:
            rel.append(ci95 / mean)
    return statistics.median(rel) if rel else None


def _time_panel(ax, run: Run, group: Group, procs, threads) -> None:
    """Median time of each cell, coloured by its ratio to the baseline's on a log scale centred
    on 1 (white: as fast as the baseline), with the noise band marked on the colour bar. Without
    a baseline time, by the times themselves."""
    metric = style.METRIC_WORDS[group.time_metric]
    base = group.baseline
    cells = _grid_points(group)
    if base is None or not base.ok:
        times = [p.time_s for p in cells.values() if p.time_s]
        spread = len(times) > 1 and min(times) < max(times)
        norm = LogNorm(min(times), max(times)) if spread else None
        label = f"median {metric} (lighter = faster)"
        _heat_panel(
            ax, group, run, procs, threads, lambda p: p.time_s, norm, TIME_CMAP, style.fmt_time,
            label
        )
        return
    ratios = [p.time_s / base.time_s for p in cells.values() if p.time_s]
    span = max([MIN_RATIO_SPAN] + [max(r, 1 / r) for r in ratios]) * 1.05
    bar = _heat_panel(
        ax,
        group,
        run,
        procs,
        threads,
        lambda p: p.time_s / base.time_s if p.time_s else None,
        LogNorm(1 / span, span),
        RATIO_CMAP,
        lambda r: f"{style.fmt_sig(r, 2)}×",
        f"median {metric} ÷ {base.setting}'s\n(blue = faster, red = slower)",
        lambda p: f"{style.fmt_time(p.time_s)}\n{style.fmt_ratio(p.time_s / base.time_s)}×",
    )
    noise = noise_of(group)
    if bar is not None and noise:
        low, high = max(1 / (1 + noise), 1 / span), min(1 + noise, span)
        bar.ax.axhspan(
            low, high, facecolor="none", edgecolor=style.BLACK, hatch="xx", linewidth=0.8
        )
        bar.set_label(
            f"hatched: within the noise (±{noise:.0%}, typical 95% interval)", fontsize=11
        )


def draw_heatmap(run: Run, group: Group):
    cells = _grid_points(group)
    keys = set(cells) | set(group.expected)
    procs = sorted({P for P, _ in keys})
    threads = sorted({T for _, T in keys})
    if len(procs) * len(threads) < 2:
        raise style.Skip("it has a single processes × threads setting: no grid to compare")
    fig, (ax_t, ax_e) = style.figure(ncols=2)
    _time_panel(ax_t, run, group, procs, threads)
    effs = [p.value("efficiency") for p in cells.values() if p.value("efficiency") is not None]
    _heat_panel(
        ax_e,
        group,
        run,
        procs,
        threads,
        lambda p: p.value("efficiency"),
        Normalize(0, max([1.0] + effs)),
        EFFICIENCY_CMAP,
        style.fmt_ratio,
        "efficiency = speedup ÷ P·T (lighter = better)",
    )
    handles = [
        Patch(
            facecolor=style.LIGHT_GREY,
            hatch=style.OVERSUBSCRIBED_HATCH,
            edgecolor="white",
            label="oversubscribed: P·T > usable cores",
        )
    ]
    if group.usable_cores(run):
        handles.insert(
            0,
            Line2D(
                [],
                [],
                color=style.BLACK,
                linewidth=3,
                label=f"boundary P·T = {group.usable_cores(run)} usable cores",
            ),
        )
    # Below the figure: bbox_inches="tight" on save takes it in, and it covers no cell.
    fig.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2, frameon=False
    )
    style.group_title(fig, "Oversubscription", run, group)
    return fig, {}


# --- matched vs oversubscribed bars ----------------------------------------------------

REFERENCE, MATCHED, OVER = "reference", "matched", "over"


def _classes(group: Group, cores: int) -> tuple:
    """Which settings the bars compare: the 1×1 reference, the settings that use the cores
    best without exceeding them (the largest P·T ≤ cores), and every oversubscribed one.
    Returns ({point index: class}, the matched P·T or None)."""
    fits = [p.workers for p in group.points if p.workers <= cores]
    matched = max(fits) if fits else None
    out = {}
    for p in group.points:
        if p.workers > cores:
            out[p.index] = OVER
        elif p.workers == matched:
            out[p.index] = MATCHED
        elif p.workers == 1:
            out[p.index] = REFERENCE
    return out, matched


def draw_bars(run: Run, group: Group):
    cores = group.usable_cores(run)
    if not cores:
        raise style.Skip("the run did not record its usable cores")
    classes, matched = _classes(group, cores)
    if OVER not in classes.values():
        raise style.Skip(f"no setting exceeds the {cores} usable cores")
    pts = [p for p in group.points if p.index in classes]
    class_style = {
        REFERENCE: dict(color=style.SKY_BLUE, hatch="..", label="1×1 reference"),
        MATCHED: dict(color=style.BLUE, hatch="", label=f"fits the cores (P·T = {matched})"),
        OVER: dict(
            color=style.ORANGE,
            hatch=style.OVERSUBSCRIBED_HATCH,
            label=f"oversubscribed (P·T > {cores})",
        ),
    }
    fig, axes = style.figure(style.FIG_TALL, nrows=3, sharex=True)
    xs = list(range(len(pts)))
    times = [p.time_s for p in pts]
    scale, unit = style.time_unit(times)
    metric = style.METRIC_WORDS[group.time_metric]
    panels = [
        (
            f"median {metric} ({unit})",
            lambda p: p.time_s / scale if p.ok else None,
            lambda p: style.fmt_time(p.time_s),
        ),
        (
            "involuntary context\nswitches (median)",
            lambda p: p.ctx_involuntary,
            lambda p: style.fmt_count(p.ctx_involuntary),
        ),
        (
            "CPU utilisation\n(cores busy, median)",
            lambda p: p.stat("cpu_util"),
            lambda p: f"{p.stat('cpu_util'):.2f}",
        ),
    ]
    for ax, (ylabel, value_of, text_of) in zip(axes, panels):
        for x, p in zip(xs, pts):
            v = value_of(p)
            if v is None:
                continue
            st = class_style[classes[p.index]]
            ax.bar(x, v, color=st["color"], hatch=st["hatch"], edgecolor="white", width=0.7)
            ax.annotate(
                text_of(p),
                (x, v),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=11,
            )
        ax.set_ylabel(ylabel)
        ax.margins(y=0.2)
        ax.grid(axis="x", visible=False)
        style.mark_failed(ax, [x for x, p in zip(xs, pts) if not p.ok])
    axes[1].set_yscale("symlog", linthresh=10)
    axes[1].set_ylim(bottom=0)
    style.label_ticks(axes[1].yaxis, style.fmt_count)
    axes[2].axhline(
        cores, color=style.GREY, linestyle=":", linewidth=2, label=f"all {cores} usable cores busy"
    )
    axes[-1].set_xticks(xs, [f"{p.setting}\n({p.workers})" for p in pts])
    axes[-1].set_xlabel("processes × threads (P·T workers)")
    handles = [
        Patch(facecolor=s["color"], hatch=s["hatch"], edgecolor="white", label=s["label"])
        for c, s in class_style.items()
        if c in classes.values()
    ]
    for ax in (axes[2], axes[0]):  # the cores line, then the failed mark (once)
        handles += [
            h
            for h, label in zip(*ax.get_legend_handles_labels())
            if label not in {h.get_label() for h in handles}
        ]
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    style.group_title(fig, "Matched vs oversubscribed", run, group)
    return fig, {}
